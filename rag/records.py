"""Records that flow between the pipeline's steps. Plain dataclasses, JSON-serialisable via ``to_dict``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Statement:
    """One claim (a bullet or a sentence) with the source's own bracket references, e.g. ``[2, 3]``."""

    text: str
    refs: tuple[int, ...] = ()
    #: The 1-based page the statement is on, for paged documents (PDF); 0 elsewhere.
    page: int = 0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "refs": list(self.refs)}
        if self.page:
            d["page"] = self.page
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Statement":
        return cls(text=d["text"], refs=tuple(d.get("refs", ())), page=int(d.get("page", 0)))


@dataclass(frozen=True)
class Group:
    """A numbered section of a news summary. Number 0 is the Core Viewpoint."""

    number: int
    title: str
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Block:
    """One piece of a structured document (PDF, Word, web page, slides, sheet) in reading order."""

    text: str
    kind: str = "text"  # "heading" | "text" | "table"
    #: Heading level, 1 = top (headings only).
    level: int = 0
    #: The 1-based pages the block covers (a paragraph may run onto the next page); () without pages.
    pages: tuple[int, ...] = ()
    #: Where the block is when the format has no pages: "Slide 3", "Sheet: Population".
    place: str = ""
    #: For tables: the header row, repeated at the top of every chunk the table is split into.
    header: str = ""
    #: Where in ``text`` each page after the first begins (a paragraph broken by a page break).
    page_starts: tuple[int, ...] = ()

    def page_at(self, offset: int) -> int:
        """The page that the character at ``offset`` is on (0 without pages)."""
        if not self.pages:
            return 0
        return self.pages[sum(1 for start in self.page_starts if start <= offset)]


@dataclass(frozen=True)
class Document:
    """A parsed input document, before chunking."""

    doc_id: str
    title: str
    lang: str
    kind: str  # "news-summary" | "text" | "markdown" | "jsonl" | "pdf" | "docx" | "html" | "pptx" | "xlsx"
    source: str = ""
    date: str = ""
    groups: tuple[Group, ...] = ()
    #: For plain documents: the paragraphs (news summaries use ``groups``).
    paragraphs: tuple[str, ...] = ()
    #: For structured formats: headings, paragraphs and tables in reading order.
    blocks: tuple[Block, ...] = ()
    #: Pages in the file (PDF), or slides / sheets; 0 where the format has none.
    pages: int = 0
    #: What the reader could not read, one line each (scanned pages, images): shown, never silent.
    warnings: tuple[str, ...] = ()
    path: str = ""
    content_hash: str = ""


@dataclass(frozen=True)
class Chunk:
    """The unit that is embedded, indexed and retrieved."""

    chunk_id: str
    doc_id: str
    group: int
    group_title: str
    lang: str
    text: str
    statements: tuple[Statement, ...]
    title: str = ""
    source: str = ""
    date: str = ""
    #: The pages the chunk covers (PDF), () elsewhere.
    pages: tuple[int, ...] = ()
    #: The heading path, "第二章 … › 一、主要任务", for structured documents.
    section: str = ""
    #: The slide or sheet for formats without pages.
    place: str = ""
    #: The file the chunk was read from, for structured documents (the card links to it).
    file: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["statements"] = [s.to_dict() for s in self.statements]
        d["pages"] = list(self.pages)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Chunk":
        d = dict(d)
        d["statements"] = tuple(Statement.from_dict(s) for s in d.get("statements", ()))
        d["pages"] = tuple(d.get("pages", ()))
        return cls(**d)


@dataclass(frozen=True)
class RetrieverHit:
    """What one retriever said about a chunk: its rank (1-based) and raw score."""

    rank: int
    score: float


@dataclass(frozen=True)
class SearchHit:
    """A fused retrieval result."""

    rank: int
    chunk: Chunk
    score: float
    retrievers: dict[str, RetrieverHit] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "doc_id": self.chunk.doc_id,
            "chunk_id": self.chunk.chunk_id,
            "group": self.chunk.group,
            "group_title": self.chunk.group_title,
            "lang": self.chunk.lang,
            "score": round(self.score, 6),
            "retrievers": {k: {"rank": v.rank, "score": round(v.score, 6)}
                           for k, v in self.retrievers.items()},
            "text": self.chunk.text,
            "statements": [s.to_dict() for s in self.chunk.statements],
            "pages": list(self.chunk.pages),
            "section": self.chunk.section,
            "place": self.chunk.place,
        }


@dataclass(frozen=True)
class Language:
    """Detected language of a text: ``zh``, ``en`` or ``mixed``, plus the dominant one (``zh``/``en``)."""

    code: str
    dominant: str
    cjk_ratio: float


@dataclass(frozen=True)
class SearchResult:
    """Everything a search returns."""

    query: str
    language: Language
    hits: list[SearchHit]
    timings: dict[str, float] = field(default_factory=dict)
    id: Any = None
    #: The embedded query (kept for statement-level scoring; not serialised).
    query_vector: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "query": self.query, "language": self.language.code,
                "dominant_language": self.language.dominant,
                "results": [h.to_dict() for h in self.hits],
                "timings": {k: round(v, 2) for k, v in self.timings.items()}}


@dataclass(frozen=True)
class Where:
    """A search filter: only chunks of these documents and/or in this language (empty: any)."""

    doc_ids: tuple[str, ...] = ()
    lang: str = ""

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.lang)

    def admits(self, doc_id: str, lang: str) -> bool:
        """True when a chunk of document ``doc_id`` in language ``lang`` passes this filter."""
        return (not self.doc_ids or doc_id in self.doc_ids) and (not self.lang or lang == self.lang)
