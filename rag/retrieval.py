"""Hybrid retrieval: dense (FAISS inner product) + BM25, fused by reciprocal rank fusion."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from .config import Settings
from .embedding import Embedder
from .errors import InputError
from .fusion import rrf_fuse
from .language import detect_language, other_language
from .records import Language, SearchHit, SearchResult, Where
from .rendering import RenderedLexical, RenderingStore
from .vectorstore import Searchable

#: Weight of a BM25 match whose chunk is in the other language than the question (see lexical_weight).
CROSS_LINGUAL_BM25_WEIGHT = 0.1

#: C0/C1 control characters other than tab/newline are stripped from questions (they only confuse models).
_CONTROL = dict.fromkeys(c for c in (*range(32), *range(0x7F, 0xA0)) if c not in (9, 10))


def clean_question(question: str, max_chars: int) -> str:
    """Normalise a question; raise ``InputError`` for empty or oversized input."""
    if not isinstance(question, str):
        raise InputError("the question must be text", "pass a string")
    text = " ".join(question.translate(_CONTROL).split())
    if not text:
        raise InputError("the question is empty", "type a question in Chinese or English")
    if not any(ch.isalnum() for ch in text):  # only emoji, symbols or punctuation: nothing to search for
        raise InputError("the question has no words, only symbols or emoji", "ask in Chinese or English words")
    if len(text) > max_chars:
        raise InputError(f"the question is {len(text):,} characters long; the limit is {max_chars:,}",
                         "shorten it, or raise RAG_MAX_QUESTION_CHARS")
    return text


def lexical_weight(query_lang: Language, chunk_langs: list[str], dense_sims: dict[int, float],
                   gate: float) -> Callable[[str, int], float]:
    """Weights for fusing BM25 with dense ranks.

    Two kinds of BM25 evidence proved harmful, so they are discounted:
    * a match in the other language than the question: across languages BM25 only matches numbers
      and names (on XQuAD it cut hybrid en→zh R@1 from 0.92 to 0.80);
    * a match far below the best dense similarity (more than ``gate`` cosine): with a corpus whose
      only Chinese text is a headline, every Chinese question hit that headline lexically, and RRF
      let one weak BM25 rank outvote the clear dense winner.
    """
    top = max(dense_sims.values(), default=0.0)

    def weight(name: str, pos: int) -> float:
        if name not in ("bm25", "bm25-rendered"):
            return 1.0
        if gate > 0 and dense_sims and dense_sims.get(pos, -1.0) < top - gate:
            return 0.0
        # A rendering is in the other language than its chunk.
        lang = chunk_langs[pos] if name == "bm25" else other_language(chunk_langs[pos])
        if query_lang.code != "mixed" and lang != query_lang.dominant:
            return CROSS_LINGUAL_BM25_WEIGHT
        return 1.0

    return weight


class Retriever:
    """Searches one opened index with one embedder."""

    def __init__(self, index: Searchable, embedder: Embedder, settings: Settings,
                 renderings: RenderingStore | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        #: Verified renderings of the statements (``None``: none kept for this index).
        self.renderings = renderings
        self._rendered = RenderedLexical(index.chunks, renderings) if renderings is not None else None

        self._langs = index.chunks.langs

    def dense(self, qv: np.ndarray, k: int, where: Where | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (position, cosine) for a query vector."""
        return self.index.dense_search(qv, k, where)

    def similarities(self, qv: np.ndarray, positions: list[int]) -> dict[int, float]:
        """Exact cosine of the query to given chunks (for gating BM25 hits outside the dense top k)."""
        return self.index.similarities(qv, positions)

    def lexical(self, query: str, k: int, where: Where | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (position, BM25 score)."""
        return self.index.bm25_search(query, k, where)

    def search(self, question: str, k: int | None = None, mode: str = "hybrid", id: object = None,
               where: Where | None = None) -> SearchResult:
        """Retrieve the top ``k`` chunks. ``mode`` is ``hybrid``, ``dense`` or ``bm25``; ``where``
        keeps only chunks of some documents and/or one language."""
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
        qv = None
        if mode in ("hybrid", "dense"):
            t = time.perf_counter()
            qv = self.embedder.embed_queries([query])[0]
            timings["embed_ms"] = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            rankings["dense"] = self.dense(qv, n, where)
            timings["dense_ms"] = (time.perf_counter() - t) * 1000
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            rankings["bm25"] = self.lexical(query, n, where)
            rendered = self._rendered.search(query, n) if self._rendered is not None else []
            if where:  # the renderings' BM25 has no filter of its own
                rendered = [(p, sc) for p, sc in rendered
                            if where.admits(self.index.chunks[p].doc_id, self.index.chunks[p].lang)]
            if rendered:
                rankings["bm25-rendered"] = rendered
            timings["bm25_ms"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        weight = None
        if qv is not None and "bm25" in rankings:
            sims = dict(rankings["dense"])
            lexical = [p for name in ("bm25", "bm25-rendered") for p, _ in rankings.get(name, [])]
            sims.update(self.similarities(qv, [p for p in dict.fromkeys(lexical) if p not in sims]))
            weight = lexical_weight(language, self._langs, sims, self.settings.hybrid_gate)
        fused = rrf_fuse(rankings, self.settings.rrf_k, weight)[:k]
        timings["fuse_ms"] = (time.perf_counter() - t) * 1000
        hits = [SearchHit(rank=r, chunk=self.index.chunks[pos], score=score, retrievers=by)
                for r, (pos, score, by) in enumerate(fused, start=1)]
        timings["retrieve_ms"] = sum(timings.values())
        return SearchResult(query=query, language=language, hits=hits, timings=timings, id=id, query_vector=qv)
