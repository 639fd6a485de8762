"""`rag bench`: the speed and memory figures of README › Performance, measured on this machine.

Each figure is the median and p95 of repeated runs after a warm-up, with the peak resident memory
of the process that ran it: every benchmark runs in a child process, so its peak is its own.
Benchmarks print figures; nothing here asserts a time.

Synthetic corpus (``synthetic_documents``): XQuAD paragraphs (English and Chinese, 240 each) cut
into windows of three sentences, the size of a group chunk of the news summaries (~90 tokens);
document ``k`` holds ten such windows and a line naming its edition, so every document is distinct
(the indexer skips exact duplicates) and the texts cycle through both languages.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .config import Settings
from .errors import InputError, RagError

CHUNKS_PER_DOC = 10
WHAT = ("build", "search", "dense", "ask", "startup", "peer", "extract", "store", "ray")


@dataclass
class Figure:
    """One measured figure."""

    name: str
    unit: str
    p50: float
    p95: float
    runs: int
    peak_rss_mb: float = 0.0
    note: str = ""
    max: float = 0.0

    def row(self) -> str:
        d = 3 if self.unit == "share" else 1
        return (f"{self.name:<44} {self.p50:>10.{d}f} {self.p95:>10.{d}f} {self.max or self.p95:>10.{d}f} {self.unit:<9} "
                f"{self.runs:>5} {self.peak_rss_mb:>9.0f}  {self.note}")


HEADER = f"{'figure':<44} {'p50':>10} {'p95':>10} {'max':>10} {'unit':<9} {'runs':>5} {'peak MB':>9}  note"


def stats(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile."""
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 95))


def figure(name: str, unit: str, samples: list[float], note: str = "") -> Figure:
    p50, p95 = stats(samples)
    return Figure(name, unit, p50, p95, len(samples), note=note, max=float(max(samples)))


