"""Evidence: the statements of retrieved chunks, scored against the question.

Answers cite statements (bullets or sentences), not whole chunks, so each statement of the top
chunks is embedded (once; vectors are cached by text) and scored by cosine to the question vector.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from .embedding import Embedder
from .language import other_language
from .records import Chunk, SearchResult, Statement

#: Openers that name their subject only in the sentence before: cut out of its paragraph, "They then
#: beat the Patriots" no longer says who "they" are, and the model answered from a statement that
#: named the subject instead. English pronouns and determiners, Chinese third-person pronouns and
#: demonstratives (他/她/它/其/该/此/这).
_LEANS_BACK = re.compile(r"^(?:(?:he|she|it|they|his|her|its|their|this|these|those)\b|[他她它其该此这])", re.I)


@dataclass(frozen=True)
class Evidence:
    """A candidate source: one statement of a retrieved chunk and its similarity to the question."""

    chunk: Chunk
    statement: Statement
    similarity: float
    chunk_rank: int
    #: The answerer's judgement that this statement alone states the answer (a YES−NO logit), when
    #: it was asked (``Pipeline.rerank_by_support``); ``None`` otherwise.
    support: float | None = None
    #: Its verified rendering in the question's language, when the statement is in the other one
    #: (``rendering``); ``""`` when there is none.
    rendering: str = ""
    #: Set on the view the answerer reads (``in_question_language``): the source's own statement,
    #: while ``statement`` then holds the rendering.
    original: Statement | None = None

    @property
    def lang(self) -> str:
        """The language of ``statement`` as the answerer reads it."""
        if self.original is None:
            return self.chunk.lang
        return other_language(self.chunk.lang) or self.chunk.lang

    @property
    def both_texts(self) -> str:
        """The statement as the answerer reads it and, for a rendering, the source's own statement
        (or its rendering, before ``in_question_language`` swaps them): what it says in either language."""
        return " ".join(dict.fromkeys(t for t in (self.statement.text, self.original.text if self.original else "",
                                                  self.rendering) if t))

    @property
    def lead_in(self) -> str:
        """The statement before this one in its chunk when this one opens with a word that refers back
        to it (a pronoun), so the reader knows what it is about; ``""`` otherwise, and for a rendering
        (the statement before has none at hand)."""
        if self.original is not None or not _LEANS_BACK.match(self.statement.text.lstrip("\"“‘'(（")):
            return ""
        statements = self.chunk.statements
        at = next((i for i, s in enumerate(statements) if s == self.statement), 0)
        return statements[at - 1].text if at > 0 else ""

    def in_question_language(self) -> "Evidence":
        """What the answerer reads: the verified rendering in place of the statement, when there is one."""
        if not self.rendering or self.original is not None:
            return self
        return replace(self, statement=replace(self.statement, text=self.rendering), original=self.statement)


class EvidenceRanker:
    """Scores statements of search hits; keeps a bounded cache of statement vectors."""

    def __init__(self, embedder: Embedder, cache_size: int = 20_000) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the chat shares one ranker between sessions

    def _vectors(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)  # least recently used goes first
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = dict(zip(missing, self.embedder.embed_documents(missing)))
            found.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return np.vstack([found[t] for t in texts])

    def rank(self, result: SearchResult) -> list[Evidence]:
        """All statements of the hits, best first."""
        items = [(h, s) for h in result.hits for s in h.chunk.statements if s.text.strip()]
        if not items or result.query_vector is None:
            return []
        # The group title gives a bare bullet its context ("Green development: ... standards").
        texts = [f"{h.chunk.group_title}: {s.text}" if h.chunk.group > 0 else s.text for h, s in items]
        sims = self._vectors(texts) @ np.asarray(result.query_vector).reshape(-1)
        ranked = sorted(zip(items, sims.tolist()), key=lambda x: -x[1])
        return [Evidence(chunk=h.chunk, statement=s, similarity=float(sim), chunk_rank=h.rank)
                for (h, s), sim in ranked]
