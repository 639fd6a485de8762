"""Benchmarks of the store backends and of Ray embedding (`rag bench store`, `rag bench ray`), and the
retrieval comparison of the stores on a gold set (``compare_stores``, also run by the tests).

The store benchmark writes the same chunks and vectors to both stores (FAISS files; Milvus Lite on
a file) and times the write and the searches alone, with query vectors embedded beforehand, so the
figures compare the stores and not the embedding model.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from .bench import Figure, bench_questions, figure, synthetic_documents, synthetic_vectors, timed_each, _real_vectors
from .config import Settings


def _copy_manifest(manifest: Any) -> Any:
    return dataclasses.replace(manifest, documents=dict(manifest.documents), search=dict(manifest.search))


def _gold_items(corpus: str) -> list[Any]:
    from .evalrun import DISTRACTORS, DOCUMENTS
    from .evaluation import load_gold

    root = Path(__file__).resolve().parent.parent / "eval"
    items = load_gold(root / "gold.jsonl") if corpus != "documents" else []
    if corpus == "distractors":
        items += load_gold(DISTRACTORS / "gold.jsonl")
    elif corpus == "documents":
        items += load_gold(DOCUMENTS / "gold.jsonl")
    return [i for i in items if i.answerable and (i.chunks or i.doc)]


def compare_stores(settings: Settings, embedder: Any, work: Path, corpus: str = "distractors") -> dict[str, dict[str, float]]:
    """Gold-set retrieval (hit@1, hit@5) on the FAISS store and on Milvus Lite holding the same
    chunks and vectors: retrieval's own weighted fusion over each store's dense and BM25 lists
    ("faiss", "milvus"), and Milvus's built-in RRF hybrid search ("milvus-rrf")."""
    from .evaluation import retrieval_metrics
    from .evalrun import corpus_documents
    from .indexer import index_documents
    from .language import detect_language
    from .records import SearchHit, SearchResult
    from .retrieval import Retriever, clean_question
    from .vectorstore import open_store

    fs = dataclasses.replace(settings, index_dir=work / "faiss", store="faiss", render="off")
    index_documents(corpus_documents(fs, corpus), fs, embedder=embedder, progress=False)
    faiss_index = open_store(fs).open(embedder.identity)
    ms = dataclasses.replace(settings, index_dir=work / "milvus", store="milvus", render="off",
                             milvus_uri=str(work / "milvus" / "bench.db"), milvus_collection="compare")
    mv = open_store(ms)
    with mv.lock():
        mv.upsert(_copy_manifest(faiss_index.manifest), list(faiss_index.chunks), np.asarray(faiss_index.vectors), None)
    milvus_index = mv.open(embedder.identity)
    items = _gold_items(corpus)
    out: dict[str, dict[str, float]] = {}
    for name, s, index in (("faiss", fs, faiss_index), ("milvus", ms, milvus_index)):
        retriever = Retriever(index, embedder, s)
        rows = [retrieval_metrics(retriever.search(i.question, k=5), i) for i in items]
        out[name] = {k: float(np.mean([r[k] for r in rows])) for k in ("hit@1", "hit@5")}
    rows = []
    for i in items:
        query = clean_question(i.question, settings.max_question_chars)
        qv = embedder.embed_queries([query])[0]
        hits = [SearchHit(rank=r, chunk=milvus_index.chunks[k], score=sc, retrievers={})
                for r, (k, sc) in enumerate(milvus_index.hybrid_search(query, qv, 5, rrf_k=settings.rrf_k), start=1)]
        rows.append(retrieval_metrics(SearchResult(query=query, language=detect_language(query), hits=hits, timings={}), i))
    out["milvus-rrf"] = {k: float(np.mean([r[k] for r in rows])) for k in ("hit@1", "hit@5")}
    # How far the two BM25 implementations agree (Milvus tokenises on its side, with its own IDF).
    same = []
    for i in items:
        query = clean_question(i.question, settings.max_question_chars)
        a = [faiss_index.chunks[k].chunk_id for k, _ in faiss_index.bm25_search(query, 5)]
        b = [milvus_index.chunks[k].chunk_id for k, _ in milvus_index.bm25_search(query, 5)]
        same.append((a[:1] == b[:1], len(set(a) & set(b)) / max(1, len(set(a) | set(b)))))
    out["bm25-agreement"] = {"top1": float(np.mean([x for x, _ in same])), "jaccard@5": float(np.mean([y for _, y in same]))}
    for name in ("faiss", "milvus", "milvus-rrf"):
        out[name]["questions"] = float(len(items))
    return out


