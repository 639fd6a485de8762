"""Scale features of the index: approximate search above a threshold (with measured recall in the
manifest), chunk records read on demand, and a build that resumes after being killed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from rag import store
from rag.ann import sample_queries
from rag.indexer import embed_resumable, index_documents
from rag.documents import load_documents
from rag.records import Chunk, Statement
from tests.conftest import ROOT


def synthetic(n: int, dim: int = 64, seed: int = 0) -> tuple[list[Chunk], np.ndarray]:
    """Clustered unit vectors (real embeddings cluster by topic; uniform noise would not) and
    small chunk records to go with them."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(8, n // 50), dim)).astype(np.float32)
    vecs = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    chunks = [Chunk(chunk_id=f"d{i}#p1", doc_id=f"d{i}", group=1, group_title="", text=f"passage {i} about topic {i % 97}",
                    statements=(Statement(text=f"passage {i}", refs=()),), lang="zh" if i % 3 == 0 else "en",
                    title=f"Doc {i}") for i in range(n)]
    return chunks, vecs


#: Embeddings of one text are compared by cosine: the same text embedded alone or in a batch, in
#: bf16 (AMX or AVX512-BF16 CPUs) or fp32, on one kind of CPU or another, gives vectors that differ
#: elementwise (bf16, alone vs in a batch of 4: up to 1.5e-3 per component here) but point the same
#: way (cosine 0.99995 then; other texts of the tests below are at most 0.95 apart).
SAME_DIRECTION = 0.999


def same_vectors(got: np.ndarray, want: np.ndarray, among: np.ndarray | None = None,
                 rows: list[int] | None = None) -> None:
    """Assert that each row of ``got`` has cosine >= SAME_DIRECTION to the same row of ``want``
    and, given ``among`` and ``rows``, that row ``rows[i]`` is its nearest neighbour in ``among``."""
    got, want = np.atleast_2d(got).astype(np.float64), np.atleast_2d(want).astype(np.float64)
    unit = lambda m: m / np.linalg.norm(m, axis=1, keepdims=True)  # noqa: E731
    cos = (unit(got) * unit(want)).sum(axis=1)
    assert cos.min() >= SAME_DIRECTION, f"cosines to the reference vectors: {np.round(cos, 5).tolist()}"
    if among is not None:
        nearest = (unit(got) @ unit(np.asarray(among, dtype=np.float64)).T).argmax(axis=1)
        assert nearest.tolist() == list(rows), f"nearest rows {nearest.tolist()}, expected {rows}"


def manifest(dim: int) -> store.Manifest:
    return store.Manifest(model={"name": "synthetic", "fingerprint": "synthetic", "dimension": 0}, dimension=dim)


def test_small_index_is_exact_large_index_is_approximate_with_recorded_recall(tmp_path):
    chunks, vecs = synthetic(4000)
    store.write_index(tmp_path / "small", manifest(64), chunks, vecs, ann_threshold=5000)
    small = store.open_index(tmp_path / "small")
    assert small.manifest.search == {"kind": "exact"} and not (small.path / "ann.faiss").exists()

    store.write_index(tmp_path / "big", manifest(64), chunks, vecs, ann_threshold=1000)
    big = store.open_index(tmp_path / "big")
    info = big.manifest.search
    assert info["kind"] == "ivf" and info["recall_at_10"] >= store.ANN_MIN_RECALL and 1 <= info["nprobe"] <= info["nlist"]
    assert "ann.faiss" in big.manifest.checksums
    # Recall checked independently, on fresh queries the build never saw.
    queries = sample_queries(vecs, 100, seed=7)
    hits = 0
    for q in queries:
        exact = {p for p, _ in small.dense_search(q, 10)}
        hits += len(exact & {p for p, _ in big.dense_search(q, 10)})
    assert hits / 1000 >= 0.95
    # Scores are true inner products either way.
    p, score = big.dense_search(queries[0], 1)[0]
    assert abs(score - float(vecs[p] @ queries[0])) < 1e-4


def test_recall_counts_tied_copies_of_repeated_texts(tmp_path):
    # Each vector ten times, as when a corpus repeats passages (the 100k synthetic corpus holds
    # 10,445 distinct windows): the exact top 10 is all ties, and any copy is a right answer.
    _, base = synthetic(400)
    vecs = np.repeat(base, 10, axis=0)
    chunks, _ = synthetic(len(vecs))
    store.write_index(tmp_path, manifest(64), chunks, vecs, ann_threshold=1000)
    info = store.open_index(tmp_path).manifest.search
    assert info["kind"] == "ivf" and info["recall_at_10"] >= store.ANN_MIN_RECALL and info["nprobe"] < info["nlist"]


def test_recall_is_measured_by_score_so_any_tied_copy_counts():
    import faiss

    from rag.ann import exact_scores, recall_at
    _, base = synthetic(50)
    vecs = np.ascontiguousarray(np.repeat(base, 20, axis=0))  # each vector 20 times
    queries = sample_queries(vecs, 20, seed=3)
    _, exact_ids = faiss.knn(queries, vecs, 10, metric=faiss.METRIC_INNER_PRODUCT)
    other_copies = faiss.IndexIDMap(faiss.IndexFlatIP(64))  # the same vectors, ties broken the other way
    other_copies.add_with_ids(np.ascontiguousarray(vecs[::-1]), np.arange(len(vecs))[::-1].copy())
    _, ids = other_copies.search(queries, 10)
    assert not (ids == exact_ids).any()
    assert recall_at(other_copies, exact_scores(queries, vecs), queries) == 1.0
    # Ten copies of the nearest text are one result, not ten: an index that finds only the
    # nearest text's copies has found one of the ten nearest texts.
    nearest_only = faiss.IndexFlatIP(64)
    nearest_only.add(np.ascontiguousarray(np.repeat(base[:1], 200, axis=0)))
    assert recall_at(nearest_only, exact_scores(queries[:1], vecs), queries[:1]) <= 0.1


