"""Answer records, citation resolution and the checks every answerer's output goes through."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .documents import REF_MARKER
from .evidence import Evidence
from .glossary import load_measures
from .language import detect_language, has_han, other_language, reader_language

REFUSAL = {"zh": "文档中没有找到相关信息。", "en": "The documents do not contain this information."}

_MARKER = REF_MARKER
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|「[^」]*」")
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
_SENTENCE = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+(?=[A-Z\"“(])|(?<=\.)$")


@dataclass(frozen=True)
class Citation:
    """Entry ``n`` of an answer's numbered source list: one statement of one chunk."""

    n: int
    doc_id: str
    chunk_id: str
    group: int
    refs: list[int]
    text: str
    title: str = ""
    group_title: str = ""
    lang: str = ""
    #: The statement's verified rendering in the question's language (machine translation), or "".
    rendering: str = ""
    rendering_lang: str = ""
    #: Where the statement is in its file: the page (PDF; 0 elsewhere), the pages of its chunk, the
    #: heading path, the slide or sheet, and the file as indexed (for the card's link).
    page: int = 0
    pages: list[int] = field(default_factory=list)
    section: str = ""
    place: str = ""
    file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """What ``ask`` returns."""

    question: str
    language: str
    answer: str
    refused: bool
    citations: list[Citation]
    answerer: str
    timings: dict[str, float] = field(default_factory=dict)
    id: Any = None
    dominant_language: str = ""
    #: Guards that fired (e.g. "figures: regenerated"), for the eval and the UI's diagnostics.
    notes: list[str] = field(default_factory=list)
    #: The retrieval behind the answer (for the eval and the UI's retrieval view; not serialised).
    search: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "language": self.language, "answer": self.answer,
                "refused": self.refused, "citations": [c.to_dict() for c in self.citations],
                "answerer": self.answerer, "timings": {k: round(v, 1) for k, v in self.timings.items()},
                "notes": self.notes}


def refusal(language: str) -> str:
    """The fixed refusal in the question's (dominant) language."""
    return REFUSAL["zh" if language == "zh" else "en"]


def resolve_citations(text: str, evidence: list[Evidence]) -> tuple[str, list[Citation]]:
    """Map ``[n]`` (1-based into ``evidence``) to sources renumbered by first use; drop unresolvable
    markers and repeated adjacent markers, so every marker left points at a returned source."""
    order: dict[int, int] = {}

    def renumber(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if not 1 <= n <= len(evidence):
            return ""
        order.setdefault(n, len(order) + 1)
        return f"[{order[n]}]"

    out = _MARKER.sub(renumber, text)
    out = collapse_markers(out)
    out = re.sub(r"[ \t]+([。，；：！？.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", out)).strip()
    citations = []
    for original, n in sorted(order.items(), key=lambda x: x[1]):
        e = evidence[original - 1]
        source = e.original or e.statement  # the card shows the source's own words and the rendering
        rendering = e.statement.text if e.original is not None else e.rendering
        citations.append(Citation(n=n, doc_id=e.chunk.doc_id, chunk_id=e.chunk.chunk_id, group=e.chunk.group,
                                  refs=list(source.refs), text=source.text, title=e.chunk.title,
                                  group_title=e.chunk.group_title, lang=e.chunk.lang, rendering=rendering,
                                  rendering_lang=other_language(e.chunk.lang) if rendering else "",
                                  page=source.page or (e.chunk.pages[0] if len(e.chunk.pages) == 1 else 0),
                                  pages=list(e.chunk.pages), section=e.chunk.section, place=e.chunk.place,
                                  file=e.chunk.file))
    return out, citations


def cited_numbers(text: str) -> list[int]:
    """The ``[n]`` numbers in a text, in order."""
    return [int(n) for n in _MARKER.findall(text)]


_ENCLOSED = re.compile(r"“[^”]*”|（[^）]*）|\([^)]*\)|\"[^\"]*\"|「[^」]*」")
_BRACKETED = re.compile(r"（[^）]*）|\([^)]*\)")
_SPLITTERS = "。！？!?；;."
_TRAILER = re.compile(r"^[\s”’」\"')）。.，,；;：:]*$")


