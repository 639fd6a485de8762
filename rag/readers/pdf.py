"""PDF: pypdfium2 (Apache/BSD), page by page, into headings and paragraphs that keep their pages.

Running headers and footers are dropped, broken lines joined, look-alike radicals fixed. A page with
little or no text layer (scanned) or with glyphs that have no Unicode map is named in a warning and
its unreadable text is left out; it is never indexed silently as if complete.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ..errors import DocumentError
from ..records import Block
from .clean import clean_line, fix_radicals, ends_sentence, heading_level, join_lines, running_lines, strip_running, unreadable_share
from .common import Extracted, table_blocks

#: A page with an image and fewer readable characters than this is treated as scanned.
SCANNED_BELOW_CHARS = 40
#: A page where at least this share of the glyphs has no Unicode map is unreadable.
UNREADABLE_SHARE = 0.3
#: Table cells inside a line are found by the horizontal gap between characters, in units of the
#: font size. Measured on the evaluation PDFs: justified Chinese text 0.31-0.54, a stretched space
#: between Han characters 0.81, table columns 1.35-6.6, but the header cells of a narrow table
#: only 0.84-0.87. So a gap of ``CELL_GAP`` or more always separates cells, and one of
#: ``WEAK_CELL_GAP`` or more only in a line next to such a row. Between two Latin characters (word
#: spaces stretch more in narrow justified columns) both bars are 1.5 times higher.
CELL_GAP = 1.5
WEAK_CELL_GAP = 0.75
LATIN_SCALE = 1.5
_STRONG, _WEAK = "\t", "\x00"


def _page_lines(textpage, text: str) -> list[str]:
    """The page's lines in pdfium's reading order (which follows the page's columns), with a tab
    where a wide gap separates two pieces of one line: table cells, which a plain space would run
    together once spaces between Han characters are dropped."""
    import pypdfium2.raw as pdfium_c

    if len(text) != textpage.count_chars():  # characters outside the BMP: no per-character boxes
        return re.split(r"\r\n|\r|\n", text)
    lines: list[str] = []
    line: list[str] = []
    last = None  # box of the previous visible character on this line
    spaced = False
    for i, ch in enumerate(text):
        if ch in "\r\n":
            if ch == "\n" or not text.startswith("\n", i + 1):
                lines.append("".join(line))
                line, last, spaced = [], None, False
            continue
        if ch.isspace():
            spaced = True
            continue
        left, bottom, right, top = textpage.get_charbox(i)
        if last is not None:
            size = pdfium_c.FPDFText_GetFontSize(textpage.raw, i) or max(top - bottom, 1.0)
            scale = LATIN_SCALE if ch.isascii() and line[-1].isascii() else 1.0
            gap = (left - last[2]) / size
            if gap >= CELL_GAP * scale:
                line.append(_STRONG)
            elif gap >= WEAK_CELL_GAP * scale:
                line.append(_WEAK)
            elif spaced:
                line.append(" ")
        line.append(ch)
        last, spaced = (left, bottom, right, top), False
    if line:
        lines.append("".join(line))
    out = []
    for k, ln in enumerate(lines):
        if _WEAK in ln:
            near_table = any(_STRONG in lines[j] for j in (k - 1, k + 1) if 0 <= j < len(lines))
            ln = ln.replace(_WEAK, _STRONG if near_table else " ")
        out.append(ln)
    return out


def read(path: Path, data: bytes, max_pages: int, ocr: bool = False) -> Extracted:
    """Read a PDF's text layer; raises ``DocumentError`` for encrypted, corrupt or over-long files.
    With ``ocr``, a scanned page or one whose fonts have no Unicode map is read from its image
    instead (``OcrReader``), and the warning says so."""
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
        recognised: list[int] = []
        reader = OcrReader() if ocr else None
        for i in range(count):
            page = pdf[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            lines = [clean_line(ln) for ln in _page_lines(textpage, text)]
            readable = sum(1 for c in "".join(lines) if not c.isspace())
            unreadable = None  # the list naming this page when its text layer cannot be used
            if readable and unreadable_share(text) >= UNREADABLE_SHARE:
                unreadable, lines = unmapped, []
            elif readable < SCANNED_BELOW_CHARS and _has_image(page):
                unreadable = scanned
            if unreadable is not None and reader is not None and reader.available:
                unreadable, lines = recognised, reader.page_lines(page)
            if unreadable is not None:
                unreadable.append(i + 1)
            raw_pages.append(lines)
        title = _metadata_title(pdf)
    finally:
        pdf.close()
    warnings = []
    if recognised:
        warnings.append(f"{path.name}: page(s) {_ranges(recognised)} were read by OCR (rapidocr) from their "
                        "images; check their text and citations")
    elif reader is not None and not reader.available and (scanned or unmapped):
        warnings.append(f"{path.name}: RAG_OCR is on but rapidocr is not installed; "
                        "install it with pip install -e '.[ocr]'")
    if scanned:
        warnings.append(f"{path.name}: page(s) {_ranges(scanned)} have little or no text layer (scanned?); "
                        "their image text is not indexed — run OCR on the file first")
    if unmapped:
        warnings.append(f"{path.name}: page(s) {_ranges(unmapped)} use fonts without a Unicode map; their text "
                        "cannot be read and is not indexed — export the PDF again with embedded Unicode fonts")
    running = running_lines(raw_pages)
    blocks = _blocks([strip_running(lines, running) for lines in raw_pages])
    return Extracted(blocks=blocks, title=title, pages=count, warnings=tuple(warnings))


def _fit_columns(rows: list[list[str]]) -> list[list[str]]:
    """Rows cut into more cells than most rows of their table have (a name spaced out for alignment,
    "顾　盼") get their shortest neighbouring cells joined back until they fit."""
    width = Counter(len(r) for r in rows).most_common(1)[0][0]
    fitted = []
    for row in rows:
        row = list(row)
        while len(row) > width:
            i = min(range(len(row) - 1), key=lambda k: len(row[k]) + len(row[k + 1]))
            row[i:i + 2] = [row[i] + row[i + 1]]
        fitted.append(row)
    return fitted


class OcrReader:
    """Text of a page image by rapidocr (Apache-2.0; its detection and recognition models ship in
    its wheel, and it checks their sha256 before loading). Loaded on the first page that needs it
    (about 1.5 s), then about 1.5 s per A4 page on 2 cores at twice the PDF's nominal resolution."""

    #: Render scale: at 1 (72 dpi) small CJK print loses strokes; 2 read the sample page exactly.
    SCALE = 2.0

    def __init__(self) -> None:
        from importlib.util import find_spec

        self.available = find_spec("rapidocr") is not None
        self._engine = None

    def page_lines(self, page) -> list[str]:
        """The recognised lines, top to bottom as rapidocr orders its boxes."""
        if self._engine is None:
            import logging

            from rapidocr import RapidOCR

            logging.getLogger("RapidOCR").setLevel(logging.WARNING)  # it logs every model file it loads
            self._engine = RapidOCR()
        result = self._engine(page.render(scale=self.SCALE).to_pil())
        return [clean_line(t) for t in (result.txts or ()) if t.strip()]


def _has_image(page) -> bool:
    import pypdfium2.raw as raw

    return any(obj.type == raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects(max_depth=2))


def _metadata_title(pdf) -> str:
    try:
        return fix_radicals(pdf.get_metadata_dict().get("Title") or "").strip()
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

    rows: list[list[str]] = []

    def flush_table(number: int) -> None:
        if len(rows) >= 2:
            blocks.extend(table_blocks(_fit_columns(rows), pages=(number,)))
        elif rows:  # one wide-spaced line (a header with a far-right label): text
            para.append(" ".join(rows[0]))
            para_pages.append(number)
        rows.clear()

    for number, lines in enumerate(pages, start=1):
        widths = sorted(len(ln) for ln in lines if ln and "\t" not in ln)
        full = widths[int(len(widths) * 0.8)] if widths else 0
        for line in lines:
            if "\t" in line:  # a table row: cells split at wide gaps
                if not rows:
                    flush()
                rows.append(line.split("\t"))
                continue
            flush_table(number)
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
        flush_table(number)
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
