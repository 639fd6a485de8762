"""Extractive answerer: no model; quotes the statements that best answer the question, with citations.

Deterministic and fast: the fallback of the generative answerers and the answerer of the fast tests.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

from .evidence import Evidence
from .figures import large_figures, number_words, parse_figures, to_chinese
from .language import han_count
from .records import Language

#: How an extractive answer begins, by language.
LEADS = ("根据文档：", "According to the documents: ")
#: A second statement is quoted when it scores within this cosine of the best one and is in the same
#: language: a Chinese question scores Chinese text higher than English text that says as much, so
#: the Chinese headline (0.604) came second to the statement answering "哪个部门印发了…工作方案？"
#: (0.638) without answering it.
SECOND_STATEMENT_MARGIN = 0.04
#: A question asking for a quantity leads with the best of the top three statements that states a
#: figure, when it scores within this cosine of the best: "How many national-level development zones
#: are there?" ranks the work-plan statement (no figure, 0.530) above the one with "232" (0.461).
QUANTITY_MARGIN = 0.08
#: A quoted statement longer than this (in characters, a Chinese one counting double) is cut to the
#: clause that answers the question: a reader asking for one number should not get 200 characters
#: to search; the source card holds the whole statement.
BRIEF_QUOTE_CHARS = 90
# Clause ends inside a sentence (only quantity questions are cut, see ``quote``): a Chinese comma or
# semicolon (Chinese lists use 、), an English semicolon, or an English comma before a space: a
# quantity question wants the one item of a list with its figure.
_CLAUSE_END = re.compile(r"(?<=[，；])|(?<=[,;])(?=\s)")
# A clause that points back at the one before it ("分别占全国的23.4%和24.5%", ", accounting for …",
# ", which …") is quoted with that one: alone it does not say what it is about.
_POINTS_BACK = re.compile(r"^(?:分别|其中|占|并|且|(?:respectively|accounting|which|while|and)\b)", re.IGNORECASE)
# A piece this short ("2024年，") is no clause; it joins the one after it.
_MIN_CLAUSE_CHARS = 8
# Two figures for two things joined by "and" / 和 ("actual foreign investment of $27.2 billion and
# imports and exports totaling 10.7 trillion yuan", 6万多家外资企业和9.9万家外贸企业) are two facts:
# a question asking for one gets that one. Not where the "and" sits between two bare figures
# ("23.4% and 24.5% of …" is one list, paired with its items by "respectively").
_AND = re.compile(r"\s+and\s+|以及|(?<![总平缓温柔饱])和(?![平谐睦解])")  # not 总和, 和平 …
_FIGURE_END = re.compile(r"(?:[\d%亿万千百元]|\b(?:billion|million|trillion|yuan))$", re.IGNORECASE)
_FIGURE_START = re.compile(r"^[\d$¥€£]")
# A clause that pairs a list with the items before it ("accounting for 23.4% and 24.5% …
# respectively") is quoted with all of them.
_RESPECTIVELY = re.compile(r"\brespectively\b|分别", re.IGNORECASE)
# What a piece cut out of a sentence may begin with that only linked it to the one before.
_LINK_WORD = re.compile(r"^(?:(?:with|and)\s+|以及|和)", re.IGNORECASE)
#: Scores clauses against the question (higher is closer): ``(question, clauses) -> scores``.
ClauseScorer = Callable[[str, list[str]], list[float]]
_ASKS_QUANTITY = re.compile(r"\bhow (?:many|much)\b|\bwhat (?:share|proportion|percentage)\b|多少|几[个家项所]|比重|占比",
                            re.IGNORECASE)
# A question answered by a percentage (the fallback prefers a clause stating one).
_ASKS_SHARE = re.compile(r"\bwhat (?:share|proportion|percentage|fraction|portion)\b|\bhow big a (?:share|slice)\b|"
                         r"比重|占比|百分之几|比例|份额|占全国", re.IGNORECASE)


class ExtractiveAnswerer:
    """Composes an answer from the top statements; Chinese questions get Chinese framing."""

    name = "extractive"

    def __init__(self, score_clauses: ClauseScorer | None = None) -> None:
        #: Without a scorer whole statements are quoted (the plain extractive answerer keeps the
        #: sources' words in full); the pipeline's fallback gets one to quote the answering clause.
        self.score_clauses = score_clauses

    def select(self, evidence: list[Evidence], question: str = "") -> list[int]:
        """Indices (into ``evidence``) of the statements to quote."""
        if not evidence:
            return []
        if evidence[0].support is not None:  # the model judged the close statements: quote its pick
            return [0]
        best = evidence[0].similarity
        # For a quantity question only statements that state a quantity are quoted, if one is close.
        numeric = None
        if asks_quantity(question):
            numeric = next((i for i, e in enumerate(evidence[:3])
                            if e.similarity >= best - QUANTITY_MARGIN and states_quantity(e.statement.text)), None)
        first = numeric or 0
        chosen = [first]
        for i, e in enumerate(evidence[:3]):
            if i != first and e.similarity >= best - SECOND_STATEMENT_MARGIN \
                    and e.statement.text != evidence[first].statement.text \
                    and e.lang == evidence[first].lang \
                    and (numeric is None or states_quantity(e.statement.text)):
                chosen.append(i)
                break
        return chosen

    def generate(self, question: str, language: Language, evidence: list[Evidence],
                 history: list[tuple[str, str]] | None = None, notes: list[str] | None = None) -> Iterator[str]:
        """Yield the answer text; ``[n]`` refers to ``evidence[n-1]``. ``notes`` (retry hints for
        generative answerers) do not apply."""
        chosen = self.select(evidence, question)
        if language.dominant == "zh":
            parts = []
            for i in chosen:
                text = self.quote(evidence[i].statement.text, question)
                gloss = _chinese_figures(text) if evidence[i].lang != "zh" else ""
                parts.append(f"“{text}”{gloss}[{i + 1}]")
            yield LEADS[0] + "；".join(parts) + "。"
        else:
            parts = [f"{self.quote(evidence[i].statement.text, question).rstrip('.')} [{i + 1}]." for i in chosen]
            yield LEADS[1] + " ".join(parts)

    def quote(self, text: str, question: str) -> str:
        """What is quoted of a statement: all of it when short, without a scorer or for a question
        that neither asks for nor states a figure; else the clause the scorer puts closest to the
        question among those giving an amount (in the question's own unit, when it states a
        percentage or a sum),
        with the clause before it when it points back ("…，分别占全国的23.4%和24.5%")."""
        # Only a question asking for a figure, or stating one ("more than 20%?"), gets a clause: it is
        # decided by a clause with a figure. For other questions the closest clause was often the one
        # naming the question's subject, not its answer (XQuAD: "球栉水母拥有的小触手叫什么？" got
        # 教科书上的例子是球栉水母, 3 of 100 Chinese answers lost), and the whole statement is quoted.
        # A question asking for a year gets the whole statement too: a year scopes its whole sentence
        # ("…$27.2 billion and … 10.7 trillion yuan in 2024"), and the clause with the figure lost it.
        if (self.score_clauses is None or len(text) + han_count(text) <= BRIEF_QUOTE_CHARS
                or not (asks_quantity(question) or states_quantity(question)) or asks_year(question)):
            return text
        pieces: list[str] = []  # each keeps its ending comma
        for p in _CLAUSE_END.split(text):
            if pieces and len(pieces[-1].strip()) < _MIN_CLAUSE_CHARS:
                pieces[-1] += p
            elif p.strip():
                pieces.append(p)
        pieces, group = _split_coordinated(pieces)
        if len(pieces) < 2:
            return text
        # A clause that points back is taken, and scored, together with the one before it (with
        # all the coordinated ones before it when it pairs a list with them: "respectively").
        starts = [(group[i - 1] if _RESPECTIVELY.search(p) else i - 1)
                  if i > 0 and group[i] == i and _POINTS_BACK.search(p.strip()) else i for i, p in enumerate(pieces)]
        units = [_join_pieces(pieces[start:i + 1]) for i, start in enumerate(starts)]
        candidates = list(range(len(units)))
        candidates = [i for i in candidates if mentions_quantity(pieces[i])] or candidates
        units_asked = {f.unit for f in parse_figures(question) if f.unit}  # 20% is decided by a percentage
        if _ASKS_SHARE.search(question):  # and "what share …" is answered by one
            units_asked.add("pct")
        if units_asked:
            candidates = [i for i in candidates if any(f.unit in units_asked for f in parse_figures(pieces[i]))] or candidates
        scores = self.score_clauses(question, [units[i] for i in candidates])
        return units[candidates[max(range(len(candidates)), key=scores.__getitem__)]]


def _split_coordinated(pieces: list[str]) -> tuple[list[str], list[int]]:
    """``pieces`` each cut before an "and" / 和 that joins two figure-bearing facts (the cut-off part
    keeps its "and"), and for each piece the index of the first piece cut from the same one."""
    out: list[str] = []
    group: list[int] = []
    for piece in pieces:
        first = len(out)
        rest = piece
        while cut := next((m for m in _AND.finditer(rest) if m.start() > 0
                           and not (_FIGURE_END.search(rest[:m.start()]) and _FIGURE_START.match(rest[m.end():]))
                           and states_quantity(rest[:m.start()]) and states_quantity(rest[m.end():])), None):
            out.append(rest[:cut.start()])
            group.append(first)
            rest = rest[cut.start():]
        out.append(rest)
        group.append(first)
    return out, group


def _join_pieces(pieces: list[str]) -> str:
    """Pieces as one quotable clause, without a leading word that only linked it to the text before
    ("with …", "and …", 和…)."""
    return _LINK_WORD.sub("", "".join(pieces).strip()).rstrip("，；,;。.")


_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2})?|\d{4}年\d{1,2}月\d{1,2}日")


def asks_quantity(question: str) -> bool:
    """Whether ``question`` asks for a count, an amount or a share ("how many", 多少, 比重)."""
    return bool(_ASKS_QUANTITY.search(question))


# A question asking for a year ("By what year …", 哪一年), and a year or a decade stated in any form.
_ASKS_YEAR = re.compile(r"\b(?:what|which) year\b|哪一?年|何年|什么年份|哪个年份|哪一年份", re.IGNORECASE)
_STATES_YEAR = re.compile(r"(?<!\d)(?:1[0-9]|20)\d{2}(?!\d)|[〇零一二三四五六七八九]{4}年|\d{2,4}\s*(?:年代|s\b)")


def asks_year(question: str) -> bool:
    """Whether ``question`` asks for a year ("By what year …?", 在哪一年)."""
    return bool(_ASKS_YEAR.search(question))


def states_year(text: str) -> bool:
    """Whether ``text`` states a year or a decade (2025, 1950s, 二〇二五年, 90年代)."""
    return bool(_STATES_YEAR.search(text))


# A question asking for a day ("哪天", "on what date"), and a day stated in any form (4月18日,
# "18 April", "April 18", 2025-04-18). Not "when" or 什么时候: a year may answer those.
_ASKS_DAY = re.compile(r"哪一?天|哪一?日|几月几[日号]|什么日期|何日|\b(?:what|which) (?:date|day)\b", re.IGNORECASE)
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_STATES_DAY = re.compile(rf"\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号]|[一二三四五六七八九十]+月[一二三四五六七八九十]+[日号]"
                         rf"|\b\d{{1,2}}\s+{_MONTHS}|\b{_MONTHS}\s+\d{{1,2}}\b|\d{{4}}-\d{{1,2}}-\d{{1,2}}",
                         re.IGNORECASE)


def asks_day(question: str) -> bool:
    """Whether ``question`` asks for a day ("从哪天开始预售？", "On what date was it signed?")."""
    return bool(_ASKS_DAY.search(question))


def states_day(text: str) -> bool:
    """Whether ``text`` states a day (4月18日, "18 April", 2025-04-18)."""
    return bool(_STATES_DAY.search(text))


# Units of measure a question can ask in ("整机重量是多少公斤？", "how many kilometres"), each with the
# forms a source may write it in. Currencies and percentages are figures' own units (``figures``).
_UNITS: tuple[tuple[str, str], ...] = (
    (r"公斤|千克|\bkg\b|kilogram", r"公斤|千克|kg\b|kilogram"),
    (r"吨|\btonnes?\b|\btons?\b", r"吨|tonne|\btons?\b|\bt\b"),
    (r"公里|千米|\bkm\b|kilomet|\bmiles?\b", r"公里|千米|km\b|kilomet|mile"),
    (r"兆瓦|千瓦|吉瓦|\b[kMG]W\b|watts?\b", r"[兆千吉万]?瓦|[kMG]Wh?\b|watt"),
    (r"平方米|平方公里|square (?:met|kilomet|mile)", r"平方|m²|km²|square|sq\.?"),
    (r"摄氏度|℃|°C|degrees", r"度|℃|°C|degree"),
)


def asked_units(question: str) -> list[str]:
    """The source patterns of the units of measure ``question`` asks in (``[]`` for none)."""
    return [source for asked, source in _UNITS if re.search(rf"(?:多少|几|how (?:many|much|far|heavy|long)|"
                                                           rf"what (?:is|was) the)[^？?]*(?:{asked})", question,
                                                           re.IGNORECASE)]


def states_unit(text: str, sources: list[str]) -> bool:
    """Whether ``text`` states a figure followed by one of the unit patterns ``sources``."""
    return any(re.search(rf"\d[\d,.]*\s*(?:{p})", text, re.IGNORECASE) for p in sources)


#: Quantities in words that are no figure: 三分之二的人口, 一半以上, "half of", "dozens", "unmanned".
_QUANTITY_WORDS = re.compile(r"分之|一半|半数|过半|大多数|数以|\b(?:half|dozens?|hundreds|thousands|millions|"
                             r"none|no one|unmanned|majority)\b", re.IGNORECASE)


def mentions_quantity(text: str) -> bool:
    """Whether ``text`` gives an amount in any form: a figure (``states_quantity``), a count in
    words ("two", 三部门) or a proportion in words (三分之二, 一半以上)."""
    return states_quantity(text) or bool(number_words(text)) or bool(_QUANTITY_WORDS.search(text))


def states_quantity(text: str) -> bool:
    """Whether ``text`` states a figure other than a date or a bare year."""
    return any(f.unit or not (1900 <= f.value <= 2100 and f.value.is_integer())
               for f in parse_figures(_DATE.sub(" ", text)))


def _chinese_figures(text: str) -> str:
    """Chinese renderings of the large or monetary figures of an English statement: （272亿美元；10.7万亿元）."""
    forms = [to_chinese(f) for f in large_figures(text)]
    return f"（{'；'.join(dict.fromkeys(forms))}）" if forms else ""