def run_compare(base: Settings, work: Path) -> list[Figure]:
    """``compare_stores`` on the distractor and the document corpora, as figures."""
    from .embedding import Embedder

    embedder = Embedder(base, progress=False)
    figures = []
    for corpus in ("distractors", "documents"):
        folder = work / f"compare-{corpus}"
        shutil.rmtree(folder, ignore_errors=True)
        res = compare_stores(base, embedder, folder, corpus)
        agree = res.pop("bm25-agreement")
        figures.append(Figure(f"gold {corpus}: BM25 top-1 same on both stores", "share", agree["top1"], agree["top1"],
                              int(res["faiss"]["questions"]), note=f"Jaccard of the top 5 {agree['jaccard@5']:.3f}"))
        for name, v in res.items():
            for k in ("hit@1", "hit@5"):
                figures.append(Figure(f"gold {corpus} {k}: {name}", "share", v[k], v[k], int(v["questions"]),
                                      note="same vectors in both stores"))
    return figures


def run_store(base: Settings, work: Path, xquad_dir: Path, n: int, runs: int) -> list[Figure]:
    """Insert rate and search p50/p95 (dense, BM25, hybrid) of FAISS and Milvus Lite at ``n`` chunks:
    the benchmark corpus's real texts (so BM25 is real) with vectors mixed from real embeddings."""
    from .chunking import chunk_document
    from .embedding import Embedder, model_identity
    from .store import Manifest
    from .vectorstore import open_store

    docs = synthetic_documents(n, xquad_dir)
    chunks = [c for d in docs for c in chunk_document(d)]
    vectors = synthetic_vectors(_real_vectors(base, work, xquad_dir), len(chunks))
    identity = model_identity(base)
    questions = bench_questions(xquad_dir, runs)
    embedder = Embedder(base, progress=False)
    qvecs = embedder.embed_queries(questions)
    figures: list[Figure] = []
    for name in ("faiss", "milvus-lite"):
        folder = work / f"store-{name}-{n}"
        shutil.rmtree(folder, ignore_errors=True)
        s = dataclasses.replace(base, index_dir=folder, store="faiss" if name == "faiss" else "milvus",
                                milvus_uri=str(folder / "bench.db"))
        manifest = Manifest(model={"name": identity.name, "fingerprint": identity.fingerprint,
                                   "dimension": identity.dimension}, dimension=vectors.shape[1])
        vs = open_store(s)
        t = time.perf_counter()
        with vs.lock():
            vs.upsert(manifest, chunks, vectors, None)
        took = time.perf_counter() - t
        figures.append(Figure(f"store insert, {len(chunks):,} chunks: {name}", "chunks/s", len(chunks) / took,
                              len(chunks) / took, 1, note=f"{took:.1f} s: vectors, records, BM25"))
        index = vs.open(embedder.identity)
        pairs = list(zip(questions, qvecs))
        figures.append(figure(f"store dense search: {name}", "ms", timed_each(lambda p: index.dense_search(p[1], 20), pairs)))
        figures.append(figure(f"store BM25 search: {name}", "ms", timed_each(lambda p: index.bm25_search(p[0], 20), pairs)))
        figures.append(figure(f"store hybrid search: {name}", "ms",
                              timed_each(lambda p: index.hybrid_search(p[0], p[1], 20), pairs),
                              "plain RRF of dense + BM25 inside the store"))
    return figures


def run_ray(base: Settings, work: Path, xquad_dir: Path, n: int) -> list[Figure]:
    """Embedding throughput of ``n`` chunks: one process against Ray Data in local mode (Ray's
    start-up and the actors' model loading included, as a user of `rag index --ray` waits for them)."""
    from .chunking import chunk_document
    from .embedding import Embedder
    from .ray_embed import embed_on_ray

    texts = [c.text for d in synthetic_documents(n, xquad_dir) for c in chunk_document(d)]
    t = time.perf_counter()
    embedder = Embedder(base, progress=False)
    single = embedder.embed_documents(texts, progress=False)
    one = time.perf_counter() - t
    del embedder
    t = time.perf_counter()
    ray_vecs = embed_on_ray(texts, base, "", progress=False)
    took = time.perf_counter() - t
    cos = float(np.min(np.sum(single * ray_vecs, axis=1)))
    return [Figure(f"embed {len(texts):,} chunks: one process", "chunks/s", len(texts) / one, len(texts) / one, 1,
                   note=f"{one:.0f} s, model load included"),
            Figure(f"embed {len(texts):,} chunks: Ray local mode", "chunks/s", len(texts) / took, len(texts) / took, 1,
                   note=f"{took:.0f} s, Ray start and actor load included; min cosine to one-process vectors {cos:.4f}")]
