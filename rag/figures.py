"""Figures across two languages: parse numbers with their magnitude and unit, compare, convert.

Hand-written because no library maps 万/亿/万亿 onto thousand/million/billion/trillion together with
currencies and percentages; the mapping is small and exact.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from .documents import REF_MARKER

_EN_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6, "bn": 1e9}
_ZH_SCALE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "百万": 1e6, "千万": 1e7}
_MONEY = ("usd", "cny", "gbp", "eur")
_CITATION = REF_MARKER
_FIGURE = re.compile(
    r"(?P<cur>US\$|\$|USD\s?|RMB\s?|¥|￥|£|€|GBP\s?|EUR\s?)?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:(?P<short>k|m|bn)(?![A-Za-z]))?"
    r"\s*(?P<pct>%|％|percent(?![A-Za-z]))?"
    r"(?:\s*(?P<en>trillion|billion|million|thousand|bn)(?![A-Za-z]))?"
    r"(?:\s*(?P<zh>万亿|千万|百万|亿|万|千))?"
    r"\s*(?P<unit>US dollars|dollars|yuan|RMB|美元|元|人民币|pounds|euros|英镑|欧元)?",
    re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    """A number as stated in text, with its value in base units and its kind."""

    raw: str
    value: float
    unit: str  # "usd", "cny", "gbp", "eur", "pct" or "" (a bare count or year)
    #: The currency its word names when its sign names another ("$10.7 trillion yuan": unit "usd",
    #: other_unit "cny"); ``""`` when they agree or one is missing.
    other_unit: str = ""
    #: A count of things by its Chinese measure word (5.2万辆次, 6万家): never an amount of money.
    counted: bool = False


def parse_figures(text: str) -> list[Figure]:
    """Every figure in ``text`` (citation markers like ``[2]`` are not figures)."""
    return [f for _, _, f in figure_spans(text)]


def figure_spans(text: str) -> list[tuple[int, int, Figure]]:
    """Each figure of ``text`` with where it stands (start, end); citation markers are not figures."""
    masked = _CITATION.sub(lambda m: " " * len(m.group()), text)  # same length: positions stay the text's
    spans = []
    for m in _FIGURE.finditer(masked):
        raw = m.group()
        spans.append((m.start() + len(raw) - len(raw.lstrip()), m.start() + len(raw.rstrip()), _figure(m)))
    return spans


def _figure(m: re.Match[str]) -> Figure:
    """The figure one ``_FIGURE`` match states."""
    num = float(m.group("num").replace(",", ""))
    scale = 1.0
    if m.group("en"):
        scale *= _EN_SCALE[m.group("en").lower()]
    if m.group("short") and m.group("cur"):  # "$5m" is money; a bare "5m" may be metres
        scale *= _EN_SCALE[m.group("short").lower()]
    if m.group("zh"):
        scale *= _ZH_SCALE[m.group("zh")]
    cur, unit_word = (m.group("cur") or "").strip().lower(), (m.group("unit") or "").lower()
    by_sign, by_word = _CURRENCY_SIGNS.get(cur, ""), _CURRENCY_WORDS.get(unit_word, "")
    unit = "pct" if m.group("pct") else by_sign or by_word
    other = by_word if unit == by_sign and by_word and by_word != by_sign else ""
    counted = not unit and bool(_MEASURE_WORD.match(m.string, m.end()))
    return Figure(raw=m.group(0).strip(), value=num * scale, unit=unit, other_unit=other, counted=counted)


#: Chinese measure words that make a number a count of things (辆次 vehicles, 家 firms, 人 people):
#: the small model turned 5.2万辆次 (vehicle trips a day) into "$52,000 in tolls".
#: Not 块 (8000块钱 is money), nor a measure word that begins another word (100亿个人住房贷款,
#: 300亿所得税, 支出).
_MEASURE_WORD = re.compile(r"\s*[个家项部条名位种类次所批届座人倍场支只轮枚张本首队辆台件户套间架艘栋头匹](?![人得出付金币钱])")


_CURRENCY_SIGNS = {"$": "usd", "us$": "usd", "usd": "usd", "rmb": "cny", "¥": "cny", "￥": "cny", "£": "gbp",
                   "gbp": "gbp", "€": "eur", "eur": "eur"}
_CURRENCY_WORDS = {"dollars": "usd", "us dollars": "usd", "美元": "usd", "yuan": "cny", "rmb": "cny", "元": "cny",
                   "人民币": "cny", "pounds": "gbp", "英镑": "gbp", "euros": "eur", "欧元": "eur"}


def readings(fig: Figure) -> list[Figure]:
    """The figure as it reads: one way, or two when its sign and its word name different currencies
    (the small model wrote "$10.7 trillion yuan" for the source's 10.7 trillion yuan)."""
    return [fig] + ([replace(fig, unit=fig.other_unit, other_unit="")] if fig.other_unit else [])


def currencies_as_sources_state_them(answer: str, sources: list[str]) -> str:
    """``answer`` with each figure whose sign and word name different currencies written in the one
    a source states it in: the sign dropped for "$10.7 trillion yuan" over a source's 10.7 trillion
    yuan, the word for a source's $10.7 trillion. Left as it is when no source settles it."""
    known = [k for s in sources for k in stated_figures(s)]

    def settle(m: re.Match[str]) -> str:
        fig, *other = readings(_figure(m))
        if not other:
            return m.group()
        if any(same_figure(other[0], k) for k in known):
            return m.group()[m.end("cur") - m.start():].lstrip()
        if any(same_figure(fig, k) for k in known):
            return m.group()[: m.start("unit") - m.start()].rstrip()
        return m.group()

    return _FIGURE.sub(settle, answer) if known else answer


_RESPECTIVELY = re.compile(r"\brespectively\b|分别", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[,，;；。:：]")


def _is_year(fig: Figure) -> bool:
    return not fig.unit and fig.value.is_integer() and 1900 <= fig.value <= 2100


def respective_figures(statement: str) -> tuple[str, list[tuple[str, Figure, str]]]:
    """For a statement pairing figures "respectively" (分别), each later figure with the phrase of
    the earlier one it belongs to and its text as written: "… foreign investment of $27.2 billion and
    imports and exports totaling 10.7 trillion yuan in 2024, accounting for 23.4% and 24.5% of the
    national totals respectively" gives ("actual foreign investment of $27.2 billion", 23.4%) and
    ("and imports and exports totaling 10.7 trillion yuan", 24.5%). The paired ones are the figures
    (not years) just before the clause saying "respectively", as many as it has; each phrase runs
    from the figure or clause end before it. Returned with the clause saying "respectively" (what
    the pairs share: "accounting for … of the national totals"); ``("", [])`` when the statement
    pairs nothing this way."""
    m = _RESPECTIVELY.search(statement)
    if not m:
        return "", []
    starts = [b.end() for b in _CLAUSE_END.finditer(statement, 0, m.start())]
    clause_start = starts[-1] if starts else 0
    end = _CLAUSE_END.search(statement, m.end())
    clause_end = end.start() if end else len(statement)
    spans = [sp for sp in figure_spans(statement) if not _is_year(sp[2])]
    later = [sp for sp in spans if clause_start <= sp[0] and sp[1] <= clause_end]
    earlier = [sp for sp in spans if sp[1] <= clause_start]
    if len(later) < 2 or len(earlier) < len(later):
        return "", []
    pairs, before = [], earlier[-len(later):]
    for i, (start, stop, _) in enumerate(before):
        left = before[i - 1][1] if i else 0
        bounds = [b.end() for b in _CLAUSE_END.finditer(statement, left, start)]
        pairs.append(statement[max([left, *bounds]):stop].strip())
    return statement[clause_start:clause_end], [(phrase, fig, statement[a:b]) for phrase, (a, b, fig) in zip(pairs, later)]


def large_figures(text: str) -> list[Figure]:
    """The figures worth rendering in the other language: money, or counts of 10,000 and more."""
    return [f for f in parse_figures(text) if f.unit in _MONEY or f.value >= 1e4]


def same_figure(a: Figure, b: Figure) -> bool:
    """Equal value and compatible units: a bare number matches any unit, currencies must agree, and a
    count of things (``Figure.counted``) is no amount of money. The
    tolerance only absorbs floating-point error (27.2 × 10⁹ vs 272 × 10⁸); a relative 0.1% made 2023
    the same figure as 2024 and 60,050 the same as 60,000."""
    if a.unit and b.unit and a.unit != b.unit:
        return False
    if (a.unit in _MONEY and b.counted) or (b.unit in _MONEY and a.counted):
        return False
    if (a.unit == "pct") != (b.unit == "pct") and (a.unit or b.unit):
        return False
    return abs(a.value - b.value) <= 1e-9 * max(abs(a.value), abs(b.value), 1.0)


_EN_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_EN_NUMBER_WORD = re.compile(r"\b(" + "|".join(_EN_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# A Chinese numeral of one to ten before a measure word or a counted noun (三部门, 两个, 五项): a
# numeral inside a word (三农, 一流) is no count. 一 also ends many words (统一部署, 唯一), so it
# counts only where no character precedes it; two to ten count after a word too (中有两人,
# 完成了四次拦截: read as no count, a right "2名" was judged an invented figure), but not after
# 第 (an ordinal) or inside a longer numeral (二十个 is no ten).
_ZH_COUNT = re.compile(r"(?:(?<![\u4e00-\u9fff])一|(?<![第〇零一二两三四五六七八九十百千万亿\d])[二两三四五六七八九十])"
                       r"(?=[个家项部条名位种类次所批届座章节人天年倍场支只轮枚块张本首队局周岁])")


def number_words(text: str) -> list[Figure]:
    """Counts ``text`` spells out ("Three Departments", "four supervised sessions", 三部门): an answer
    that writes them as digits states the source's figure."""
    found = [Figure(m.group(), float(_EN_NUMBER_WORDS[m.group().lower()]), "") for m in _EN_NUMBER_WORD.finditer(text)]
    return found + [Figure(m.group(), float(_ZH_DIGITS[m.group()]), "") for m in _ZH_COUNT.finditer(text)]


def stated_figures(text: str) -> list[Figure]:
    """Every figure ``text`` states: in digits (``parse_figures``) or as a count spelled out
    (``number_words``)."""
    return [*parse_figures(text), *number_words(text)]


def unsupported_figures(answer: str, sources: list[str]) -> list[str]:
    """Figures stated in ``answer`` that no source states (after unit normalisation across languages).
    A count the source spells out counts as stated, and a bare fraction as the percentage it is
    (0.234 for 23.4%)."""
    known = [f for s in sources for f in stated_figures(s)]
    percents = [Figure(k.raw, k.value / 100, "") for k in known if k.unit == "pct"]
    return [f.raw for f in parse_figures(answer)
            if not any(same_figure(r, k) for r in readings(f) for k in known)
            and not (f.unit == "" and 0 < f.value < 1 and any(same_figure(f, k) for k in percents))]


def percents_as_sources_write_them(answer: str, sources: list[str]) -> str:
    """``answer`` with each bare fraction that a source states as a percentage written as that
    percentage: asked "what fraction …", the small model wrote 0.234 for the source's 23.4%; the
    reader compares the answer with the source card, which says 23.4%."""
    known = [k for s in sources for k in parse_figures(s) if k.unit == "pct"]

    def as_percent(m: re.Match[str]) -> str:
        fraction = Figure(m.group(), float(m.group()), "")
        hit = next((k for k in known if same_figure(fraction, Figure(k.raw, k.value / 100, ""))), None)
        return f"{_fmt(hit.value)}%" if hit else m.group()

    return re.sub(r"(?<![\d.,])0\.\d+(?![\d%％])(?!\s*(?:%|percent))", as_percent, answer)


def to_chinese(fig: Figure) -> str:
    """Render a figure the way a Chinese text would: 27.2 billion USD -> 272亿美元."""
    if fig.unit == "pct":
        return f"{_fmt(fig.value)}%"
    suffix = {"usd": "美元", "cny": "元", "gbp": "英镑", "eur": "欧元", "": ""}[fig.unit]
    return _scaled(fig.value, (("万亿", 1e12), ("亿", 1e8), ("万", 1e4)), "") + suffix


def to_english(fig: Figure) -> str:
    """Render a figure the way an English text would: 272亿美元 -> $27.2 billion."""
    if fig.unit == "pct":
        return f"{_fmt(fig.value)}%"
    body = _scaled(fig.value, (("trillion", 1e12), ("billion", 1e9), ("million", 1e6)), " ")
    return {"usd": f"${body}", "cny": f"{body} yuan", "gbp": f"£{body}", "eur": f"€{body}", "": body}[fig.unit]


#: A scaled figure reads naturally with at most this many digits: 272亿, 9.9万, 10.7 trillion; a
#: writer keeps 16616个 as it is rather than writing 1.6616万个.
MAX_SCALED_DIGITS = 4


def _digits(written: str) -> int:
    return len(re.sub(r"\D", "", written).lstrip("0"))


def _scaled(value: float, scales: tuple[tuple[str, float], ...], sep: str) -> str:
    """``value`` written with the largest scale word that reads naturally (at most
    ``MAX_SCALED_DIGITS`` digits: 272亿, 10.7 trillion). Where none does, the form with the fewest
    digits, the plain number on a tie: 1382.59亿元 stays 1382.59亿元 (not 138259000000元, which a
    reader has to count), 16616 stays 16616 (not 1.6616万). A scaled form that would round the
    value is not a candidate."""
    value = round(value, 6)  # 1.23456789 × 10⁸ is 123456788.99999999 in floating point
    plain = f"{value:,.0f}" if value == int(value) else _fmt(value)
    if sep == "":  # Chinese text writes no thousands separators
        plain = plain.replace(",", "")
    candidates = []
    for word, scale in scales:
        mantissa = f"{value / scale:.10f}".rstrip("0").rstrip(".")
        if abs(value) >= scale and math.isclose(float(mantissa) * scale, value, rel_tol=1e-12):
            if _digits(mantissa) <= MAX_SCALED_DIGITS:
                return f"{mantissa}{sep}{word}"
            candidates.append(f"{mantissa}{sep}{word}")
    shortest = min(candidates, key=_digits, default=plain)
    return shortest if _digits(shortest) < _digits(plain) else plain


def _fmt(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")
