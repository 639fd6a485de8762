"""Web pages (.html, .htm): trafilatura for the main text without navigation and footers, the title
from its metadata; BeautifulSoup's plain text when trafilatura finds no main text."""

from __future__ import annotations

from pathlib import Path

from ..errors import DocumentError
from ..records import Block
from .clean import clean_line
from .common import Extracted, markdown_blocks


def read(path: Path, data: bytes, max_pages: int) -> Extracted:
    """Read a saved web page; raises ``DocumentError`` when it holds no text at all."""
    import trafilatura  # imported here so only web pages need it

    warnings: tuple[str, ...] = ()
    meta = trafilatura.extract_metadata(data)
    title = (meta.title or "").strip() if meta is not None else ""
    # Semantic boilerplate goes first: on a short page trafilatura's recall mode keeps a <nav> menu.
    text = trafilatura.extract(_without_boilerplate(data), output_format="markdown", include_tables=True,
                               include_comments=False, favor_recall=True)
    if text and text.strip():
        blocks = markdown_blocks(text)
    else:
        blocks = _soup_blocks(data)
        warnings = (f"{path.name}: no main article found; the page's whole text was indexed",) if blocks else ()
    if not blocks:
        raise DocumentError(f"{path}: the web page has no text", "save the page with its content, or leave it out")
    if title and blocks[0].kind == "heading" and blocks[0].text == title.split(" | ")[0]:
        title = blocks[0].text  # "What is Haystack? | Haystack" -> the article's own heading
    return Extracted(blocks=blocks, title=title, warnings=warnings)


def _without_boilerplate(data: bytes) -> str:
    """The page without menus, sidebars, footers and scripts; a <header> inside the article stays."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    for tag in soup(["script", "style", "noscript", "nav", "footer", "aside", "form", "header"]):
        if tag.name != "header" or not tag.find_parent(["article", "main"]):
            tag.decompose()
    return str(soup)


def _soup_blocks(data: bytes) -> list[Block]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_without_boilerplate(data), "lxml")
    lines = [clean_line(s) for s in soup.get_text("\n").splitlines()]
    return [Block(text=ln) for ln in lines if ln]
