"""Verified renderings: each statement written in the other language, checked before it is kept.

A Chinese reader asking about English sources should read Chinese. Translating at answer time with
a 1.5B model mixed languages and garbled figures, so each statement is rendered once (at index time,
or the first time it is needed), checked in code, and cached in the index folder beside the
generations. Only a rendering that passes every check is shown or searched:

* figures: the rendering states exactly the source's figures (after unit normalisation);
* untranslated: a Chinese rendering leaves no English words (acronyms and names of the source
  aside), an English one no Chinese characters;
* names: every Latin-script name or acronym in the rendering occurs in the source;
* terms: every glossary term of the source is named the standard way (营商环境, not 业务环境; see
  ``glossary``), which the source handed to the model already carries. This one is advisory: it
  calls for the retry, and of two renderings that pass the rest the one it passes is kept, but a
  rendering is not rejected for it;
* language: the rendering reads as the target language;
* similarity: its cross-lingual embedding cosine to the source reaches ``Settings.render_min_similarity``,
  and it is closer to the source than to any hint (the 1.5B model sometimes returned the
  document's headline, given as a hint for its terms, instead of a translation);
* coverage: no phrase of the source is left out. The rendering must not be closer to the source
  with one of its phrases taken out than to the whole source (by ``Settings.render_max_omission``):
  the 1.5B model dropped "through improved regulatory practices" with a cosine of 0.79, well
  above the floor, and a Chinese reader asking how burdens are reduced then got the wrong answer.
  Advisory, like terms: a rendering that fails it is made again with the phrase put first, and of
  the two the one that passes it is kept.

Renderings live in ``<index>/renderings.jsonl``, one JSON record per line, appended as each is
made: a killed run resumes where it stopped, and unchanged statements are never rendered twice
(the key is the statement's text and the target language, so re-indexing a document keeps them).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from .config import Settings
from .figures import parse_figures, same_figure
from .glossary import Glossary
from .language import han_count, has_han, other_language, quiet_jieba, reader_language

FILE = "renderings.jsonl"
#: Every check, in the order they run (the cheap ones first; similarity needs the embedder).
CHECKS = ("language", "untranslated", "names", "figures", "terms", "similarity", "coverage")
#: Checks that send a rendering back for its retry but do not reject it: a rendering that calls
#: 工作方案 just 方案 still serves a Chinese reader better than the English quote that replaces a
#: rejected one. Coverage is a weak signal (on 56 renderings of the bundled and document corpora,
#: two of the four above the margin really left a phrase out; see eval/fit_coverage.py), good for
#: asking again, not for rejecting.
ADVISORY = ("terms", "coverage")


class Translator(Protocol):
    """Writes ``text`` in ``target`` (``zh``/``en``): ``terms`` are the document's own words for
    its subjects, ``figures`` the figures the rendering must keep (already written the target
    language's way in ``text``), ``problems`` what was wrong with a first attempt."""

    name: str

    def translate(self, text: str, target: str, terms: list[str], figures: list[str],
                  problems: list[str] | None = None) -> str: ...


class Vectors(Protocol):
    def embed_documents(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Rendering:
    """A statement's rendering in ``lang``, with its provenance. ``passed`` is false when both
    attempts failed a check; ``text`` then holds the last attempt, for diagnosis only."""

    source: str
    lang: str
    text: str
    passed: bool
    model: str
    #: check name -> "ok" or what it found, for the last attempt
    checks: dict[str, str] = field(default_factory=dict)
    attempts: int = 1
    seconds: float = 0.0
    created: str = ""
    #: The ``RENDERING_METHOD`` that made it (lines written before the field existed read as 1).
    method: int = 1

    @property
    def key(self) -> str:
        return rendering_key(self.source, self.lang)

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> "Rendering":
        d = {k: v for k, v in d.items() if k != "key"}
        return cls(**d)  # type: ignore[arg-type]


#: Raised when the way of rendering improves: a statement that failed under an older method is
#: tried again (a passed rendering is kept). 2: a clause that lost a figure of its closing place
#: phrase is retried with the phrase first.
#: 3: glossary terms written in the source and checked. A rendering made by an older method is
#: made again once; one that passed before and fails now is kept (an imperfect rendering reads
#: better than an English quote).
#: 4: the coverage check; a rendering that leaves out a phrase is made again with that phrase
#: first, and an older rendering is kept only if it passes today's checks.
RENDERING_METHOD = 4


def rendering_key(source: str, lang: str) -> str:
    """The cache key of ``source`` rendered in ``lang``."""
    return hashlib.sha256(f"{lang}\0{source}".encode("utf-8")).hexdigest()[:24]


#: The language a statement in ``lang`` is rendered into, or ``""`` (mixed text is not).
target_language = other_language


# --- checks -------------------------------------------------------------------------------------

_LATIN_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*")
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|「[^」]*」|《[^》]*》")


def check_figures(source: str, text: str) -> str:
    """``ok`` when the rendering states every figure of the source and no other (27.2 billion USD =
    272亿美元), else what differs."""
    src, out = parse_figures(source), parse_figures(text)
    extra = [f.raw for f in out if not any(same_figure(f, s) for s in src)]
    missing = [f.raw for f in src if not any(same_figure(f, o) for o in out)]
    if not extra and not missing:
        return "ok"
    return "; ".join(p for p in (f"not in the source: {', '.join(extra)}" if extra else "",
                                 f"missing: {', '.join(missing)}" if missing else "") if p)


def check_untranslated(source: str, text: str, lang: str) -> str:
    """``ok`` unless words of the source language are left: English words in a Chinese rendering
    (an acronym such as GDP, or a capitalised name of the source, is fine), or Chinese characters
    in an English one. Quoted titles and brands may stay as they are."""
    bare = _QUOTED.sub(" ", text)
    if lang == "en":
        left = re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff]+", bare)
        return "ok" if not left else f"Chinese left: {' '.join(dict.fromkeys(left))}"
    known = {w.lower() for w in _LATIN_TOKEN.findall(source)}
    left = [w for w in _LATIN_TOKEN.findall(bare)
            if not w.isupper() and not (w[0].isupper() and w.lower() in known)]
    return "ok" if not left else f"English words left: {' '.join(dict.fromkeys(left))}"


def check_names(source: str, text: str, lang: str) -> str:
    """``ok`` unless the rendering names something the source does not: a Latin-script word or
    acronym absent from the source, or a 《title》 in a Chinese rendering that the source lacks."""
    known = source.lower()
    if lang == "zh":
        new = [w for w in _LATIN_TOKEN.findall(text) if w.lower() not in known]
        new += [t for t in re.findall(r"《([^》]+)》", text) if t not in source]
    else:  # an English rendering spells Chinese names in Latin letters; acronyms must still be the source's
        new = [w for w in re.findall(r"\b[A-Z]{2,}\b", text) if w.lower() not in known]
    return "ok" if not new else f"names not in the source: {', '.join(dict.fromkeys(new))}"


def check_terms(source: str, text: str, lang: str, glossary: Glossary | None) -> str:
    """``ok`` unless a glossary term of the source is missing from the rendering in every one of
    its ``lang`` forms (no glossary: nothing to check)."""
    if glossary is None:
        return "ok"
    gone = glossary.missing(source, other_language(lang), text, lang)
    return "ok" if not gone else f"standard terms missing: {', '.join(gone)}"


def check_language(text: str, lang: str) -> str:
    got = reader_language(text)
    return "ok" if got == lang else f"reads as {got}, not {lang}"


def check_rendering(source: str, text: str, lang: str, embedder: Vectors | None, min_similarity: float,
                    hints: tuple[str, ...] = (), glossary: Glossary | None = None,
                    max_omission: float = Settings.render_max_omission) -> dict[str, str]:
    """Run every check on one rendering; the similarity and coverage checks need ``embedder``
    (without one they report "not measured", and the rendering cannot pass)."""
    if not text.strip():
        return {"language": "empty"}
    found = {"language": check_language(text, lang), "untranslated": check_untranslated(source, text, lang),
             "names": check_names(source, text, lang), "figures": check_figures(source, text),
             "terms": check_terms(source, text, lang, glossary)}
    if embedder is None:
        found["similarity"] = found["coverage"] = "not measured"
        return found
    phrases = droppable_phrases(source)
    variants = [without(source, p) for p in phrases]
    vecs = embedder.embed_documents([text, source, *hints, *variants])
    cos = vecs[1:] @ vecs[0]
    own, near_hint, dropped = cos[0], cos[1:1 + len(hints)], cos[1 + len(hints):]
    if own < min_similarity:
        found["similarity"] = f"cosine {own:.3f} < {min_similarity}"
    elif len(near_hint) and near_hint.max() >= own:
        found["similarity"] = f"closer to a hint ({near_hint.max():.3f}) than to the source ({own:.3f})"
    else:
        found["similarity"] = "ok"
    found["coverage"] = "ok"
    if len(dropped) and dropped.max() - own > max_omission:
        i = int(dropped.argmax())
        found["coverage"] = f"leaves out {OMITTED_QUOTE}{phrases[i]}{OMITTED_QUOTE} ({dropped[i]:.3f} without it > {own:.3f})"
    return found


#: Where a statement divides into phrases a rendering can drop whole: punctuation, and before a
#: connective that opens a phrase of means, manner or purpose (not before a bare "and": "economic
#: and technological development zones" is one name). Hand-written because it is the
#: rendering's failure that defines the unit (a parser's clauses are too coarse: "through improved
#: regulatory practices" is no clause).
_PHRASE_EN = re.compile(r"\s*[,;:]\s+|\s+·\s+|\s+(?=(?:through|by|via|with|including|aiming|while|which|whereas)\s)")
_PHRASE_ZH = re.compile(r"[，；：、,;:]|\s+·\s+|(?=通过|以便|从而|并且|以及|同时)")
#: A phrase that adds to what comes before it reads as nonsense in front of it.
_CONJUNCT = re.compile(r"(?:and|as well as|but)\s|并且|以及|同时")
OMITTED_QUOTE = "'"


def droppable_phrases(source: str) -> list[str]:
    """The phrases of ``source`` a rendering could leave out whole: at least three words (four Han
    characters), and at most half the statement (leaving out more is the similarity check's to see)."""
    zh = han_count(source) > len(re.findall(r"[A-Za-z]", source)) / 4
    parts = [p.strip(" ，；：、,;:。.") for p in (_PHRASE_ZH if zh else _PHRASE_EN).split(source)]
    size = (lambda t: han_count(t) / 4 * 3) if zh else (lambda t: len(t.split()))
    total = size(source)
    # Not the first phrase: it holds the subject, and a rendering without it fails the similarity floor.
    return [p for p in dict.fromkeys(parts[1:]) if p and p != parts[0] and 3 <= size(p) <= total / 2]


_LEFT_OUT = re.compile(f"leaves out {OMITTED_QUOTE}(?P<phrase>.+){OMITTED_QUOTE} \\(")


def phrase_first(text: str, phrase: str) -> str:
    """``text`` with ``phrase`` moved to its front ("X will be done through Y" becomes "Through Y, X
    will be done"; Chinese: "Y，X")."""
    rest = without(text, phrase)
    if has_han(phrase):
        return f"{phrase}，{rest}"
    keep_case = rest[:2].isupper()
    return f"{phrase[0].upper()}{phrase[1:]}, {rest if keep_case else rest[0].lower() + rest[1:]}"


def without(source: str, phrase: str) -> str:
    """``source`` with ``phrase`` taken out, the separator it leaves dangling tidied away."""
    i = source.find(phrase)
    rest = f"{source[:i]} {source[i + len(phrase):]}"
    rest = re.sub(r"\s*[,，;；:：]\s*(?=[,，;；:：。.]|$)", "", rest)
    return re.sub(r"\s+(?=[,，;；:：。.])", "", re.sub(r"\s+", " ", rest)).strip(" ,，;；")


def passed(checks: dict[str, str]) -> bool:
    """Whether every check that can reject a rendering said ``ok`` (the advisory ones aside)."""
    return bool(checks) and all(checks.get(c) == "ok" for c in CHECKS if c not in ADVISORY)


def clean(checks: dict[str, str]) -> bool:
    """Whether every check said ``ok``, the advisory ones included."""
    return bool(checks) and all(checks.get(c) == "ok" for c in CHECKS)


# --- cache ----------------------------------------------------------------------------------------

class RenderingStore:
    """The renderings of one index folder: read once, appended to as renderings are made.

    Thread-safe: the chat renders in the background while sessions read. A line that cannot be
    read (a run killed mid-write) is skipped, so the file never blocks the index.
    """

    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / FILE
        self._lock = threading.Lock()
        self._items: dict[str, Rendering] = {}
        self.skipped = 0
        #: Counts additions, replacements included (a re-rendering keeps its key, so the length
        #: alone would not show it): readers that index the renderings rebuild when it moves.
        self.version = 0
        if self.path.exists():
            with open(self.path, "rb") as fh:
                for line in fh:
                    try:
                        r = Rendering.from_dict(json.loads(line))
                    except (ValueError, TypeError, KeyError):
                        self.skipped += 1
                        continue
                    self._items[r.key] = r

    def get(self, source: str, lang: str) -> Rendering | None:
        """The rendering of ``source`` in ``lang`` (passed or not), or ``None`` if never tried."""
        with self._lock:
            return self._items.get(rendering_key(source, lang))

    def settled(self, source: str, lang: str, glossary: Glossary | None = None) -> Rendering | None:
        """The rendering made under the current method, passed or not; ``None`` when the statement
        is still to be rendered (never, by an older method, or, given the ``glossary``, missing a
        term it had none to miss when it was checked: a term added to the glossary re-renders the
        statements that contain it; until then ``verified`` still serves the older one)."""
        r = self.get(source, lang)
        if r is None or r.method < RENDERING_METHOD:
            return None
        if r.checks.get("terms", "ok") == "ok" and check_terms(source, r.text, lang, glossary) != "ok":
            return None
        return r

    def verified(self, source: str, lang: str) -> str:
        """The verified rendering's text, or ``""``."""
        r = self.get(source, lang)
        return r.text if r is not None and r.passed else ""

    def add(self, rendering: Rendering) -> None:
        """Keep ``rendering`` and append it to the file (flushed, so a crash keeps what was done)."""
        line = (json.dumps(rendering.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self._items[rendering.key] = rendering
            self.version += 1
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())

    def __len__(self) -> int:
        return len(self._items)

    def all(self) -> list[Rendering]:
        with self._lock:
            return list(self._items.values())


# --- rendering ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One statement to render: its text, the target language, and hints (the document's headline
    in the target language, whose terms come first)."""

    source: str
    lang: str
    hints: tuple[str, ...] = ()


class Renderer:
    """Renders statements with a ``Translator``, checks them, retries once, caches the outcome."""

    def __init__(self, translator: Translator, embedder: Vectors, store: RenderingStore, min_similarity: float,
                 glossary: Glossary | None = None, max_omission: float = Settings.render_max_omission) -> None:
        self.translator = translator
        self.embedder = embedder
        self.store = store
        self.min_similarity = min_similarity
        self.max_omission = max_omission
        self.glossary = glossary
        self._lock = threading.Lock()  # one rendering at a time: the model serves one prompt

    def render(self, job: Job) -> Rendering:
        """The cached rendering of ``job``, or a new one (checked, retried once, stored)."""
        cached = self.store.settled(job.source, job.lang, self.glossary)
        if cached is not None:
            return cached
        with self._lock:
            cached = self.store.settled(job.source, job.lang, self.glossary)
            if cached is not None:
                return cached
            previous = self.store.get(job.source, job.lang)
            t0 = time.perf_counter()
            prepared = with_place_names(with_target_figures(job.source, job.lang), job.lang)
            if self.glossary is not None:
                prepared = self.glossary.write_in(prepared, other_language(job.lang), job.lang, job.hints)
            text = self._attempt(prepared, job.lang, list(job.hints))
            checks = self._check(job, text)
            attempts = 1
            if not clean(checks):
                # The retry goes without the terms (a failed first attempt was often the terms
                # list), clause by clause for a long statement (the 1.5B model drops a clause of a
                # 50-word statement), each clause with one retry of its own that names its problems.
                problems = [f"{k}: {v}" for k, v in checks.items() if v != "ok"]
                clauses = split_clauses(prepared)
                left_out = _LEFT_OUT.match(checks.get("coverage", ""))
                if passed(checks) and left_out and left_out["phrase"] in prepared and not _CONJUNCT.match(left_out["phrase"]):
                    # Only a phrase left out: one the model dropped from the end it kept once it
                    # came first (as with place phrases, ``front_place_phrase``).
                    retry = self._attempt(phrase_first(prepared, left_out["phrase"]), job.lang, [], problems)
                elif len(clauses) == 1:
                    retry = self._attempt(prepared, job.lang, [], problems)
                else:
                    retry = join_clauses([self._clause(c, job.lang) for c in clauses], job.lang)
                retry_checks = self._check(job, retry)
                # The first attempt stays unless the retry passes more (it had the headline's terms).
                if (passed(retry_checks), clean(retry_checks)) > (passed(checks), clean(checks)):
                    text, checks = retry, retry_checks
                attempts = 2
            r = Rendering(source=job.source, lang=job.lang, text=text, passed=passed(checks),
                          model=getattr(self.translator, "model", "") or self.translator.name, checks=checks, attempts=attempts,
                          seconds=round(time.perf_counter() - t0, 2), created=time.strftime("%Y-%m-%dT%H:%M:%S"),
                          method=RENDERING_METHOD)
            if not r.passed and previous is not None and previous.passed:
                # An older rendering that passes today's checks is no worse; it is kept and not
                # tried again (its terms check as of now, so that a glossary term it misses does not
                # send it back to be rendered at every use).
                again = self._check(job, previous.text)
                if passed(again):
                    r = replace(previous, method=RENDERING_METHOD, checks=again)
            self.store.add(r)
            return r

    def _check(self, job: Job, text: str) -> dict[str, str]:
        return check_rendering(job.source, text, job.lang, self.embedder, self.min_similarity, job.hints, self.glossary,
                               self.max_omission)

    def _attempt(self, text: str, lang: str, terms: list[str], problems: list[str] | None = None) -> str:
        return clean_output(self.translator.translate(text, lang, terms, figure_hints(text), problems))

    def _clause(self, clause: str, lang: str) -> str:
        """One clause rendered, and rendered again once if it fails the checks that need no
        embedding (language, untranslated words, names, figures)."""
        text = self._attempt(clause, lang, [])
        checks = check_rendering(clause, text, lang, None, 0.0)
        problems = [f"{k}: {v}" for k, v in checks.items() if v != "ok" and k != "similarity"]
        if not problems:
            return text
        if lang == "zh" and checks.get("figures", "ok") != "ok":
            clause = front_place_phrase(clause)
        return self._attempt(clause, lang, [], problems)

    def render_all(self, jobs: Iterable[Job], progress: bool = True,
                   pause: Callable[[], None] | None = None) -> "RenderReport":
        """Render every job not yet in the cache, with a progress bar; returns what was done.
        ``pause`` is called before each job (the chat's background rendering waits there while a
        question is being answered)."""
        from tqdm import tqdm

        todo = [j for j in dict.fromkeys(jobs) if self.store.settled(j.source, j.lang, self.glossary) is None]
        report = RenderReport()
        for job in tqdm(todo, desc="rendering statements", unit="stmt", disable=not progress or not todo,
                        file=sys.stderr):
            if pause is not None:
                pause()
            r = self.render(job)
            report.add(r)
        return report


@dataclass
class RenderReport:
    """What one rendering run did."""

    rendered: int = 0
    passed: int = 0
    seconds: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)  # check name -> failed renderings

    def add(self, r: Rendering) -> None:
        self.rendered += 1
        self.passed += r.passed
        self.seconds += r.seconds
        for name, verdict in r.checks.items():
            if verdict != "ok":
                key = f"{name} (kept)" if name in ADVISORY and r.passed else name
                self.failures[key] = self.failures.get(key, 0) + 1

    def summary(self) -> str:
        if not self.rendered:
            return "renderings: all statements already rendered"
        per = self.seconds / self.rendered
        failed = ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items()))
        return (f"renderings: {self.passed} of {self.rendered} passed the checks ({per:.1f} s per statement)"
                + (f"; checks not met: {failed}" if failed else ""))


def figure_hints(text: str) -> list[str]:
    """Every figure of ``text`` as written there (dates and years included): the figures the
    rendering must keep. Listed apart from the text, because the 1.5B model dropped a trailing
    "in the 232 national-level development zones" from a statement it otherwise rendered."""
    return list(dict.fromkeys(f.raw for f in parse_figures(text)))


def with_target_figures(source: str, lang: str) -> str:
    """``source`` with its large figures already written the target language's way ("$27.2
    billion" becomes "272亿美元" for a Chinese rendering): told the conversion, the 1.5B model still
    wrote 27.2亿美元; copying a figure it does much more reliably. Figures are converted in code."""
    from .figures import large_figures, to_chinese, to_english

    render = to_chinese if lang == "zh" else to_english
    out = source
    for f in sorted(large_figures(source), key=lambda f: -len(f.raw)):
        out = out.replace(f.raw, render(f))
    return out


# Chinese administrative suffixes and their English words: a place name before one of them is spelled
# in pinyin with the English word (东临市 -> Donglin City, 滨江新区 -> Binjiang New District).
_PLACE_SUFFIX = {"新区": "New District", "自治区": "Autonomous Region", "市": "City", "省": "Province",
                 "县": "County", "区": "District"}
# jieba's tags for proper nouns: place, person (it tags some unknown place stems as names), other.
# A word missing from its dictionary (青漪, tagged n) counts as a name too.
_PROPER = ("ns", "nr", "nz")


def place_names(text: str) -> list[tuple[str, str]]:
    """Chinese place names of ``text`` with their English form: a proper noun of two or more
    characters before an administrative suffix, or a place word ending in one. Unknown to the model
    (the evaluation's 东临市 is fictional), a name was left in Chinese or half translated
    ("East临市"), and the rendering failed; a translator writes it in pinyin."""
    import jieba
    import jieba.posseg
    from pypinyin import lazy_pinyin

    quiet_jieba()
    spell = lambda stem: "".join(lazy_pinyin(stem)).capitalize()  # noqa: E731
    words = [(w.word, w.flag) for w in jieba.posseg.cut(text)]
    found = []
    for (word, flag), (after, _) in zip(words, words[1:] + [("", "")]):
        if not re.fullmatch(r"[\u4e00-\u9fff]{2,}", word):
            continue
        if flag not in _PROPER and jieba.dt.FREQ.get(word):  # a known common word ("数据") is no name
            continue
        if after in _PLACE_SUFFIX:
            found.append((word + after, f"{spell(word)} {_PLACE_SUFFIX[after]}"))
        elif flag == "ns" and (suffix := next((x for x in _PLACE_SUFFIX if word.endswith(x) and len(word) > len(x) + 1), "")):
            found.append((word, f"{spell(word[:-len(suffix)])} {_PLACE_SUFFIX[suffix]}"))
    return list(dict.fromkeys(found))


def with_place_names(source: str, lang: str) -> str:
    """``source`` with its place names already in English for an English rendering (see
    ``place_names``); written in, as figures and glossary terms are, because copying a name is what
    the 1.5B model does reliably."""
    if lang != "en":
        return source
    for zh, en in sorted(place_names(source), key=lambda p: -len(p[0])):
        source = source.replace(zh, f" {en} ")
    return re.sub(r" {2,}", " ", source).strip()


_LABELS = r"译文|翻译|原文|术语|必须保留的数字|数字|Translation|Source|Terms|Figures to keep|Figures"
_LABEL_LINE = re.compile(rf"^\s*(?:{_LABELS})\s*[:：]\s*", re.IGNORECASE)
_ANSWER_LABEL = re.compile(r"(?:译文|Translation)\s*[:：]\s*", re.IGNORECASE)


def clean_output(text: str) -> str:
    """The translation alone. A small model sometimes echoes the prompt's labelled lines ("术语：…
    原文：… 译文：…"): the text after the last answer label is kept, and echoed input lines dropped
    when there are several lines (a one-line "Source: Zheng Quan Ri Bao" is a translation)."""
    text = text.strip()
    labels = list(_ANSWER_LABEL.finditer(text))
    if labels:
        text = text[labels[-1].end():]
    lines = [ln for ln in text.split("\n\n")[0].splitlines() if ln.strip()]
    kept = [ln for ln in lines if not _LABEL_LINE.match(ln)] if len(lines) > 1 else lines
    return " ".join(kept).strip()


#: Statements longer than this many words are rendered clause by clause on the retry.
LONG_STATEMENT_WORDS = 25
_CLAUSE = re.compile(r",\s+(?=(?:with|accounting|while|which|including|but)\b)|;\s+|，|；")


def join_clauses(pieces: list[str], lang: str) -> str:
    """Rendered clauses joined into one sentence (inner full stops dropped)."""
    sep = "，" if lang == "zh" else ", "
    return sep.join(p.rstrip("。.，, ") if i < len(pieces) - 1 else p for i, p in enumerate(pieces))


_PLACE_PHRASE = re.compile(r"^(?P<main>.+\S)\s+(?P<place>(?:in|across|among|throughout|at) (?:the |all |its |their )?"
                          r"[^,;]*\d[^,;]*)$")


def front_place_phrase(clause: str) -> str:
    """An English clause with its closing place phrase moved to the front ("There are 6万 firms in
    the 232 zones" becomes "In the 232 zones, there are 6万 firms"), where Chinese puts it. Only a
    phrase holding a figure moves: the 1.5B model dropped such a phrase from the end of a clause on
    every greedy and sampled attempt, and kept it in each of four attempts once it came first."""
    m = _PLACE_PHRASE.match(clause.strip())
    if not m:
        return clause
    place, main = m["place"], m["main"]
    return f"{place[0].upper()}{place[1:]}, {main[0].lower() if not main[:2].isupper() else main[0]}{main[1:]}"


def split_clauses(text: str) -> list[str]:
    """A long statement cut at its clause boundaries (", with", ", accounting", "; ", "，"), or
    ``[text]`` when it is short or has none."""
    if len(text.split()) <= LONG_STATEMENT_WORDS and len(text) <= 2 * LONG_STATEMENT_WORDS * 3:
        return [text]
    parts = [p.strip() for p in _CLAUSE.split(text) if p and p.strip()]
    return parts if len(parts) > 1 else [text]


def document_terms(title: str, lang: str, limit: int = 8) -> tuple[str, ...]:
    """Terms of a document's title in the target language: its words of three or more characters
    (国家级, 经开区, 生产力) for Chinese, capitalised phrases for English. Given as a list, not as the
    whole title: handed the whole headline, the 1.5B model returned the headline as the translation
    of 5 of 16 statements."""
    if not title or reader_language(title) != lang:
        return ()
    if lang == "zh":
        words = [w for w in quiet_jieba().lcut(title) if len(w) >= 3 and re.fullmatch(r"[\u4e00-\u9fff]+", w)]
    else:
        words = re.findall(r"[A-Z][A-Za-z-]+(?: (?:of |and |the )?[A-Z][A-Za-z-]+)+", title)
    return tuple(dict.fromkeys(words))[:limit]


def statement_jobs(chunks: Iterable[object]) -> list[Job]:
    """One job per statement of ``chunks`` whose language has a rendering target; the chunk's
    document title is a hint when it is written in the target language."""
    jobs = []
    for c in chunks:
        lang = target_language(getattr(c, "lang", ""))
        if not lang:
            continue
        hints = document_terms(getattr(c, "title", ""), lang)
        jobs += [Job(s.text, lang, hints) for s in getattr(c, "statements", ()) if s.text.strip()]
    return jobs


class RenderedLexical:
    """BM25 over the verified renderings, addressed by chunk position like the main BM25 index, so
    a Chinese question matches the Chinese words of an English chunk's renderings.

    Built in memory from the rendering cache and rebuilt when renderings were added or replaced
    since (the chat renders in the background, and questions render lazily). A rebuild walks the
    renderings, not the chunks: which chunk positions hold each statement is read from the chunks
    once, when the first rendering exists, so a lazy rendering in a large index costs a rebuild
    over the (few) renderings only.
    """

    def __init__(self, chunks: "Sequence[object]", store: RenderingStore) -> None:
        self._chunks = chunks
        self._store = store
        self._built_at = -1
        self._where: dict[str, list[int]] | None = None  # rendering key -> chunk positions
        self._positions: list[int] = []
        self._index: object = None
        self._lock = threading.Lock()

    def _statement_positions(self) -> dict[str, list[int]]:
        where: dict[str, list[int]] = {}
        for pos, c in self._chunks.items():
            lang = target_language(getattr(c, "lang", ""))
            if lang:
                for st in getattr(c, "statements", ()):
                    where.setdefault(rendering_key(st.text, lang), []).append(pos)
        return where

    def _refresh(self) -> None:
        from .lexical import LexicalIndex

        version = self._store.version
        if version == self._built_at:
            return
        texts: dict[int, list[str]] = {}
        if len(self._store):
            if self._where is None:
                self._where = self._statement_positions()
            for r in self._store.all():
                if r.passed:
                    for pos in self._where.get(r.key, ()):
                        texts.setdefault(pos, []).append(r.text)
        self._positions = sorted(texts)
        self._index = LexicalIndex.build([" ".join(texts[p]) for p in self._positions])
        self._built_at = version

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (chunk position, BM25 score) over the renderings."""
        with self._lock:
            self._refresh()
            index, positions = self._index, self._positions
        if not positions:
            return []
        return [(positions[i], score) for i, score in index.search(query, k)]  # type: ignore[attr-defined]
