"""Word (.docx): python-docx, paragraphs and tables in body order, heading levels from the styles."""

from __future__ import annotations

import io
import re
from pathlib import Path

from ..errors import DocumentError
from ..records import Block
from .clean import clean_line, heading_level
from .common import Extracted, table_blocks


def _style_level(style_name: str) -> int:
    """"Heading 2" / "标题 2" -> 2, "Title" / "标题" -> 1, anything else 0."""
    m = re.match(r"(?:heading|标题)\s*(\d)", style_name.strip(), re.I)
    if m:
        return int(m.group(1))
    return 1 if style_name.strip().lower() in ("title", "标题") else 0


def read(path: Path, data: bytes, max_pages: int) -> Extracted:
    """Read a .docx; raises ``DocumentError`` when python-docx cannot open it."""
    import docx  # python-docx; imported here so only Word files need it

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises several types for a damaged package
        raise DocumentError(f"{path}: not a readable Word file ({type(e).__name__})",
                            "the file is corrupt or not .docx; save it again as .docx") from None
    blocks: list[Block] = []
    title = (document.core_properties.title or "").strip()
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):  # a table
            rows = [[cell.text for cell in row.cells] for row in item.rows]
            blocks += table_blocks(rows)
            continue
        text = clean_line(item.text)
        if not text:
            continue
        level = _style_level(item.style.name if item.style is not None else "") or heading_level(text)
        if level:
            title = title or text
            blocks.append(Block(text=text, kind="heading", level=level))
        else:
            blocks.append(Block(text=text))
    images = len(document.inline_shapes)
    warnings = (f"{path.name}: {images} image(s) not read; text inside images needs OCR",) if images else ()
    return Extracted(blocks=blocks, title=title, warnings=warnings)
