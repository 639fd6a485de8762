"""Documents: read files into ``Document`` records: news summaries, plain text, Markdown and JSONL
here, PDF, Word, web pages, slides and spreadsheets through ``rag.readers``.

The news-summary parsing is hand-written because the layout is this product's own format; no library
knows it.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Iterable, Iterator

from .errors import DocumentError
from .records import Document, Group, Statement

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".jsonl")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + (".pdf", ".docx", ".pptx", ".xlsx", ".html", ".htm")
#: Pages (PDF), slides or sheets per file at most (RAG_MAX_PAGES).
DEFAULT_MAX_PAGES = 2000

#: A bracket reference or citation marker, "[2]"; shared by every module that reads them.
REF_MARKER = re.compile(r"\[(\d{1,3})\]")
_REF = REF_MARKER
_SOURCE_LINE = re.compile(
    r"^(?P<source>[^\n]{1,120}?)\s*[·•|]\s*(?P<date>\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?)\s*$")
_SECTION = re.compile(r"(?=\bCore Viewpoint\b|\bGroup\s+\d+\s*[:：])")
_GROUP_HEAD = re.compile(r"^Group\s+(\d+)\s*[:：]\s*")
# A bullet ends where " - " follows a reference or sentence-final punctuation; a bare " - " inside
# a bullet (e.g. "Invest in China - Choose Development Zone") is not a boundary.
_BULLET_BOUNDARY = re.compile(r"(?<=[\].!?。！？\"”])\s+-\s+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A sentence ends at . ! ? 。！？； plus any closing quote and the references that follow it.
_SENTENCE = re.compile(r"(.+?[.!?。！？；][”’」\"')）]?(?:\s*\[\d{1,3}\])*)(?:\s+|(?=[^\s\[])|$)", re.S)


def content_hash(text: str) -> str:
    """sha256 of the text after newline normalisation, so CRLF copies hash the same."""
    norm = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def slugify(name: str) -> str:
    """A stable, filesystem- and URL-safe document id from a file name or title."""
    slug = re.sub(r"[^\w\-.]+", "-", name.strip(), flags=re.UNICODE).strip("-.").lower()
    return slug[:120] or "doc"


def split_refs(text: str) -> Statement:
    """Separate the source's bracket references from a bullet's text: ``"x [2][3]"`` -> refs (2, 3)."""
    refs = tuple(dict.fromkeys(int(m) for m in _REF.findall(text)))
    clean = " ".join(_REF.sub(" ", text).split())
    clean = re.sub(r"\s+([.,;:!?，。；：！？])", r"\1", clean)
    return Statement(text=clean, refs=refs)


def split_sentences(text: str) -> list[str]:
    """Sentence split for English and Chinese prose; each sentence keeps the refs that follow it.

    A period inside a number (27.2) or an abbreviation followed by a lower-case word does not end a
    sentence: an English sentence must be followed by a space and a capital, digit or quote.
    """
    out: list[str] = []
    pos = 0
    for m in _SENTENCE.finditer(text):
        piece = m.group(1)
        end_char = _REF.sub("", piece).rstrip()[-1:]
        rest = text[m.end():]
        spaced = m.end() > m.end(1)
        if end_char in ".!?" and rest and (not spaced or not re.match(r"[A-Z0-9\"“(\[]|[\u4e00-\u9fff]", rest)):
            continue  # "27.2 billion", "e.g. this": not a boundary
        out.append(text[pos:m.end()].strip())
        pos = m.end()
    tail = text[pos:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def is_news_summary(text: str) -> bool:
    """True for the news-summary layout: an English summary that opens with 'Core Viewpoint'."""
    return text.lstrip("\ufeff").lstrip().startswith("Core Viewpoint")


def parse_news_summary(text: str, doc_id: str, path: str = "") -> Document:
    """Parse a news summary, in the one-line layout or with one bullet per line."""
    lines = [ln.strip() for ln in text.lstrip("\ufeff").splitlines()]
    summary_parts: list[str] = []
    headline = source = date = ""
    for line in lines:
        if not line:
            continue
        m = _SOURCE_LINE.match(line)
        if m:
            source, date = m.group("source").strip(), m.group("date")
            continue
        if not headline and _CJK.search(line) and not _looks_like_summary_line(line):
            headline = line
            continue
        summary_parts.append(line)
    summary = " ".join(summary_parts)
    groups: list[Group] = []
    for section in _SECTION.split(summary):
        section = section.strip()
        if not section:
            continue
        if section.startswith("Core Viewpoint"):
            number, title = 0, "Core Viewpoint"
            body = section[len("Core Viewpoint"):].strip()
            body = re.sub(r"^[-:：]\s*", "", body)
        else:
            m = _GROUP_HEAD.match(section)
            if not m:
                raise DocumentError(f"{path or doc_id}: text before the first group cannot be placed",
                                    "start the summary with 'Core Viewpoint' or 'Group N:'")
            number = int(m.group(1))
            rest = section[m.end():]
            title, _, body = rest.partition(" - ")
            title = title.strip()
        bullets = [b for b in _BULLET_BOUNDARY.split(body.strip().lstrip("- ").strip()) if b.strip()]
        statements = tuple(split_refs(b) for b in bullets)
        groups.append(Group(number=number, title=title, statements=statements))
    if not groups or not any(g.statements for g in groups):
        raise DocumentError(f"{path or doc_id}: no 'Core Viewpoint' or 'Group N:' statements found",
                            "check the file follows the news-summary layout")
    numbers = [g.number for g in groups]
    if len(set(numbers)) != len(numbers):
        raise DocumentError(f"{path or doc_id}: group numbers repeat ({numbers})",
                            "give each 'Group N:' a distinct number")
    return Document(doc_id=doc_id, title=headline or doc_id, lang="en", kind="news-summary",
                    source=source, date=date, groups=tuple(groups), path=path,
                    content_hash=content_hash(text))


def _looks_like_summary_line(line: str) -> bool:
    return line.startswith(("-", "Core Viewpoint", "Group ")) and not _cjk_dominant(line)


def _cjk_dominant(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(bool(_CJK.match(c)) for c in letters) / len(letters) > 0.3


def parse_plain(text: str, doc_id: str, path: str = "", markdown: bool = False,
                title: str = "", lang: str = "", source: str = "", date: str = "") -> Document:
    """Plain text or Markdown: paragraphs (blank-line separated); Markdown headings become titles."""
    from .language import detect_language  # local import: language pulls in langdetect

    paragraphs: list[str] = []
    heading = ""
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").lstrip("\ufeff")):
        block = block.strip()
        if not block:
            continue
        if markdown and block.startswith("#"):
            first, _, rest = block.partition("\n")
            heading = first.lstrip("#").strip()
            title = title or heading
            block = rest.strip()
            if not block:
                continue
        if not title:
            title = block.splitlines()[0][:80]
        # Markdown paragraphs carry their section heading (maybe empty) on line one; chunking splits it off.
        paragraphs.append(f"{heading}\n{block}" if markdown else block)
    if not paragraphs:
        raise DocumentError(f"{path or doc_id}: the document has no text", "add text or leave the file out")
    lang = lang or detect_language(" ".join(paragraphs)[:2000]).dominant
    return Document(doc_id=doc_id, title=title or doc_id, lang=lang,
                    kind="markdown" if markdown else "text", source=source, date=date,
                    paragraphs=tuple(paragraphs), path=path, content_hash=content_hash(text))


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """A file's bytes, refusing an unreadable, empty or oversized file with one line."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise DocumentError(f"{path}: cannot be read ({e.strerror})", "check the path") from None
    if size > max_bytes:
        raise DocumentError(f"{path}: {size:,} bytes is over the {max_bytes:,}-byte limit",
                            "split the file or raise RAG_MAX_FILE_BYTES")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DocumentError(f"{path}: cannot be read ({e.strerror})", "check the file's permissions") from None
    if not data.strip():
        raise DocumentError(f"{path}: the file is empty", "add text or leave the file out")
    return data


