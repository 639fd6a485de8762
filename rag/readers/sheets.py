"""Spreadsheets (.xlsx): openpyxl, each sheet's rows as a Markdown table under the sheet's name."""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import DocumentError
from ..records import Block
from .common import Extracted, table_blocks

#: Rows read per sheet at most; a bigger sheet is cut with a warning.
MAX_ROWS = 20_000


def read(path: Path, data: bytes, max_pages: int) -> Extracted:
    """Read a .xlsx (values, not formulas); every block carries its sheet ("Sheet: Population")."""
    import openpyxl  # imported here so only spreadsheets need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several types for a damaged package
        raise DocumentError(f"{path}: not a readable Excel file ({type(e).__name__})",
                            "the file is corrupt or not .xlsx; save it again as .xlsx") from None
    blocks: list[Block] = []
    warnings: list[str] = []
    try:
        for sheet in book.worksheets:
            place = f"Sheet: {sheet.title}"
            rows = []
            for row in sheet.iter_rows(values_only=True):
                if len(rows) >= MAX_ROWS:
                    warnings.append(f"{path.name}: sheet {sheet.title!r} has more than {MAX_ROWS:,} rows; the rest is not indexed")
                    break
                rows.append(list(row))
            table = table_blocks(rows, place=place)
            if table:
                blocks.append(Block(text=sheet.title, kind="heading", level=1, place=place))
                blocks += table
        sheets = len(book.worksheets)
    finally:
        book.close()
    title = (book.properties.title or "").strip() if book.properties else ""
    return Extracted(blocks=blocks, title=title, pages=sheets, warnings=tuple(warnings))