def own_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any], runs: int, warmup: int = 1) -> list[float]:
    """Milliseconds per call of ``fn`` over ``runs`` calls after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        fn()
    return timed_each(lambda _: fn(), [None] * runs, warmup=0)


def timed_each(fn: Callable[[Any], Any], inputs: list[Any], warmup: int = 3) -> list[float]:
    """Milliseconds of ``fn(x)`` for each of ``inputs``, after ``fn`` ran unmeasured on the first ``warmup``."""
    for x in inputs[:warmup]:
        fn(x)
    out = []
    for x in inputs:
        t = time.perf_counter()
        fn(x)
        out.append((time.perf_counter() - t) * 1000)
    return out


# -- inputs -------------------------------------------------------------------------------------

def synthetic_documents(n_chunks: int, xquad_dir: Path) -> list[Any]:
    """Documents of ten group-sized chunks each, made from XQuAD paragraphs (see module doc)."""
    from .documents import parse_plain, split_sentences
    from .xquad import load_xquad

    paragraphs, _ = load_xquad(xquad_dir)
    windows: list[tuple[str, str]] = []
    for lang in ("en", "zh"):
        for p in paragraphs[lang]:
            sents = split_sentences(p)
            for s in range(0, max(1, len(sents) - 2), 2):
                windows.append((lang, " ".join(sents[s:s + 3])))
    windows.sort(key=lambda w: hash(w[1]) % 9973)  # interleave languages and topics deterministically
    docs = []
    for k in range((n_chunks + CHUNKS_PER_DOC - 1) // CHUNKS_PER_DOC):
        count = min(CHUNKS_PER_DOC, n_chunks - k * CHUNKS_PER_DOC)
        parts = [windows[(k * CHUNKS_PER_DOC + j) % len(windows)] for j in range(count)]
        text = f"Edition {k}\n" + "\n\n".join(t for _, t in parts)
        docs.append(parse_plain(text, f"bench-{k:06d}", title=f"Bench {k}", lang=parts[0][0]))
    return docs


def bench_questions(xquad_dir: Path, count: int) -> list[str]:
    """XQuAD questions, alternating English and Chinese."""
    from .xquad import load_xquad

    _, qs = load_xquad(xquad_dir)
    en = [q.question for q in qs if q.lang == "en"][::7]
    zh = [q.question for q in qs if q.lang == "zh"][::7]
    return [q for pair in zip(en, zh) for q in pair][:count]


def _settings(base: Settings, index_dir: Path) -> Settings:
    return dataclasses.replace(base, index_dir=index_dir)


def _ensure_build(settings: Settings, n: int, xquad_dir: Path) -> None:
    """The benchmark index of ``n`` chunks (built once, resumable; reused by ``search``)."""
    from . import store
    from .indexer import index_documents

    if store.exists(settings.index_dir) and store.read_manifest(settings.index_dir).chunk_count == n:
        return
    index_documents(synthetic_documents(n, xquad_dir), settings, progress=True)


# -- benchmarks (each runs in a child process) ------------------------------------------------

def run_build(base: Settings, work: Path, xquad_dir: Path, n: int, repeat: int) -> list[Figure]:
    """Index build rate for ``n`` chunks: a clean build (model loaded beforehand) per repeat."""
    from .embedding import Embedder
    from .indexer import index_documents

    docs = synthetic_documents(n, xquad_dir)
    embedder = Embedder(base, progress=False)
    rates, secs = [], []
    for r in range(repeat):
        s = _settings(base, work / f"build-{n}")
        resumed = any(s.index_dir.glob(".embed-*/part-*.npy"))
        if s.index_dir.exists() and not resumed:
            shutil.rmtree(s.index_dir)
        t = time.perf_counter()
        index_documents(docs, s, embedder=embedder, progress=n >= 10_000)
        elapsed = time.perf_counter() - t
        rates.append(n / elapsed)
        secs.append(elapsed)
    note = f"{n / 1000:g}k chunks, {embedder.precision}, {secs[-1]:.0f} s"
    return [figure(f"index build, {n:,} chunks", "chunks/s", rates, note)]


#: Real questions on which `search` measures an approximate index's recall (55 gave 0.967 where
#: 200 gave 0.984: too few for the 0.98 bar's second decimal).
RECALL_QUESTIONS = 200


def run_search(base: Settings, work: Path, xquad_dir: Path, n: int, runs: int) -> list[Figure]:
    """Search only (query embedding, dense, BM25, fusion) over the ``n``-chunk benchmark index."""
    from . import store
    from .factory import open_retriever

    s = _settings(base, work / f"build-{n}")
    note = ""
    if n > SYNTHETIC_VECTORS_ABOVE and not store.exists(s.index_dir):
        _write_mixed(s, n, work, xquad_dir)
    if store.exists(s.index_dir) and store.read_manifest(s.index_dir).model.get("vectors") == "synthetic-mix":
        note = "vectors mixed from real ones; "
    else:
        _ensure_build(s, n, xquad_dir)
    retriever = open_retriever(s, progress=False)
    questions = bench_questions(xquad_dir, runs + 5)
    stages: dict[str, list[float]] = {}
    totals = []
    for i, q in enumerate(questions):
        t = time.perf_counter()
        result = retriever.search(q, 5)
        if i >= 5:  # warm-up
            totals.append((time.perf_counter() - t) * 1000)
            for k, v in result.timings.items():
                stages.setdefault(k, []).append(v)
    detail = ", ".join(f"{k[:-3]} {np.median(v):.1f}" for k, v in stages.items() if k.endswith("_ms")
                       and k != "retrieve_ms")
    info = retriever.index.manifest.search
    if info.get("kind") != "exact":  # the approximate index's recall on these real questions
        from .ann import exact_scores, recall_at
        sample = bench_questions(xquad_dir, RECALL_QUESTIONS)
        qv = np.vstack([retriever.search(q, 1).query_vector for q in sample]).astype(np.float32)
        exact = exact_scores(qv, np.asarray(retriever.index.vectors))
        detail += (f"; {info['kind']} nprobe {info['nprobe']}/{info['nlist']}, recall@10 on "
                   f"{len(sample)} real questions {recall_at(retriever.index.search_index, exact, qv):.3f}")
    return [figure(f"search (hybrid), {n:,} chunks", "ms", totals, f"{note}p50 by stage: {detail}")]


#: Above this many chunks the search benchmark does not embed its corpus (100k chunks take about
#: 1.5 hours here; `rag bench build --sizes 100000` measures that) but mixes vectors from the
#: 10k index's real ones: search latency depends on the index's size and kind, not on which
#: vectors it holds.
SYNTHETIC_VECTORS_ABOVE = 10_000


def _write_mixed(settings: Settings, n: int, work: Path, xquad_dir: Path) -> None:
    """The ``n``-chunk search index: the synthetic corpus's real texts (so BM25 is real) with
    vectors mixed from real embeddings, tagged so `_ensure_build` keeps it."""
    from . import store
    from .chunking import chunk_document
    from .embedding import model_identity

    docs = synthetic_documents(n, xquad_dir)
    chunks = [c for d in docs for c in chunk_document(d)]
    vecs = synthetic_vectors(_real_vectors(settings, work, xquad_dir), len(chunks))
    identity = model_identity(settings)
    manifest = store.Manifest(model={"name": identity.name, "fingerprint": identity.fingerprint,
                                     "dimension": identity.dimension, "vectors": "synthetic-mix"},
                              dimension=vecs.shape[1])
    with store.write_lock(settings.index_dir):
        store.write_index(settings.index_dir, manifest, chunks, vecs, ann_threshold=settings.ann_threshold,
                          progress=True)


def synthetic_vectors(base: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors mixed from real embeddings: a random real vector, a share of a second one
    and as much random noise again (cosine ≈ 0.7 to the first), so they keep some of the topical
    structure of real data without being near-copies of a few thousand vectors (uniform noise would
    have no structure; little noise would make approximate search look easier than it is)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        a, b = base[rng.integers(0, len(base), m)], base[rng.integers(0, len(base), m)]
        noise = rng.standard_normal((m, base.shape[1])).astype(np.float32) / np.sqrt(base.shape[1])
        v = a + rng.uniform(0.2, 0.6, (m, 1)).astype(np.float32) * b + noise
        out[start:start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def _real_vectors(base: Settings, work: Path, xquad_dir: Path) -> np.ndarray:
    """Real embeddings to mix synthetic ones from: the 10k benchmark index if built, else 1k."""
    from . import store

    for n in (10_000, 1000):
        if store.exists(work / f"build-{n}"):
            return np.asarray(store.open_index(work / f"build-{n}").vectors)
    s = _settings(base, work / "build-1000")
    _ensure_build(s, 1000, xquad_dir)
    return np.asarray(store.open_index(s.index_dir).vectors)


def run_dense_write(base: Settings, work: Path, xquad_dir: Path, n: int) -> list[Figure]:
    """Write the ``n``-chunk synthetic index once (reused by ``run_dense``)."""
    from . import store
    from .records import Chunk, Statement

    folder = work / f"dense-{n}"
    if store.exists(folder) and store.read_manifest(folder).chunk_count == n:
        return []
    vecs = synthetic_vectors(_real_vectors(base, work, xquad_dir), n)
    t = time.perf_counter()
    store.write_index(folder, store.Manifest(model={"name": "synthetic", "fingerprint": "synthetic", "dimension": 0},
                                             dimension=vecs.shape[1]), _LazyChunks(n, Chunk, Statement), vecs,
                      ann_threshold=base.ann_threshold, progress=True)
    took = time.perf_counter() - t
    return [Figure(f"write {n:,}-chunk index", "s", took, took, 1, note="vectors, records, BM25, IVF + recall check")]


def run_dense(base: Settings, work: Path, n: int, runs: int) -> list[Figure]:
    """Dense search alone over the synthetic ``n``-chunk index, opened the way the chat opens it:
    exact scans at growing sizes (which set the approximate-index threshold), then the index that
    ``write_index`` chose at ``n``, and its recall on fresh queries."""
    import faiss

    from . import store
    from .ann import exact_scores, recall_at, sample_queries

    folder = work / f"dense-{n}"
    t = time.perf_counter()
    data = store.open_index(folder, verify=False)
    open_s = time.perf_counter() - t
    figures = [Figure(f"open {n:,}-chunk index", "s", open_s, open_s, 1, own_peak_rss_mb(),
                      f"chunk texts stay on disk; search {data.manifest.search['kind']}")]
    queries = sample_queries(np.asarray(data.vectors[:200_000]), runs + 3, seed=11)
    if data.manifest.search["kind"] != "exact":
        it = iter(queries)
        info = data.manifest.search
        figures.append(figure(f"dense search ({info['kind']}), {n:,} vectors", "ms",
                              timed(lambda: data.dense_search(next(it), 20), runs, warmup=3),
                              f"nlist {info['nlist']}, nprobe {info['nprobe']}, build recall@10 {info['recall_at_10']}"))
        figures[-1].peak_rss_mb = own_peak_rss_mb()
        fresh = sample_queries(np.asarray(data.vectors), 100, seed=23)
        r = recall_at(data.search_index, exact_scores(fresh, np.asarray(data.vectors)), fresh)
        figures.append(Figure(f"recall@10 of the {info['kind']} index", "recall", r, r, 100,
                              note="100 fresh queries against exact search"))
    for size in [s for s in (10_000, 30_000, 100_000, 300_000, 1_000_000) if s <= n]:
        flat = faiss.IndexFlatIP(data.vectors.shape[1])
        flat.add(np.ascontiguousarray(data.vectors[:size]))
        it = iter(queries)
        figures.append(figure(f"dense search (exact), {size:,} vectors", "ms",
                              timed(lambda: flat.search(next(it).reshape(1, -1), 20), runs, warmup=3)))
        del flat
    return figures


class _LazyChunks:
    """Chunk records for the synthetic million, made one at a time as ``write_index`` asks."""

    def __init__(self, n: int, chunk: Any, statement: Any) -> None:
        self.n, self._chunk, self._statement = n, chunk, statement

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        for i in range(self.n):
            text = f"synthetic passage {i} on topic {i % 1009} in region {i % 97}"
            yield self._chunk(chunk_id=f"syn-{i}#p1", doc_id=f"syn-{i}", group=1, group_title="", lang="en",
                              text=text, statements=(self._statement(text=text),), title=f"Synthetic {i}")


def run_ask(base: Settings, work: Path, xquad_dir: Path, runs: int, llm: bool) -> list[Figure]:
    """End-to-end answers over the bundled corpus: extractive, and the local model's first token,
    decoding rate and total for short answers."""
    from .evaluation import GOLD_PATH, load_gold
    from .factory import open_pipeline
    from .indexer import ensure_index

    s = _settings(base, work / "corpus")
    ensure_index(s, progress=False)
    gold = load_gold(GOLD_PATH)
    if not llm:
        pipe = open_pipeline(s, "extractive", progress=False)
        qs = [g.question for g in gold]
        it = iter(qs * 10)
        return [figure("ask, extractive (end to end)", "ms", timed(lambda: pipe.ask(next(it)), runs, warmup=3),
                       f"{len(qs)} gold questions, both languages")]
    pipe = open_pipeline(s, "llm", progress=False)
    figures = []
    if pipe.renderer is not None:  # what the first start pays to render the bundled corpus
        from .factory import render_documents

        t = time.perf_counter()
        report = render_documents(s, pipe.retriever, pipe.renderer, progress=False)
        if report.rendered:
            figures.append(Figure("render the bundled corpus", "s", time.perf_counter() - t, time.perf_counter() - t, 1,
                                  note=report.summary().removeprefix("renderings: ")))
    pipe.ask("warm-up: what does the work plan aim for?")  # one-off costs (the first prompt) stay out
    # Every gold question, refusals included (a refusal's first token is the refusal), in a fixed
    # shuffled order so neither language comes first; ``runs`` does not cut the set.
    import random

    order = list(gold)
    random.Random(0).shuffle(order)
    first: dict[str, list[float]] = {"all": [], "zh": [], "en": []}
    total: dict[str, list[float]] = {"all": [], "zh": [], "en": []}
    rate, check = [], []
    for g in order:
        t = time.perf_counter()
        pieces, t_first = 0, None
        answer = None
        for piece in pipe.stream(g.question):
            if isinstance(piece, str):
                pieces += 1
                if t_first is None:
                    t_first = time.perf_counter()
            else:
                answer = piece
        end = time.perf_counter()
        if answer is None or t_first is None:
            continue
        lang = answer.dominant_language
        for key in ("all", lang):
            first[key].append((t_first - t) * 1000)
            total[key].append((end - t) * 1000)
        check.append(answer.timings.get("check_ms", 0.0))
        if pieces > 1 and not answer.refused:
            rate.append((pieces - 1) / max(1e-6, end - t_first))
    for key, label in (("all", f"{len(first['all'])} gold questions"), ("zh", "Chinese questions"),
                       ("en", "English questions")):
        if first[key]:
            figures.append(figure(f"local model: first token, {key}", "ms", first[key],
                                  f"{label}; incl. retrieval and the decision to answer (p50 {np.median(check):.0f} ms)"))
            figures.append(figure(f"local model: answer total, {key}", "ms", total[key], f"{label}; incl. guards"))
    if rate:
        figures.append(figure("local model: decoding", "tokens/s", rate, "streamed pieces after the first"))
    return figures


def run_startup(base: Settings, work: Path, runs: int) -> list[Figure]:
    """From `rag chat` to a page that answers HTTP, with cached models and index."""
    import socket
    import urllib.request

    from .indexer import ensure_index

    s = _settings(base, work / "corpus")
    ensure_index(s, progress=False)
    times, peaks = [], []
    for _ in range(runs):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "--index-dir", str(s.index_dir), "chat",
                                 "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - t > 300:
                    raise InputError("the chat did not start", "run `rag chat` to see why") from None
                time.sleep(0.05)
        times.append((time.perf_counter() - t) * 1000)
        proc.terminate()
        _, _, usage = os.wait4(proc.pid, 0)
        peaks.append(usage.ru_maxrss / 1024)
    f = figure("start-up to a ready chat", "ms", times, "cached models and index; the local model loads on first use")
    f.peak_rss_mb = max(peaks)
    return [f]


def run_peer(base: Settings, work: Path, xquad_dir: Path, n: int, runs: int) -> list[Figure]:
    """Ours against LangChain's FAISS vector store: same chunks, same model, same machine."""
    try:
        from langchain_community.vectorstores import FAISS
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError:
        raise InputError("the peer comparison needs LangChain", "pip install -e '.[bench]'") from None
    from .chunking import chunk_document
    from .embedding import Embedder
    from .factory import open_retriever
    from .indexer import index_documents

    docs = synthetic_documents(n, xquad_dir)
    texts = [c.text for d in docs for c in chunk_document(d)]
    ours = Embedder(base, progress=False)
    s = _settings(base, work / f"peer-{n}")
    shutil.rmtree(s.index_dir, ignore_errors=True)
    t = time.perf_counter()
    index_documents(docs, s, embedder=ours, progress=False)
    our_build = time.perf_counter() - t
    retriever = open_retriever(s, progress=False, embedder=ours)
    questions = bench_questions(xquad_dir, runs + 3)
    it = iter(questions)
    our_search = timed(lambda: retriever.search(next(it), 5), runs, warmup=3)
    our_precision = ours.precision
    del retriever, ours

    # LangChain as its documentation shows it, with the model's own prompts so the vectors match ours:
    # first at its default precision (fp32), then at ours (bf16 where we use it), so that the
    # ratio shows engineering rather than a setting.
    import torch

    from .weights import ensure_weights, resolve_source
    source = resolve_source(base.embed_model)
    path = str(ensure_weights(source, base.cache_dir)) if source else base.embed_model
    figures = [Figure(f"build {n:,} chunks: ours ({our_precision})", "s", our_build, our_build, 1,
                      note="hybrid: vectors + BM25"),
               figure(f"search: ours (hybrid, {our_precision})", "ms", our_search)]
    ob = stats(our_search)[0]
    for precision in dict.fromkeys(["fp32", our_precision]):
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        theirs = HuggingFaceEmbeddings(model_name=path, model_kwargs={"device": "cpu", "model_kwargs": {"dtype": dtype}},
                                       encode_kwargs={"normalize_embeddings": True, "prompt_name": "document"},
                                       query_encode_kwargs={"normalize_embeddings": True, "prompt_name": "query"})
        t = time.perf_counter()
        store_ = FAISS.from_texts(texts, theirs)
        their_build = time.perf_counter() - t
        it = iter(questions)
        their_search = timed(lambda: store_.similarity_search(next(it), k=5), runs, warmup=3)
        figures += [Figure(f"build {n:,} chunks: LangChain FAISS ({precision})", "s", their_build, their_build, 1,
                           note=f"ratio ours/theirs {our_build / their_build:.2f}"),
                    figure(f"search: LangChain FAISS (dense, {precision})", "ms", their_search,
                           f"ratio ours/theirs {ob / stats(their_search)[0]:.2f}")]
        del theirs, store_
    return figures


