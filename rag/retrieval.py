"""Hybrid retrieval: dense (FAISS inner product) + BM25, fused by reciprocal rank fusion."""

from __future__ import annotations

import time

import numpy as np

from .config import Settings
from .embedding import Embedder
from .errors import InputError
from .language import detect_language
from .records import RetrieverHit, SearchHit, SearchResult
from .store import IndexData

#: Control characters other than tab/newline are stripped from questions (they only confuse models).
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))


def clean_question(question: str, max_chars: int) -> str:
    """Normalise a question; raise ``InputError`` for empty or oversized input."""
    if not isinstance(question, str):
        raise InputError("the question must be text", "pass a string")
    text = " ".join(question.translate(_CONTROL).split())
    if not text:
        raise InputError("the question is empty", "type a question in Chinese or English")
    if len(text) > max_chars:
        raise InputError(f"the question is {len(text):,} characters long; the limit is {max_chars:,}",
                         "shorten it, or raise RAG_MAX_QUESTION_CHARS")
    return text


def rrf_fuse(rankings: dict[str, list[tuple[int, float]]], k: int) -> list[tuple[int, float, dict[str, RetrieverHit]]]:
    """Reciprocal rank fusion of several ranked lists of (position, raw score).

    Returns (position, fused score, per-retriever hits), best first; ties go to the better dense rank.
    """
    fused: dict[int, float] = {}
    seen: dict[int, dict[str, RetrieverHit]] = {}
    for name, ranked in rankings.items():
        for rank, (pos, score) in enumerate(ranked, start=1):
            fused[pos] = fused.get(pos, 0.0) + 1.0 / (k + rank)
            seen.setdefault(pos, {})[name] = RetrieverHit(rank=rank, score=score)
    order = sorted(fused, key=lambda p: (-fused[p], min(h.rank for h in seen[p].values())))
    return [(p, fused[p], seen[p]) for p in order]


class Retriever:
    """Searches one opened index with one embedder."""

    def __init__(self, index: IndexData, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    def dense(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (position, cosine) by vector similarity."""
        if self.index.vectors.ntotal == 0:
            return []
        qv = self.embedder.embed_queries([query])
        scores, ids = self.index.vectors.search(np.ascontiguousarray(qv, dtype=np.float32),
                                                min(k, self.index.vectors.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def lexical(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (position, BM25 score)."""
        return self.index.lexical.search(query, k)

    def search(self, question: str, k: int | None = None, mode: str = "hybrid", id: object = None) -> SearchResult:
        """Retrieve the top ``k`` chunks. ``mode`` is ``hybrid``, ``dense`` or ``bm25``."""
        k = k or self.settings.top_k
        if k < 1:
            raise InputError(f"-k must be at least 1, not {k}", "pass a positive number of results")
        if mode not in ("hybrid", "dense", "bm25"):
            raise InputError(f"unknown retrieval mode {mode!r}", "use hybrid, dense or bm25")
        query = clean_question(question, self.settings.max_question_chars)
        language = detect_language(query)
        n = max(k, self.settings.candidates)
        timings: dict[str, float] = {}
        rankings: dict[str, list[tuple[int, float]]] = {}
        if mode in ("hybrid", "dense"):
            t = time.perf_counter()
            rankings["dense"] = self.dense(query, n)
            timings["dense_ms"] = (time.perf_counter() - t) * 1000
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            rankings["bm25"] = self.lexical(query, n)
            timings["bm25_ms"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        fused = rrf_fuse(rankings, self.settings.rrf_k)[:k]
        timings["fuse_ms"] = (time.perf_counter() - t) * 1000
        hits = [SearchHit(rank=r, chunk=self.index.chunks[pos], score=score, retrievers=by)
                for r, (pos, score, by) in enumerate(fused, start=1)]
        timings["retrieve_ms"] = sum(timings.values())
        return SearchResult(query=query, language=language, hits=hits, timings=timings, id=id)
