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
#: demonstratives (他/她/它/其/该/此/这); and openers with no subject of their own ("Efforts will be
#: made to …", "There will be …", 此外/同时/还将 …): asked how the regulator will cut burdens, the model
#: answered from the statement that named the regulator instead of the subjectless one after it.
_LEANS_BACK = re.compile(
    r"^(?:(?:he|she|it|they|his|her|its|their|this|these|those)\b"
    r"|(?:efforts|steps|measures|work|progress) (?:will|shall|are|is|have|has|had|were|was)\b"
    r"|there (?:will|shall|are|is|have|has|had|were|was)\b"
    r"|also\b|additionally\b|furthermore\b|moreover\b|in addition\b"
    r"|[他她它其该此这]|此外|另外|同时|并且|而且|还将|还要|也将|也要|并将)", re.I)


def leans_back(text: str) -> bool:
    """Whether a statement opens with a word that takes its subject from the statement before."""
    return bool(_LEANS_BACK.match(text.lstrip("\"“‘'(（")))


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

    #: The verified rendering of the statement before this one in its chunk, when this one leans back
    #: on it (``leans_back``) and that rendering exists: the lead-in of this one's rendering.
    rendering_before: str = ""

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
        """The statement before this one in its chunk when this one leans back on it (a pronoun, or no
        subject of its own), so the reader knows what it is about; ``""`` otherwise. For a rendering,
        the rendering of the statement before (``rendering_before``), when there is one."""
        source = self.original or self.statement
        if not leans_back(source.text):
            return ""
        if self.original is not None:
            return self.rendering_before
        return self.statement_before.text if self.statement_before else ""

    @property
    def statement_before(self) -> Statement | None:
        """The statement before this one in its chunk, or ``None`` for the first."""
        statements = self.chunk.statements
        source = self.original or self.statement
        at = next((i for i, s in enumerate(statements) if s == source), 0)
        return statements[at - 1] if at > 0 else None

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