def split_answer_sentences(text: str, split_quotes: bool = False) -> list[str]:
    """Sentences of an answer, each keeping the markers that follow it. Punctuation inside brackets
    (a figure gloss) never ends a sentence; punctuation inside quotes does only with
    ``split_quotes``: the guards treat a quoted statement as one unit, while the evaluation reads
    it as the reader does, sentence by sentence, so one citation after a long quote covers only
    the quote's last sentence."""
    # Mask sentence punctuation inside enclosed spans with private-use characters, split, unmask.
    mask = {c: chr(0xE000 + i) for i, c in enumerate(_SPLITTERS)}
    unmask = {v: k for k, v in mask.items()}
    enclosed = _BRACKETED if split_quotes else _ENCLOSED
    masked = enclosed.sub(lambda m: "".join(mask.get(c, c) for c in m.group(0)), text)
    parts = [p.strip() for p in _SENTENCE.split(masked) if p and p.strip()]
    parts = ["".join(unmask.get(c, c) for c in p) for p in parts]
    merged: list[str] = []
    for p in parts:
        # Markers, a closing quote or a bracketed gloss left after the split belong to the sentence before.
        rest = _MARKER.sub("", p)
        if merged and (_TRAILER.match(_BRACKETED.sub("", rest)) if split_quotes else not rest.strip(" 。.，,；;")):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


def join_sentences(sentences: list[str], like: str) -> str:
    """Sentences joined as ``like`` joins them: directly in Chinese text, with a space otherwise."""
    return ("" if has_han(like) else " ").join(sentences)


def collapse_markers(text: str) -> str:
    """``[1][1]`` or ``[1] [1]`` becomes ``[1]``."""
    return re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", text)


_NAME_WORD = r"(?:[A-Z0-9][\w'&]*|of|in|and|the|for|to|on|at|-)"
_QUOTED_NAME = re.compile(rf"“{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,7}}”|\"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,7}}\"")


def answer_language(text: str, question: str = "") -> str:
    """The language a reader reads in an answer (``zh``, ``en`` or ``mixed``): quoted text counts as
    the language it is in, markers do not (``language.reader_language``). A quoted name (a few
    capitalised words, such as “Invest in China - Choose Development Zone”) is a name, not English
    text: a Chinese sentence that names a brand is still Chinese; so is a name the question typed."""
    return reader_language(_QUOTED_NAME.sub(" ", text), question)


def framing_language(text: str) -> str:
    """The language of an answer's own words, quotes aside: whether an answer was framed for its
    question at all (the load test's plausibility check; the guards read quotes too)."""
    return detect_language(_MARKER.sub(" ", _QUOTED.sub(" ", text))).dominant


#: Periods a question may ask about, by kind; within a kind they exclude each other (a second-
#: quarter question is not answered by first-quarter figures). Each pattern names one member; the
#: canonical names let an English statement answer a Chinese question (第二季度 = second quarter).
#: A range (前三季度, Q1–Q3) names no single quarter. English seasons and halves count only as
#: times ("in the summer of 2023", "first half of 2024"): "Arab Spring", "hot springs", "the first
#: half of the century" are none. "fall" is a verb far more often; H1/H2 are also hydrogen.
_RANGE_BEFORE = r"(?<![前至到~\-–])"
_PERIODS: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    "quarter": [(f"q{i}", re.compile(
        rf"{_RANGE_BEFORE}第?{zh}季度|(?<![A-Za-z\d~\-–]){i}Q(?![A-Za-z])|(?<![A-Za-z~\-–])Q{i}(?!\d)(?!\s*[~\-–至到])"
        rf"|\b{en}[- ]quarter\b", re.IGNORECASE))
        for i, zh, en in ((1, "[一1]", "first"), (2, "[二2]", "second"), (3, "[三3]", "third"), (4, "[四4]", "fourth"))],
    "half": [(name, re.compile(rf"{zh}|\b{en} half of (?:the )?(?:fiscal )?(?:year|\d{{4}})\b", re.IGNORECASE))
             for name, zh, en in (("h1", "上半年", "first"), ("h2", "下半年", "second"))],
    "season": [(name, re.compile(rf"{zh}[季天](?!度)|\b(?:in|during|this|last|next|early|late)\s+(?:the\s+)?(?:\d{{4}}\s+)?{name}\b(?!\s+festival)"
                                 rf"|\b{name}\s+(?:of\s+)?\d{{4}}\b", re.IGNORECASE))
               for name, zh in (("spring", "春"), ("summer", "夏"), ("autumn", "秋"), ("winter", "冬"))],
}


