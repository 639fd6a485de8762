"""Reciprocal rank fusion of ranked lists (Cormack et al. 2009): the one fusion rule of the project,
used by retrieval (with weights) and by a store's own hybrid search (unweighted)."""

from __future__ import annotations

from typing import Callable

from .records import RetrieverHit


def rrf_fuse(rankings: dict[str, list[tuple[int, float]]], k: int,
             weight: Callable[[str, int], float] | None = None) -> list[tuple[int, float, dict[str, RetrieverHit]]]:
    """Reciprocal rank fusion of several ranked lists of (key, raw score).

    ``weight(retriever, key)`` scales each contribution (default 1). Returns (key, fused score,
    per-retriever hits), best first; ties go to the better single rank.
    """
    fused: dict[int, float] = {}
    seen: dict[int, dict[str, RetrieverHit]] = {}
    for name, ranked in rankings.items():
        for rank, (pos, score) in enumerate(ranked, start=1):
            w = weight(name, pos) if weight else 1.0
            fused[pos] = fused.get(pos, 0.0) + w / (k + rank)
            seen.setdefault(pos, {})[name] = RetrieverHit(rank=rank, score=score)
    order = sorted(fused, key=lambda p: (-fused[p], min(h.rank for h in seen[p].values())))
    return [(p, fused[p], seen[p]) for p in order]