def read_text(path: Path, max_bytes: int) -> str:
    """Read a UTF-8 text file, refusing binary, empty, oversized or mis-encoded input with one line."""
    data = read_bytes(path, max_bytes)
    if b"\x00" in data:
        raise DocumentError(f"{path}: looks binary (contains NUL bytes)", "index UTF-8 .txt, .md or .jsonl files")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DocumentError(f"{path}: not UTF-8 (bad byte 0x{data[e.start]:02x} at offset {e.start})",
                            "convert it to UTF-8, e.g. `iconv -f GB18030 -t UTF-8`") from None
    if not text.strip():
        raise DocumentError(f"{path}: the file is empty", "add text or leave the file out")
    return text


def parse_text(text: str, doc_id: str, path: str = "", markdown: bool = False) -> Document:
    """Parse one text document, choosing the news-summary parser when the layout matches."""
    if is_news_summary(text):
        return parse_news_summary(text, doc_id, path)
    return parse_plain(text, doc_id, path, markdown=markdown)


def parse_jsonl(text: str, path: str = "") -> list[Document]:
    """One document per line: ``id``, ``title``, ``text``, ``lang``, optional ``source``, ``date``."""
    docs: list[Document] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path or '<jsonl>'}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DocumentError(f"{where}: not valid JSON ({e.msg})", "fix or remove that line") from None
        if not isinstance(obj, dict):
            raise DocumentError(f"{where}: expected a JSON object", "write one object per line")
        missing = [k for k in ("id", "title", "text", "lang") if not isinstance(obj.get(k), str) or not obj[k].strip()]
        if missing:
            raise DocumentError(f"{where}: missing or empty field(s) {', '.join(missing)}",
                                "each line needs string fields id, title, text and lang")
        if obj["lang"] not in ("zh", "en"):
            raise DocumentError(f"{where}: lang must be 'zh' or 'en', not {obj['lang']!r}", "fix the lang field")
        doc_id = slugify(obj["id"])
        if doc_id in seen:
            raise DocumentError(f"{where}: duplicate id {obj['id']!r}", "give each document its own id")
        seen.add(doc_id)
        source, date = str(obj.get("source", "")), str(obj.get("date", ""))
        if is_news_summary(obj["text"]):
            doc = parse_news_summary(obj["text"], doc_id, where)
            doc = Document(**{**doc.__dict__, "title": obj["title"], "source": source or doc.source,
                              "date": date or doc.date, "kind": "jsonl"})
        else:
            doc = parse_plain(obj["text"], doc_id, where, title=obj["title"], lang=obj["lang"],
                              source=source, date=date)
            doc = Document(**{**doc.__dict__, "kind": "jsonl"})
        docs.append(Document(**{**doc.__dict__, "path": path,
                                "content_hash": content_hash(json.dumps(obj, sort_keys=True, ensure_ascii=False))}))
    if not docs:
        raise DocumentError(f"{path or '<jsonl>'}: no documents in the file", "add one JSON object per line")
    return docs