def periods_named(text: str) -> dict[str, set[str]]:
    """The years, quarters, halves and seasons ``text`` names, by kind (``year``: ``{"2024"}``;
    ``quarter``: ``{"q2"}``)."""
    found = {"year": set(_YEAR.findall(text))}
    for kind, members in _PERIODS.items():
        found[kind] = {name for name, pattern in members if pattern.search(text)}
    return {kind: names for kind, names in found.items() if names}


def _other_periods(question: str, text: str, context: str = "") -> list[str]:
    """The periods of ``question`` (canonical names) of each kind that ``text`` names other members
    of and none of the question's, nor does ``context`` (a document's date, title, section: support
    for the question's period, never the only evidence of another); a kind ``text`` does not name
    at all is left alone."""
    asked, seen, supported = periods_named(question), periods_named(text), periods_named(context)
    return sorted(name for kind, names in asked.items()
                  if seen.get(kind) and not names & (seen[kind] | supported.get(kind, set())) for name in names)


def periods_unsupported(question: str, evidence: list[Evidence]) -> list[str]:
    """The periods a question asks about (years, quarters, halves, seasons) when the evidence speaks
    of other periods of that kind only (a 2023 question over 2024 data, a second-quarter question
    over first-quarter figures), else ``[]``. Evidence that names no period of the kind, or one of
    the question's, leaves it to the model: "Who did the Broncos beat … in 2015?" over a paragraph
    with no year, and "… 2000 to 2005 compared to 1995 to 2000?" over one giving "2000 to 2005" and
    "the previous five years", were refused (4 of 400 XQuAD questions). (A document's date counts
    as a year its statements speak of, as it did when this was the year check.)"""
    return _other_periods(question, " ".join(f"{e.both_texts} {e.chunk.date}" for e in evidence))


def cited_evidence(answer: str, evidence: list[Evidence]) -> list[Evidence]:
    """The statements ``answer``'s markers cite, each once, in order (markers out of range skipped)."""
    return [evidence[n - 1] for n in dict.fromkeys(cited_numbers(answer)) if 1 <= n <= len(evidence)]


def periods_cited_elsewhere(answer: str, evidence: list[Evidence], question: str) -> list[str]:
    """``periods_unsupported`` for the statements the answer cites only: the answer is then another
    period's figure. Asked what a fund spent "in 2022", the model answered "$860,000 [1]" from a
    budget row giving 2023, 2024 and 2025; asked for a winter peak, it gave a reduction measured in
    the summer of 2023. Only the statements' own words can name another period; their document's
    date, title and section can only name the question's ("去年出口增长5%" in a report dated 2025
    still answers a 2024 question). A cited statement naming no period of the kind leaves it to the
    model."""
    cited = cited_evidence(answer, evidence)
    if not cited:
        return []
    return _other_periods(question, " ".join(e.both_texts for e in cited),
                          " ".join(f"{e.chunk.date} {e.chunk.title} {e.chunk.section} {e.chunk.group_title}" for e in cited))


def measures_unsupported(question: str, evidence: list[Evidence]) -> list[str]:
    """The measures a question asks for (GDP, employment, tax …: ``rag/data/measures.tsv``) when no
    evidence statement, nor the source of its rendering, names any of them in either language, else
    ``[]``. Like a year no evidence mentions, a measure no source names cannot be answered, but the
    small model answered "What was the zones' GDP?" with their foreign investment and judged that
    statement to state it (support 0.85): a figure of another measure is not its answer."""
    measures = load_measures()
    asked = measures.asked_in(question)
    if not asked or any(asked & measures.stated_in(e.both_texts) for e in evidence):
        return []
    return sorted(asked)