# -- driver ------------------------------------------------------------------------------------

@dataclass
class Job:
    what: str
    args: dict[str, Any] = field(default_factory=dict)


def _hundred_page_pdf(source: Path, out: Path, pages: int = 100) -> Path:
    """A real text PDF of ``pages`` pages: the source's pages imported again and again."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(source)
    dst = pdfium.PdfDocument.new()
    while len(dst) < pages:
        take = min(len(src), pages - len(dst))
        dst.import_pages(src, list(range(take)), index=len(dst))
    dst.save(out)
    return out


def run_extract(base: Settings, work: Path, runs: int) -> list[Figure]:
    """Extraction speed per file of the evaluation documents and the samples (pages per second where
    the format has pages, milliseconds per file for all), then a 100-page PDF read and indexed end to
    end (read, chunk, embed, write; renderings off)."""
    from .documents import load_file
    from .evalrun import DOCUMENTS
    from .indexer import index_documents
    from .readers import STRUCTURED_SUFFIXES

    samples = Path(__file__).resolve().parent.parent / "tests" / "samples"
    files = sorted(p for folder in (DOCUMENTS, samples) if folder.is_dir() for p in folder.iterdir()
                   if p.suffix.lower() in STRUCTURED_SUFFIXES and p.name != "encrypted.pdf")
    figures: list[Figure] = []
    for f in files:
        try:
            doc = load_file(f, base.max_file_bytes, base.max_pages)[0]
        except RagError as e:  # a file that is meant to fail (no text layer) is reported, not timed
            print(f"extract {f.name}: {e}", file=sys.stderr)
            continue
        ms = timed(lambda: load_file(f, base.max_file_bytes, base.max_pages), min(runs, 5))
        note = f"{len(doc.blocks)} blocks, {f.stat().st_size // 1024} KB"
        if doc.pages and doc.kind in ("pdf", "pptx"):
            figures.append(figure(f"extract {doc.kind} {f.name[:30]}", "pages/s", [doc.pages * 1000 / m for m in ms],
                                  note=f"{doc.pages} pages, {note}"))
        else:
            figures.append(figure(f"extract {doc.kind} {f.name[:30]}", "ms", ms, note=note))
    report = DOCUMENTS / "zh-annual-report.pdf"
    if report.is_file():
        big = _hundred_page_pdf(report, work / "hundred-pages.pdf")
        ms = timed(lambda: load_file(big, base.max_file_bytes, base.max_pages), min(runs, 3))
        figures.append(figure("extract pdf 100 pages", "pages/s", [100_000 / m for m in ms], note="zh-annual-report.pdf x N"))
        settings = dataclasses.replace(_settings(base, work / "hundred-index"), render="off")
        shutil.rmtree(settings.index_dir, ignore_errors=True)
        t = time.perf_counter()
        docs = load_file(big, base.max_file_bytes, base.max_pages)
        rep = index_documents(docs, settings, progress=False)
        seconds = time.perf_counter() - t
        figures.append(figure("index 100-page PDF end to end", "s", [seconds],
                              note=f"{rep.chunks} chunks, {rep.chunks / seconds:.1f} chunks/s, model load included"))
    return figures


def _child(job: Job, settings: Settings) -> list[Figure]:
    work, xq = Path(job.args["work"]), Path(job.args["xquad"])
    runs = int(job.args["runs"])
    if job.what == "build":
        n = int(job.args["n"])
        return run_build(settings, work, xq, n, repeat=3 if n <= 1000 else 1)
    if job.what == "search":
        return run_search(settings, work, xq, int(job.args["n"]), runs)
    if job.what == "dense-write":
        return run_dense_write(settings, work, xq, int(job.args["n"]))
    if job.what == "dense":
        return run_dense(settings, work, int(job.args["n"]), runs)
    if job.what in ("ask", "ask-llm"):
        return run_ask(settings, work, xq, runs if job.what == "ask" else min(runs, 12), llm=job.what == "ask-llm")
    if job.what == "startup":
        return run_startup(settings, work, min(runs, 5))
    if job.what == "peer":
        return run_peer(settings, work, xq, int(job.args["n"]), runs)
    if job.what == "extract":
        return run_extract(settings, work, runs)
    if job.what in ("store", "store-gold", "ray"):
        from . import benchstore

        if job.what == "store":
            return benchstore.run_store(settings, work, xq, int(job.args["n"]), runs)
        if job.what == "store-gold":
            return benchstore.run_compare(settings, work)
        return benchstore.run_ray(settings, work, xq, int(job.args["n"]))
    raise InputError(f"unknown benchmark {job.what!r}", f"choose from {', '.join(WHAT)}")


def run_job(job: Job) -> list[Figure]:
    """Run one benchmark in a child process; its peak resident memory goes on each figure."""
    proc = subprocess.Popen([sys.executable, "-m", "rag.bench", json.dumps(dataclasses.asdict(job))],
                            stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise InputError(f"benchmark {job.what} {job.args.get('n', '')} failed (exit {proc.returncode})",
                         "see its messages above")
    figures = [Figure(**f) for f in json.loads(out.strip().splitlines()[-1])]
    for f in figures:
        f.peak_rss_mb = f.peak_rss_mb or usage.ru_maxrss / 1024
    return figures


def plan(what: list[str], sizes: list[int], dense_n: int, peer_n: int, store_n: int = 20_000,
         ray_n: int = 512) -> list[Job]:
    jobs: list[Job] = []
    for w in what:
        if w == "build":
            jobs += [Job("build", {"n": n}) for n in sizes]
        elif w == "search":
            jobs += [Job("search", {"n": n}) for n in dict.fromkeys([100, *sizes])]
        elif w == "dense":
            jobs += [Job("dense-write", {"n": dense_n}), Job("dense", {"n": dense_n})]
        elif w == "ask":
            jobs += [Job("ask"), Job("ask-llm")]
        elif w == "peer":
            jobs.append(Job("peer", {"n": peer_n}))
        elif w == "store":
            jobs += [Job("store", {"n": store_n}), Job("store-gold")]
        elif w == "ray":
            jobs.append(Job("ray", {"n": ray_n}))
        else:
            jobs.append(Job(w))
    return jobs


def run_benchmarks(settings: Settings, what: list[str], sizes: list[int], dense_size: int, peer_size: int,
                   runs: int, work: Path, xquad: Path, out: Path | None = None, store_size: int = 20_000,
                   ray_size: int = 512) -> list[Figure]:
    """Run the chosen benchmarks, printing each figure as it is measured; optionally save JSON."""
    unknown = [w for w in what if w not in WHAT]
    if unknown:
        raise InputError(f"unknown benchmark {', '.join(unknown)}", f"choose from {', '.join(WHAT)}")
    if not (xquad / "xquad.en.dev.json").is_file():
        raise InputError(f"no XQuAD files in {xquad}", "pass --xquad pointing at xquad.en.dev.json / xquad.zh.dev.json")
    work.mkdir(parents=True, exist_ok=True)
    import platform
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, threads {settings.threads}; "
          f"benchmark indexes in {work}", file=sys.stderr)
    results: list[Figure] = []
    common = {"work": str(work), "xquad": str(xquad.resolve()), "runs": runs}
    print(HEADER)
    for job in plan(what, sizes, dense_size, peer_size, store_size, ray_size):
        job.args.update(common)
        for f in run_job(job):
            print(f.row(), flush=True)
            results.append(f)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps([dataclasses.asdict(f) for f in results], indent=2, ensure_ascii=False),
                       encoding="utf-8")
    return results


if __name__ == "__main__":  # the child side of run_job
    job = Job(**json.loads(sys.argv[1]))
    figs = _child(job, Settings.load())
    print(json.dumps([dataclasses.asdict(f) for f in figs]))
