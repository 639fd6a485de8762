"""PDF: pypdfium2 (Apache/BSD), page by page, into headings and paragraphs that keep their pages.

Running headers and footers are dropped, broken lines joined, look-alike radicals fixed. A page with
little or no text layer (scanned) or with glyphs that have no Unicode map is named in a warning and
its unreadable text is left out; it is never indexed silently as if complete.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import DocumentError
from ..records import Block
from .clean import clean_line, ends_sentence, heading_level, join_lines, running_lines, strip_running, unreadable_share
from .common import Extracted

#: A page with an image and fewer readable characters than this is treated as scanned.
SCANNED_BELOW_CHARS = 40
#: A page where at least this share of the glyphs has no Unicode map is unreadable.
UNREADABLE_SHARE = 0.3


def read(path: Path, data: bytes, max_pages: int) -> Extracted:
    """Read a PDF's text layer; raises ``DocumentError`` for encrypted, corrupt or over-long files."""
    import pypdfium2 as pdfium  # imported here: only PDF reading needs it

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        reason = str(e)
        if "password" in reason.lower():
            raise DocumentError(f"{path}: the PDF is encrypted (password protected)",
                                "save an unprotected copy and index that") from None
        raise DocumentError(f"{path}: not a readable PDF ({reason.split('(PDFium: ')[-1].rstrip(').')})",
                            "the file is corrupt or truncated; export it again") from None
    try:
        count = len(pdf)
        if count > max_pages:
            raise DocumentError(f"{path}: {count} pages is over the {max_pages}-page limit",
                                "split the PDF or raise RAG_MAX_PAGES")
        raw_pages: list[list[str]] = []
        scanned: list[int] = []
        unmapped: list[int] = []
        for i in range(count):
            page = pdf[i]
            text = page.get_textpage().get_text_range()
            lines = [clean_line(ln) for ln in re.split(r"\r\n|\r|\n", text)]
            readable = sum(1 for c in "".join(lines) if not c.isspace())
            if readable and unreadable_share(text) >= UNREADABLE_SHARE:
                unmapped.append(i + 1)
                lines = []
            elif readable < SCANNED_BELOW_CHARS and _has_image(page):
                scanned.append(i + 1)
            raw_pages.append(lines)
        title = _metadata_title(pdf)
    finally:
        pdf.close()
    warnings = []
    if scanned:
        warnings.append(f"{path.name}: page(s) {_ranges(scanned)} have little or no text layer (scanned?); "
                        "their image text is not indexed — run OCR on the file first")
    if unmapped:
        warnings.append(f"{path.name}: page(s) {_ranges(unmapped)} use fonts without a Unicode map; their text "
                        "cannot be read and is not indexed — export the PDF again with embedded Unicode fonts")
    running = running_lines(raw_pages)
    blocks = _blocks([strip_running(lines, running) for lines in raw_pages])
    return Extracted(blocks=blocks, title=title, pages=count, warnings=tuple(warnings))


def _has_image(page) -> bool:
    import pypdfium2.raw as raw

    return any(obj.type == raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects(max_depth=2))


def _metadata_title(pdf) -> str:
    try:
        return (pdf.get_metadata_dict().get("Title") or "").strip()
    except Exception:  # a damaged info dictionary only costs the title
        return ""


def _blocks(pages: list[list[str]]) -> list[Block]:
    """Lines of every page as heading and paragraph blocks. A paragraph ends at a heading, at a
    short line that ends a sentence, or at a blank line; one left open at a page's end runs on into
    the next page, so a sentence broken by a page break stays whole. Such a block lists both pages
    and where in its text the next page starts (``page_starts``)."""
    blocks: list[Block] = []
    para: list[str] = []
    para_pages: list[int] = []

    def flush() -> None:
        if para:
            starts = tuple(len(join_lines(para[:i])) for i in range(1, len(para)) if para_pages[i] != para_pages[i - 1])
            blocks.append(Block(text=join_lines(para), pages=tuple(dict.fromkeys(para_pages)), page_starts=starts))
            para.clear()
            para_pages.clear()

    for number, lines in enumerate(pages, start=1):
        widths = sorted(len(ln) for ln in lines if ln)
        full = widths[int(len(widths) * 0.8)] if widths else 0
        for line in lines:
            if not line:
                if para and ends_sentence(para[-1]):
                    flush()
                continue
            level = heading_level(line)
            if level:
                flush()
                blocks.append(Block(text=line, kind="heading", level=level, pages=(number,)))
                continue
            para.append(line)
            para_pages.append(number)
            if ends_sentence(line) and len(line) < 0.85 * full:
                flush()
        if para and ends_sentence(para[-1]):
            flush()
    flush()
    return blocks


def _ranges(pages: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7"."""
    out: list[str] = []
    start = prev = pages[0]
    for p in pages[1:] + [0]:
        if p != prev + 1:
            out.append(f"{start}-{prev}" if prev > start else str(start))
            start = p
        prev = p
    return ", ".join(out)