def merge_answers(question: str, parts: list[tuple[str, Answer]], search: Any = None, leads: tuple[str, ...] = ()) -> Answer:
    """One answer to a question asked in parts (``(part, answer)`` pairs): the texts joined, their
    citations renumbered into one list (a source two parts cite keeps one number). Refused only
    when every part is; a refused part says which part the documents do not answer. A sentence an
    earlier part already gave is not repeated, and a lead-in from ``leads`` ("根据文档：") is kept only
    where no earlier part answered (after a refused part it marks the contrast). Each part ends as a
    sentence: a model's terse "27.2 billion [1]" would otherwise run into the next part."""
    language = detect_language(question)
    answers = [a for _, a in parts]
    timings: dict[str, float] = {}
    for a in answers:
        for k, v in a.timings.items():
            timings[k] = timings.get(k, 0.0) + v
    # The first token came from the first part that produced text, after the parts before it ended.
    before = 0.0
    for a in answers:
        if "first_token_ms" in a.timings:
            timings["first_token_ms"] = before + a.timings["first_token_ms"]
            break
        before += a.timings.get("total_ms", 0.0)
    notes = [f"part {i}: {n}" for i, a in enumerate(answers, start=1) for n in a.notes]
    record = dict(question=question, language=language.code, dominant_language=language.dominant,
                  answerer=answers[0].answerer, timings=timings, id=answers[0].id, notes=notes, search=search)
    if all(a.refused for a in answers):
        return Answer(answer=refusal(language.dominant), refused=True, citations=[], **record)
    pool: list[Citation] = []  # every part's citations, numbered 1.. in part order
    texts: list[str] = []
    answered = False
    for part, a in parts:
        if a.refused:
            texts.append(part_refusal(part, language.dominant))
            continue
        offset = len(pool)
        pool += a.citations
        text = _MARKER.sub(lambda m: f"[{int(m.group(1)) + offset}]", a.answer).strip()
        lead = next((c for c in leads if text.startswith(c)), "")
        if lead and answered:
            text = text[len(lead):].strip()
        answered = True
        if not re.search(r"[.!?。！？]\s*(?:\[\d+\]\s*)*$", text):
            text += "。" if language.dominant == "zh" else "."
        texts.append(text)
    text = drop_repeated_sentences(join_sentences(texts, question), ignore=leads)
    number: dict[tuple[str, str], int] = {}
    citations: list[Citation] = []

    def renumber(m: re.Match[str]) -> str:
        c = pool[int(m.group(1)) - 1]
        if (c.chunk_id, c.text) not in number:
            number[(c.chunk_id, c.text)] = len(number) + 1
            citations.append(replace(c, n=len(number)))
        return f"[{number[(c.chunk_id, c.text)]}]"

    return Answer(answer=collapse_markers(_MARKER.sub(renumber, text)), refused=False, citations=citations, **record)


def part_refusal(part: str, language: str) -> str:
    """The refusal for one part of a question, naming the part."""
    topic = part.rstrip("？?。. ")
    if language == "zh":
        return f"关于“{topic}”，文档中没有找到相关信息。"
    return f"On “{topic}”: the documents do not contain this information."


def drop_repeated_sentences(text: str, ignore: tuple[str, ...] = ()) -> str:
    """``text`` without sentences that repeat an earlier one (markers, punctuation and a leading
    phrase from ``ignore`` disregarded): a small model sometimes loops on one sentence, and two
    parts of a question may quote the same statement."""
    seen: set[str] = set()
    keep = []
    sentences = split_answer_sentences(text)
    for sentence in sentences:
        bare = next((sentence[len(p):] for p in ignore if sentence.startswith(p)), sentence)
        key = re.sub(r"[\W_]+", "", _MARKER.sub("", bare)).lower()
        if key and key in seen:
            continue
        seen.add(key)
        keep.append(sentence)
    return text if len(keep) == len(sentences) else join_sentences(keep, text)
