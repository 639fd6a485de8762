"""Dense search structures: exact inner product for small indexes, an IVF index above a size threshold.

Exact search reads every vector, so its cost grows with the index (on this project's 2-core
machines about 3 ms at 10k vectors and ~300 ms at 1M; `rag bench dense`). Above
``Settings.ann_threshold`` an inverted-file index (faiss ``IndexIVFFlat``) is built instead, and
its ``nprobe`` is raised until recall@10 against exact search reaches ``min_recall`` on sample
queries; the measured recall is recorded in the manifest. IVF rather than HNSW: HNSW at a million
768-d vectors takes tens of minutes to build on two cores, IVF about a minute.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

#: Sample queries used to measure an approximate index's recall at build time.
RECALL_QUERIES = 200
_ADD_BLOCK = 65_536


def sample_queries(vectors: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """Query-like vectors: stored vectors plus as much random noise again, renormalised.

    Their cosine to the vector they came from is about 0.7, like a real question to the passage
    that answers it, so the recall measured with them reflects real searches rather than exact
    look-ups of stored vectors.
    """
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(vectors), size=min(count, len(vectors)), replace=False)
    base = np.asarray(vectors[np.sort(picks)], dtype=np.float32)
    noise = rng.standard_normal(base.shape).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    q = base + noise
    return np.ascontiguousarray(q / np.linalg.norm(q, axis=1, keepdims=True))


def recall_at(approx: Any, exact_scores: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Mean share of the approximate top ``k`` that belongs in the exact top ``k``: a result counts
    when it scores at least the exact ``k``-th score. Compared by score, not by id, because a
    corpus may hold the same text many times (the 100k synthetic corpus holds 10,445 distinct
    windows): which of the tied copies a search returns is arbitrary, so comparing ids gave
    recall 0.84 even when every list was searched."""
    scores, ids = approx.search(queries, k)
    kth = exact_scores[:, k - 1:k] - 1e-5
    return float(np.mean(((scores >= kth) & (ids >= 0)).sum(axis=1) / k))


def build_ann(vectors: np.ndarray, min_recall: float, seed: int = 0) -> tuple[Any, dict[str, Any]]:
    """An IVF index over ``vectors`` tuned to ``min_recall``; returns it and what to record."""
    import faiss

    n, d = vectors.shape
    nlist = max(16, int(round(math.sqrt(n))))  # ~1k lists at 1M: lists of ~1k vectors
    rng = np.random.default_rng(seed)
    train = np.asarray(vectors[np.sort(rng.choice(n, size=min(n, 40 * nlist), replace=False))], dtype=np.float32)
    quantizer = faiss.IndexFlatIP(d)
    ivf = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.seed = seed
    ivf.train(train)
    for start in range(0, n, _ADD_BLOCK):
        ivf.add(np.ascontiguousarray(vectors[start:start + _ADD_BLOCK], dtype=np.float32))
    queries = sample_queries(vectors, RECALL_QUERIES, seed)
    exact, _ = faiss.knn(queries, np.ascontiguousarray(vectors), 10, metric=faiss.METRIC_INNER_PRODUCT)
    nprobe, recall = 1, 0.0
    while True:
        ivf.nprobe = nprobe
        recall = recall_at(ivf, exact, queries)
        if recall >= min_recall or nprobe >= nlist:
            break
        nprobe = min(nlist, nprobe * 2)
    return ivf, {"kind": "ivf", "nlist": nlist, "nprobe": nprobe, "recall_at_10": round(recall, 4),
                 "recall_queries": len(queries)}


def open_search_index(folder: Path, vectors: np.ndarray, info: dict[str, Any]) -> Any:
    """The faiss index an opened generation searches with."""
    import faiss

    if info.get("kind", "exact") == "exact":
        flat = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return flat
    ivf = faiss.read_index(str(folder / "ann.faiss"))
    ivf.nprobe = int(info["nprobe"])
    return ivf