def load_file(path: Path, max_bytes: int = 20 * 1024 * 1024, max_pages: int = DEFAULT_MAX_PAGES,
              ocr: bool = False) -> list[Document]:
    """Read one file into documents; raise ``DocumentError`` with a one-line reason on bad input.
    ``ocr`` reads a PDF's scanned pages by OCR (``RAG_OCR``)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{path}: unsupported file type '{suffix or '(none)'}'",
                            f"use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if suffix not in TEXT_SUFFIXES:
        from .readers import read_structured  # the format libraries load only when such a file comes

        # The id keeps the extension ("report.pdf"): a report often comes as .pdf and .docx side by side.
        return [read_structured(path, read_bytes(path, max_bytes), slugify(path.name), max_bytes, max_pages, ocr=ocr)]
    text = read_text(path, max_bytes)
    if suffix == ".jsonl":
        return parse_jsonl(text, str(path))
    return [parse_text(text, slugify(path.stem), str(path), markdown=suffix in (".md", ".markdown"))]


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Expand folders (recursively, supported suffixes only, sorted) and pass files through."""
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES)
        elif p.exists():
            yield p
        else:
            raise DocumentError(f"{p}: no such file or folder", "check the path")


def load_documents(paths: Iterable[Path], max_bytes: int = 20 * 1024 * 1024,
                   max_pages: int = DEFAULT_MAX_PAGES, ocr: bool = False) -> list[Document]:
    """Load every document under ``paths``. All files are parsed before anything is indexed, so one
    bad file stops the whole batch without touching the index."""
    docs: list[Document] = []
    ids: dict[str, str] = {}
    for f in iter_files(paths):
        for d in load_file(f, max_bytes, max_pages, ocr=ocr):
            if d.doc_id in ids:
                raise DocumentError(f"{f}: document id '{d.doc_id}' is also used by {ids[d.doc_id]}",
                                    "rename one of the files (the id comes from the file name)")
            ids[d.doc_id] = str(f)
            docs.append(d)
    return docs


def bundled_corpus() -> Path:
    """Folder of the default corpus that ships inside the package."""
    return Path(__file__).parent / "data"
