"""Slides (.pptx): python-pptx, each slide's title, text frames, tables and speaker notes, in order."""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import DocumentError
from ..records import Block
from .clean import clean_line
from .common import Extracted, table_blocks


def read(path: Path, data: bytes, max_pages: int) -> Extracted:
    """Read a .pptx; every block carries its slide ("Slide 3")."""
    from pptx import Presentation  # imported here so only slides need python-pptx

    try:
        deck = Presentation(io.BytesIO(data))
    except Exception as e:  # python-pptx raises several types for a damaged package
        raise DocumentError(f"{path}: not a readable PowerPoint file ({type(e).__name__})",
                            "the file is corrupt or not .pptx; save it again as .pptx") from None
    if len(deck.slides) > max_pages:
        raise DocumentError(f"{path}: {len(deck.slides)} slides is over the {max_pages}-page limit",
                            "split the deck or raise RAG_MAX_PAGES")
    blocks: list[Block] = []
    pictures = 0
    for number, slide in enumerate(deck.slides, start=1):
        place = f"Slide {number}"
        title_shape = slide.shapes.title
        title = clean_line(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
        # Every slide starts a section, titled or not, so its text never runs into the previous slide's.
        blocks.append(Block(text=title or place, kind="heading", level=1, place=place))
        for shape in _shapes(slide.shapes):
            if shape is title_shape:
                continue
            if getattr(shape, "has_table", False) and shape.has_table:
                rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
                blocks += table_blocks(rows, place=place)
            elif shape.has_text_frame:
                for para in shape.text_frame.paragraphs:
                    text = clean_line(para.text)
                    if text:
                        blocks.append(Block(text=text, place=place))
            elif shape.shape_type == 13:  # MSO_SHAPE_TYPE.PICTURE
                pictures += 1
        if slide.has_notes_slide:
            notes = clean_line(" ".join(slide.notes_slide.notes_text_frame.text.split()))
            if notes:
                blocks.append(Block(text=f"Notes · 备注: {notes}", place=place))
    warnings = (f"{path.name}: {pictures} picture(s) not read; text inside pictures needs OCR",) if pictures else ()
    title = (deck.core_properties.title or "").strip() or next((b.text for b in blocks if b.kind == "heading"
                                                                 and not b.text.startswith("Slide ")), "")
    return Extracted(blocks=blocks, title=title, pages=len(deck.slides), warnings=warnings)


def _shapes(shapes):
    """Shapes in order, the members of groups included."""
    for shape in shapes:
        if shape.shape_type == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shapes(shape.shapes)
        else:
            yield shape
