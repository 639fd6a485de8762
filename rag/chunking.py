"""Chunks: one per news-summary group (Core Viewpoint = group 0), one for the headline with source and
date (group -1), and one per paragraph of plain documents. Chunk ids derive from the document id
and the group or paragraph number only, so they are stable across runs."""

from __future__ import annotations

from .documents import split_refs, split_sentences
from .language import detect_language
from .records import Chunk, Document, Statement

HEADLINE_GROUP = -1

#: Raised whenever chunking changes what a document's chunks say (2: the publisher line is labelled
#: 发布媒体). The indexer re-chunks documents indexed under another version on its next run, so an
#: existing index picks the change up without `--rebuild`.
CHUNKING_VERSION = 2


def group_label(group: int, group_title: str, chunk_id: str = "") -> str:
    """How a chunk is named to readers: "Group 1: …", "Core Viewpoint", "Headline", "Passage 2: …"."""
    if chunk_id.rsplit("#", 1)[-1].startswith("p"):
        return f"Passage {group}: {group_title}"
    if group == HEADLINE_GROUP:
        return "Headline · 标题"
    if group == 0:
        return "Core Viewpoint · 核心观点"
    return f"Group {group}: {group_title}"


def chunk_document(doc: Document) -> list[Chunk]:
    """Split a document into chunks ready for embedding and lexical indexing."""
    common = {"doc_id": doc.doc_id, "title": doc.title, "source": doc.source, "date": doc.date}
    chunks: list[Chunk] = []
    for g in doc.groups:
        chunk_id = f"{doc.doc_id}#core" if g.number == 0 else f"{doc.doc_id}#g{g.number}"
        text = "\n".join([g.title, *(s.text for s in g.statements)])
        chunks.append(Chunk(chunk_id=chunk_id, group=g.number, group_title=g.title,
                            lang=detect_language(text).dominant, text=text, statements=g.statements, **common))
    if doc.kind in ("news-summary",) or (doc.groups and (doc.source or doc.date)):
        chunks.append(_headline_chunk(doc, common))
    for i, para in enumerate(doc.paragraphs, start=1):
        title, body = doc.title, para
        if doc.kind == "markdown":  # parse_plain put the section heading (maybe empty) on line one
            heading, _, body = para.partition("\n")
            title = heading or doc.title
        sentences = tuple(split_refs(s) for s in split_sentences(body.replace("\n", " ")))
        statements = tuple(s for s in sentences if s.text) or (Statement(body),)
        chunks.append(Chunk(chunk_id=f"{doc.doc_id}#p{i}", group=i, group_title=title,
                            lang=detect_language(para).dominant, text=para.strip(),
                            statements=statements, **common))
    return chunks


def _headline_chunk(doc: Document, common: dict[str, str]) -> Chunk:
    # Bilingual labels let both "谁发布的" and "who published it" match this chunk lexically. The
    # publisher's label names the outlet (媒体): "来源 Source (publisher)" ranked below the date line
    # for "这篇文章是哪家媒体发布的？" (cosine 0.374 vs 0.398; now 0.442).
    statements = [Statement(f"标题 Headline: {doc.title}")]
    if doc.source:
        statements.append(Statement(f"发布媒体（来源）Publisher / source outlet: {doc.source}"))
    if doc.date:
        statements.append(Statement(f"发布时间 Published: {doc.date}"))
    text = "\n".join(s.text for s in statements)
    return Chunk(chunk_id=f"{doc.doc_id}#headline", group=HEADLINE_GROUP, group_title="Headline",
                 lang=detect_language(doc.title).dominant, text=text, statements=tuple(statements), **common)
