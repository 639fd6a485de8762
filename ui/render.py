"""HTML for answers, source cards and the retrieval view. Every piece of document or model text is
escaped here: the page shows text, never markup from a document or an answer."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rag.answer import Answer
from rag.chunking import chunk_label, group_label, location_label
from rag.documents import REF_MARKER

_MARKER = REF_MARKER


def answer_html(answer: Answer, turn: int) -> str:
    """The answer text with each ``[n]`` turned into a link to its source card, then the cards."""
    known = {c.n for c in answer.citations}
    text = html.escape(answer.answer)
    text = _MARKER.sub(lambda m: (f'<a class="cite" href="#src-{turn}-{m.group(1)}" title="source {m.group(1)}">'
                                  f"[{m.group(1)}]</a>") if int(m.group(1)) in known else "", text)
    lang = {"zh": "中文", "en": "English", "mixed": "mixed 中英"}.get(answer.language, answer.language)
    meta = f'<div class="answer-meta">question language: {html.escape(lang)} · answerer: {html.escape(answer.answerer)}'
    if answer.timings.get("total_ms"):
        meta += f" · {answer.timings['total_ms'] / 1000:.1f} s"
    meta += "</div>"
    if answer.refused:
        return f'<div class="answer refused">{text}</div>{meta}'
    cards = "".join(source_card(c.to_dict(), turn) for c in answer.citations)
    return f'<div class="answer">{text}</div>{meta}<div class="sources">{cards}</div>'


def _file_link(c: dict[str, Any]) -> str:
    """A link that opens the cited file (a PDF at the cited page) through Gradio's file route; the
    chat allows exactly the indexed files there (``allowed_paths``)."""
    file = c.get("file", "")
    if not file or not Path(file).is_file():
        return ""
    anchor = f"#page={c['page'] or (c.get('pages') or [0])[0]}" if file.lower().endswith(".pdf") and (
        c.get("page") or c.get("pages")) else ""
    href = f"/gradio_api/file={quote(str(Path(file).resolve()))}{anchor}"
    return f' · <a class="source-file" href="{html.escape(href)}" target="_blank" rel="noopener">open · 打开</a>'


def source_card(c: dict[str, Any], turn: int) -> str:
    refs = "".join(f"[{r}]" for r in c.get("refs", [])) or "–"
    where = (location_label(c["file"], c.get("page") or 0, c.get("pages") or [], c.get("place", ""), c.get("section", ""))
             if c.get("file") else group_label(c["group"], c.get("group_title", ""), c.get("chunk_id", "")))
    refs_part = f" · document refs {html.escape(refs)}" if c.get("refs") or not c.get("file") else ""
    return (f'<div class="source-card" id="src-{turn}-{c["n"]}">'
            f'<div class="source-head"><span class="source-n">[{c["n"]}]</span> '
            f'<span class="source-title">{html.escape(c.get("title", ""))}</span></div>'
            f'<div class="source-where">{html.escape(where)}'
            f'{refs_part} · {html.escape(c.get("lang", ""))}{_file_link(c)}</div>'
            f'<div class="source-text" lang="{html.escape(c.get("lang", ""))}">{html.escape(c["text"])}</div>'
            f'{_rendering(c)}</div>')


#: How the card labels a rendering, in the rendering's language.
RENDERING_LABEL = {"zh": "机器翻译", "en": "machine translation"}


def _rendering(c: dict[str, Any]) -> str:
    """The source's verified rendering in the question's language, labelled as machine translation."""
    if not c.get("rendering"):
        return ""
    lang = c.get("rendering_lang", "")
    label = RENDERING_LABEL.get(lang, "machine translation")
    return (f'<div class="source-rendering" lang="{html.escape(lang)}"><span class="rendering-label">{label}</span>'
            f'{html.escape(c["rendering"])}</div>')


def retrieval_rows(answer: Answer | None) -> list[list[Any]]:
    """Rows for the retrieval view: rank, chunk, fused score, dense and BM25 rank/score."""
    if answer is None or answer.search is None:
        return []
    rows = []
    for h in answer.search.hits:
        d, b = h.retrievers.get("dense"), h.retrievers.get("bm25")
        rows.append([h.rank, h.chunk.chunk_id, chunk_label(h.chunk), round(h.score, 4),
                     d.rank if d else "", round(d.score, 3) if d else "", b.rank if b else "",
                     round(b.score, 3) if b else ""])
    return rows