def test_chunks_are_read_on_demand(tmp_path):
    chunks, vecs = synthetic(3000)
    store.write_index(tmp_path, manifest(64), chunks, vecs)
    data = store.open_index(tmp_path)
    assert isinstance(data.chunks, store.ChunkStore) and isinstance(data.vectors, np.memmap)
    assert len(data.chunks) == 3000 and data.chunks[2999] == chunks[2999] and data.chunks[-1] == chunks[-1]
    assert data.chunks[10:13] == chunks[10:13] and list(data.chunks.langs[:3]) == ["zh", "en", "en"]
    with pytest.raises(IndexError):
        data.chunks[3000]


def test_offsets_that_do_not_match_the_records_are_a_clear_error(tmp_path):
    chunks, vecs = synthetic(50)
    gen = store.write_index(tmp_path, manifest(64), chunks, vecs)
    np.save(gen / "chunks.offsets.npy", np.arange(10))
    from rag.errors import IndexError_
    with pytest.raises(IndexError_, match="rebuild"):
        store.open_index(tmp_path, verify=False)


def test_embedding_parts_are_reused(fresh_settings, embedder, monkeypatch):
    texts = [f"Statement number {i} about the ports of the Yangtze delta." for i in range(40)]
    import rag.indexer as indexer
    monkeypatch.setattr(indexer, "PART_SIZE", 16)
    first = embed_resumable(texts, embedder, fresh_settings.index_dir, progress=False)
    parts = sorted(fresh_settings.index_dir.glob(".embed-*/part-*.npy"))
    assert len(parts) == 3
    # Delete one part: only that one is embedded again, and the result is the same.
    parts[1].unlink()
    calls = []
    real = embedder.embed_documents
    monkeypatch.setattr(embedder, "embed_documents", lambda t, progress=False: calls.append(len(t)) or real(t))
    again = embed_resumable(texts, embedder, fresh_settings.index_dir, progress=False)
    assert calls == [16]
    # The two parts read back are the saved vectors themselves; the part embedded again points the
    # same way (vectors are compared by direction, never elementwise: see same_vectors).
    assert (again == first).all(axis=1).sum() >= 24
    same_vectors(again, first)
    # Vectors come back in the input order although parts are embedded longest first: a text
    # embedded alone (a batch of one, unlike the batches of the build) is its own row's vector.
    picks = [0, 5, 17, 39]
    alone = np.vstack([embedder.embed_documents([texts[i]]) for i in picks])
    same_vectors(alone, again[picks], among=again, rows=picks)


def test_texts_are_embedded_longest_first_by_tokens(fresh_settings, embedder, monkeypatch):
    # Chinese text is short in characters but long in tokens: by characters it would come last.
    english = [f"The port handled more containers in year {2000 + i} than before." for i in range(4)]
    chinese = [f"第{i}号港口集装箱吞吐量同比增长，创下历史新高纪录。" for i in range(4)]
    assert all(len(c) < len(e) for c, e in zip(chinese, english))
    assert min(embedder.token_lengths(chinese)) > max(embedder.token_lengths(english))
    import rag.indexer as indexer
    monkeypatch.setattr(indexer, "PART_SIZE", 4)
    embedded = []
    real = embedder.embed_documents
    monkeypatch.setattr(embedder, "embed_documents", lambda t, progress=False: embedded.append(list(t)) or real(t))
    embed_resumable(english + chinese, embedder, fresh_settings.index_dir, progress=False)
    assert sorted(embedded[0]) == sorted(chinese) and sorted(embedded[1]) == sorted(english)


def test_killed_build_resumes_where_it_stopped(fresh_settings, embedder, tmp_path):
    """SIGKILL a real `rag index` after its first saved part: the rerun embeds only the rest."""
    s = fresh_settings
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(2):
        (folder / f"doc{i}.md").write_text("\n\n".join(f"Paragraph {j} of file {i}: the harbour at site {i}-{j} "
                                                      f"handled {j * 7 + i} thousand containers." for j in range(300)),
                                           encoding="utf-8")
    cmd = [sys.executable, "-m", "rag.cli", "--index-dir", str(s.index_dir), "index", str(folder)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # A guard against a hung build only: the first part (512 chunks) takes about a minute here, and
    # several with batches of one (RAG_EMBED_BATCH_SIZE=1) on a busy machine.
    deadline = time.time() + 1800
    while not list(s.index_dir.glob(".embed-*/part-*.npy")):
        assert proc.poll() is None, "the build ended before its first part was saved"
        if time.time() > deadline:
            proc.kill()
            pytest.fail("no embedding part was saved within 1800 s")
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    saved = len(list(s.index_dir.glob(".embed-*/part-*.npy")))
    assert saved >= 1 and not store.exists(s.index_dir)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    data = store.open_index(s.index_dir, embedder.identity)
    assert len(data.chunks) == 600 and not list(s.index_dir.glob(".embed-*"))
    # The resumed vectors are the ones a clean build makes.
    doc = load_documents([folder / "doc1.md"])[0]
    pos = next(i for i in range(len(data.chunks)) if data.chunks[i].doc_id == doc.doc_id)
    same_vectors(embedder.embed_documents([data.chunks[pos].text]), data.vectors[[pos]],
                 among=np.asarray(data.vectors), rows=[pos])
