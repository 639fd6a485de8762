"""Dense search structures: exact inner product for small indexes, an IVF index above a size threshold.

Exact search reads every vector, so its cost grows with the index (on this project's 2-core
machines about 1.5 ms at 10k vectors and ~140 ms at 1M; `rag bench dense`). Above
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
    """Query-like vectors: stored vectors plus 1.5 times as much random noise, renormalised.

    Their cosine to the vector they came from is about 0.55, like a real question to the passage
    that answers it (0.4–0.6 on the gold set), so the recall measured with them reflects searches
    rather than look-ups of stored vectors. Real query vectors may still sit elsewhere, so
    `rag bench search` also measures recall on real questions (0.984 at 100k chunks, nprobe 2).
    """
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(vectors), size=min(count, len(vectors)), replace=False)
    base = np.asarray(vectors[np.sort(picks)], dtype=np.float32)
    noise = rng.standard_normal(base.shape).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    q = base + 1.5 * noise
    return np.ascontiguousarray(q / np.linalg.norm(q, axis=1, keepdims=True))


#: Exact neighbours fetched per sample query, so that the top 10 *distinct* texts are found even
#: when each text is stored many times (up to 16 copies).
_WIDE = 160


def exact_scores(queries: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Exact inner-product scores of each query's nearest ``_WIDE`` vectors, best first."""
    import faiss

    scores, _ = faiss.knn(queries, np.ascontiguousarray(vectors), min(_WIDE, len(vectors)),
                          metric=faiss.METRIC_INNER_PRODUCT)
    return scores


def _distinct(scores: np.ndarray) -> list[float]:
    out: list[float] = []
    for v in scores:
        if v > -1e30 and (not out or out[-1] - v > 1e-5):
            out.append(float(v))
    return out


def recall_at(approx: Any, exact: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact top ``k`` distinct results that the approximate index also returns
    (``exact`` from ``exact_scores``). Results are compared by score, and equal scores count as one
    result, because a corpus may hold the same text many times (the 100k synthetic corpus holds
    10,445 distinct windows): by id, which tied copy a search returns is arbitrary (recall 0.84
    with every list searched); counting copies, the ten copies of the nearest text fill the top
    10, so one list sufficed while real questions found only 95% of their neighbours."""
    scores, _ = approx.search(queries, exact.shape[1])
    total = 0.0
    for got, want in zip(scores, exact):
        want_d = _distinct(want)[:k]
        got_d = _distinct(got)[:k]
        total += sum(g >= want_d[-1] - 1e-5 for g in got_d) / len(want_d)
    return total / len(queries)


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
    exact = exact_scores(queries, vectors)
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
