"""Text clean-up shared by the readers: look-alike radicals, broken lines, running headers, headings.

Hand-written because no library does these for Chinese: NFKC fixes the Kangxi radicals but also turns
full-width punctuation (，) into ASCII, and line joining and header detection depend on the script.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# The CJK Radicals Supplement characters that NFKC leaves alone but fonts map ordinary characters
# to (PDFs printed from browsers on some systems are full of them), as their ordinary characters.
_SUPPLEMENT = dict(zip(
    "⺁⺇⺊⺌⺗⺟⺠⺡⺢⺣⺤⺦⺧⺨⺩⺫⺬⺭⺮⺯⺰⺶⺹⺻⺼⺾⻁⻂⻄⻅⻆⻈⻉⻊⻋⻌⻍⻏⻐⻓⻔⻖⻗⻘⻙⻚⻛⻜⻝⻠⻢⻣⻤⻥⻦⻧⻨⻩⻪⻬⻮⻰⻳",
    "厂几卜小心母民氵氵灬爫丬牛犭王罒示礻竹糸纟羊耂聿月艹虎衤西见角讠贝足车辶辶阝钅长门阝雨青韦页风飞食饣马骨鬼鱼鸟卤麦黄黾齐齿龙龟"))
# The Kangxi radicals block maps one to one under NFKC (⼈ -> 人), so only that block is normalised.
_RADICALS = str.maketrans({**{chr(cp): unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)},
                           **_SUPPLEMENT})

_SPACE_IN_HAN = re.compile(rf"(?<=[{_HAN}])[ \u3000]+(?=[{_HAN}\d])|(?<=\d) +(?=[{_HAN}])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# Glyphs with no Unicode map come out as private-use or replacement characters, as "(cid:N)", or
# (pdfium without a ToUnicode map) as the glyph ids read as code points: a salad of Latin Extended,
# IPA, combining marks, Greek, Cyrillic, Armenian, Hebrew, Arabic and the like, which Chinese or
# English text next to never holds (Latin Extended Additional, Vietnamese, is left out).
_PRIVATE = re.compile(r"[\ue000-\uf8ff\ufffd\u0180-\u1dff\u1f00-\u1fff]|\(cid:\d+\)")
_SENTENCE_END = re.compile(r"[。！？；.!?;:：”」』）)]$")


def fix_radicals(text: str) -> str:
    """Kangxi-radical and radical-supplement look-alikes (⼈⼯, ⻓) as the ordinary characters (人工, 长)."""
    return text.translate(_RADICALS)


def clean_line(line: str) -> str:
    """One line of extracted text: look-alikes fixed, control characters dropped, stray spaces
    between Han characters ("2023 年") removed, other runs of spaces collapsed. A tab (a table-cell
    gap found by the PDF reader) stays; spaces around it go."""
    line = _CONTROL.sub("", fix_radicals(line)).replace("\u00a0", " ")
    line = _SPACE_IN_HAN.sub("", line)
    line = re.sub(r" *\t[ \t]*", "\t", re.sub(r" {2,}", " ", line))
    return line.strip()


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph as running text: no space where a line break falls between Han
    characters (Chinese has no spaces), a space between words, and a hyphen at a break kept only
    when the next line does not continue the word."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if not out:
            out = line
        elif re.search(rf"[{_HAN}，、：；（“]$", out) or re.match(rf"[{_HAN}，。、：；！？）”]", line):
            out += line
        elif out.endswith("-") and re.match(r"[a-z]", line):
            out = out[:-1] + line
        else:
            out += " " + line
    return out


def unreadable_share(text: str) -> float:
    """Share of non-space characters that are private-use, replacement, ``(cid:N)`` or glyph-id
    salad: text from fonts without a Unicode map."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    bad = sum(len(m.group()) for m in _PRIVATE.finditer(text))
    return min(1.0, bad / len(chars))


def ends_sentence(text: str) -> bool:
    """True when a line ends a sentence (so a paragraph may end there)."""
    return bool(_SENTENCE_END.search(text.strip()))


_PAGE_NUMBER = re.compile(r"^(?:[-–—\s]*\d{1,4}[-–—\s]*|第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|"
                          r"(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?|\d{1,4}\s*/\s*\d{1,4})$", re.I)


def _shape(line: str) -> str:
    # Digits vary between pages ("3/12", "2025/5/27 10:03"); the rest of a running header does not.
    return re.sub(r"\d+", "#", line.strip().lower())


def running_lines(pages: list[list[str]], edge: int = 3) -> set[str]:
    """Shapes of lines that repeat at the top or bottom of at least half the pages (at least 3, or
    both of two): running headers and footers, page numbers included."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        nonblank = [ln for ln in lines if ln.strip()]
        counts.update({_shape(ln) for ln in nonblank[:edge] + nonblank[-edge:]})
    # Two pages show a running line only when both have it; more pages need half of them, 3 at least.
    need = 2 if len(pages) == 2 else max(3, len(pages) / 2)
    return {shape for shape, n in counts.items() if n >= need}


def strip_running(lines: list[str], running: set[str], edge: int = 3) -> list[str]:
    """A page's lines without its running header and footer lines and its bare page number."""
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    edges = set(nonblank[:edge] + nonblank[-edge:])
    return [ln for i, ln in enumerate(lines)
            if not (i in edges and (_shape(ln) in running or _PAGE_NUMBER.match(ln.strip())))]


_CN_NUM = "一二三四五六七八九十百零〇两"
# (pattern, level): chapters above sections above numbered items; levels only order headings.
_HEADINGS = [
    (re.compile(rf"^第[{_CN_NUM}\d]+[编部篇章](?:\s|$|[^，。；])"), 1),
    (re.compile(rf"^第[{_CN_NUM}\d]+节(?:\s|$|[^，。；])"), 2),
    (re.compile(rf"^[{_CN_NUM}]+[、．.]\s*\S"), 2),
    (re.compile(rf"^[（(][{_CN_NUM}]+[）)]\s*\S"), 3),
    (re.compile(rf"^第[{_CN_NUM}\d]+条(?:\s|$)"), 4),
    (re.compile(r"^\d+\.\d+\.\d+\.?\s+\S"), 4),
    (re.compile(r"^\d+\.\d+\.?\s+\S"), 3),
    (re.compile(r"^\d+[.、]\s*[A-Z\u4e00-\u9fff]"), 2),
    (re.compile(r"^(?:chapter|part|section)\s+\d+\b", re.I), 1),
    # Appendices close a report: "附录一 2024年大事记", "附件2", "Appendix A".
    (re.compile(rf"^(?:附录|附件)\s*[{_CN_NUM}\dA-Z]+(?:\s|$|[^，。；])"), 1),
    (re.compile(r"^(?:appendix|annex)\s+(?:[A-Z]|\d+)\b", re.I), 1),
]


def heading_level(line: str) -> int:
    """The level of a heading line ("第二章 …", "一、…", "（一）…", "2.1 …"), 0 for body text. A heading
    is short and does not end like a sentence, so a numbered list item with a full sentence is text."""
    line = line.strip()
    if not line or len(line) > 60 or (len(line.split()) > 12) or re.search(r"[，,。；;]$|[。；]", line):
        return 0
    for pattern, level in _HEADINGS:
        if pattern.match(line):
            # "1. The zones used $27.2 billion." is a list item; a heading has no final period.
            if line.endswith(".") and level >= 2:
                return 0
            return level
    return 0
