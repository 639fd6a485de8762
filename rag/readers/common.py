"""What every reader returns, and the table formatting they share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Block


@dataclass(frozen=True)
class Extracted:
    """A file's content before it becomes a ``Document``: blocks in reading order and what was lost."""

    blocks: list[Block]
    title: str = ""
    #: Pages (PDF), slides or sheets in the file.
    pages: int = 0
    warnings: tuple[str, ...] = ()


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A table row is one line: line breaks inside a cell become spaces, pipes are escaped.
    return " ".join(text.split()).replace("|", "\\|")


def table_blocks(rows: list[list[object]], pages: tuple[int, ...] = (), place: str = "",
                 caption: str = "") -> list[Block]:
    """A table as one Markdown table block whose first row is the header. Empty rows and columns
    are dropped; a table with a single row is a line of text."""
    cells = [[_cell(v) for v in row] for row in rows]
    cells = [r for r in cells if any(r)]
    if not cells:
        return []
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    keep = [j for j in range(width) if any(r[j] for r in cells)]
    cells = [[r[j] for j in keep] for r in cells]
    if len(cells) == 1:
        return [Block(text=" · ".join(c for c in cells[0] if c), pages=pages, place=place)]
    line = lambda r: "| " + " | ".join(r) + " |"  # noqa: E731
    header = line(cells[0]) + "\n|" + "---|" * len(keep)
    body = "\n".join(line(r) for r in cells[1:])
    text = (caption + "\n" if caption else "") + header + "\n" + body
    return [Block(text=text, kind="table", pages=pages, place=place, header=header)]


def markdown_blocks(text: str, place: str = "") -> list[Block]:
    """Markdown (as trafilatura writes it) as blocks: ``#`` headings, ``|`` tables, paragraphs."""
    from .clean import clean_line, heading_level, join_lines

    blocks: list[Block] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Block(text=join_lines(para), place=place))
            para.clear()

    while i < len(lines):
        line = clean_line(lines[i])
        if line.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                row = lines[i].strip().strip("|")
                if not re.fullmatch(r"[\s|:\-]+", row):  # the |---| rule
                    rows.append([clean_line(c) for c in re.split(r"(?<!\\)\|", row)])
                i += 1
            blocks += table_blocks(rows, place=place)
            continue
        m = re.match(r"(#{1,6})\s+(.*)", line)
        if m:
            flush()
            blocks.append(Block(text=m.group(2).strip(), kind="heading", level=len(m.group(1)), place=place))
        elif not line:
            flush()
        elif heading_level(line) and not para:
            blocks.append(Block(text=line, kind="heading", level=heading_level(line), place=place))
        elif re.match(r"[-*+]\s+|\d+[.)]\s+", line):  # a list item is a paragraph of its own
            flush()
            para.append(re.sub(r"^[-*+]\s+", "", line))
            flush()
        else:
            para.append(line)
        i += 1
    flush()
    return blocks
