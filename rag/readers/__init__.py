"""Readers for structured files: one module per format behind one entry point, ``read_structured``.

Before a reader runs, the file's first bytes are checked against its extension (a .pdf that is a zip,
a .docx that is an old binary Word file or an encrypted package) and an Office package's unpacked size
against a limit, so a disguised or hostile file gets one line instead of a traceback or a hung parse.
"""

from __future__ import annotations

import hashlib
import zipfile
import io
from pathlib import Path
from typing import Callable

from ..errors import DocumentError
from ..records import Document
from . import pdf, sheets, slides, web, word
from .common import Extracted

Reader = Callable[[Path, bytes, int], Extracted]

#: Extension -> (reader, kind, what the file must look like).
READERS: dict[str, tuple[Reader, str, str]] = {
    ".pdf": (pdf.read, "pdf", "pdf"),
    ".docx": (word.read, "docx", "word/"),
    ".pptx": (slides.read, "pptx", "ppt/"),
    ".xlsx": (sheets.read, "xlsx", "xl/"),
    ".html": (web.read, "html", "html"),
    ".htm": (web.read, "html", "html"),
}
STRUCTURED_SUFFIXES = tuple(READERS)

#: An Office package may unpack to at most this many times the upload limit (a zip bomb unpacks to
#: thousands of times its size; real .docx/.xlsx files to 2-20 times).
MAX_UNPACKED_RATIO = 50

_NAMES = {"pdf": "a PDF", "zip": "a zip archive", "ole": "an old binary Office file or an encrypted Office file",
          "html": "a web page", "text": "plain text", "binary": "binary data"}
_PACKAGES = {"word/": "a Word file (.docx)", "ppt/": "a PowerPoint file (.pptx)", "xl/": "an Excel file (.xlsx)"}


def sniff(data: bytes) -> str:
    """What the bytes are, whatever the extension says: pdf, zip, ole, html, text or binary."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<!--")) or b"<html" in lowered:
        return "html"
    return "binary" if b"\x00" in head else "text"


def _check_package(path: Path, data: bytes, want: str, max_bytes: int) -> None:
    """An Office file must be a zip holding ``want`` (word/, ppt/, xl/) that unpacks to a sane size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise DocumentError(f"{path}: the file is corrupt or truncated (not a complete zip package)",
                            "export or download it again") from None
    names = [i.filename for i in infos]
    if not any(n.startswith(want) for n in names):
        found = next((label for prefix, label in _PACKAGES.items() if any(n.startswith(prefix) for n in names)),
                     "a zip archive")
        raise DocumentError(f"{path}: the extension says {path.suffix} but the file is {found}",
                            "rename it with the right extension")
    unpacked = sum(i.file_size for i in infos)
    limit = max(max_bytes * MAX_UNPACKED_RATIO, 64 * 1024 * 1024)
    if unpacked > limit:
        raise DocumentError(f"{path}: unpacks to {unpacked:,} bytes from {len(data):,} (a zip bomb?); "
                            f"the limit is {limit:,}", "leave the file out, or split it into smaller files")


def read_structured(path: Path, data: bytes, doc_id: str, max_bytes: int, max_pages: int,
                    ocr: bool = False) -> Document:
    """Read a PDF, Word, web page, slides or spreadsheet file into a ``Document`` of blocks; ``ocr``
    reads a PDF's scanned pages from their images (``pdf.OcrReader``)."""
    from ..language import detect_language  # local import: language pulls in langdetect

    reader, kind, want = READERS[path.suffix.lower()]
    found = sniff(data)
    if want == "pdf" and found != "pdf" or want == "html" and found not in ("html", "text") \
            or want.endswith("/") and found != "zip":
        if found == "ole" and want.endswith("/"):
            raise DocumentError(f"{path}: an encrypted (password-protected) or old binary Office file",
                                f"save an unprotected copy as {path.suffix}")
        raise DocumentError(f"{path}: the extension says {path.suffix} but the file is {_NAMES[found]}",
                            "rename it with the right extension, or export it again")
    if want.endswith("/"):
        _check_package(path, data, want, max_bytes)
    extracted = pdf.read(path, data, max_pages, ocr=ocr) if kind == "pdf" else reader(path, data, max_pages)
    blocks = [b for b in extracted.blocks if b.text.strip()]
    if not any(b.kind != "heading" for b in blocks):
        why = "; ".join(extracted.warnings) or "no text layer"
        raise DocumentError(f"{path}: no readable text ({why})",
                            "set RAG_OCR=on (the ocr extra) or run OCR on it first, or leave it out" if kind == "pdf"
                            else "export it with its text (not as pictures), or leave it out")
    sample = " ".join(b.text for b in blocks)[:4000]
    return Document(doc_id=doc_id, title=extracted.title or path.stem, lang=detect_language(sample).dominant,
                    kind=kind, blocks=tuple(blocks), pages=extracted.pages, warnings=extracted.warnings,
                    path=str(path), content_hash=hashlib.sha256(data).hexdigest())
