"""Language detection for questions and chunks: ``zh``, ``en`` or ``mixed``.

langdetect alone is unreliable on short text and knows nothing of mixed questions, so a script check
(share of CJK characters among letters) decides clear cases and langdetect, seeded for determinism,
arbitrates Latin-script text that may not be English.
"""

from __future__ import annotations

import re
from typing import Any

from .records import Language

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def has_han(text: str) -> bool:
    """Whether ``text`` contains a Chinese character."""
    return _HAN.search(text) is not None


def han_count(text: str) -> int:
    """How many Chinese characters ``text`` has."""
    return len(_HAN.findall(text))


def cjk_ratio(text: str) -> float:
    """Share of Han characters among Han characters plus Latin words (a word weighs like 1.5 characters)."""
    han = han_count(text)
    words = len(_LATIN_WORD.findall(text))
    total = han + 1.5 * words
    return han / total if total else 0.0


_LATIN_LETTER = re.compile(r"[A-Za-z]")
# A Latin word with the digits and hyphens of model names ("QH-700", "TIDE-2").
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
# documents.REF_MARKER's pattern: this base module may not import the ingest layer.
_CITATION_MARK = re.compile(r"\[\d{1,3}\]")
#: The share of letters (Han characters plus Latin letters) that makes a text read as one language.
READER_SHARE = 0.7


def reader_language(text: str, names: str = "") -> str:
    """The language a reader reads in ``text``, quoted passages included: ``zh`` when Han characters
    are at least 70% of its letters (citation markers aside), ``en`` when Latin letters are, else
    ``mixed``. Unlike ``detect_language`` (built for short questions, where one English term must not
    flip a Chinese question), an English sentence inside “” counts here as the English it is.

    Latin words that also occur in ``names`` (pass the question) are left out: a name the reader
    typed reads the same in either language. "QH-700 Pro 的电池续航为240天。" answers
    "QH-700 Pro 的电池续航有多久？" in Chinese, though its Latin letters are 5 of 12."""
    bare = _CITATION_MARK.sub("", text)
    if typed := {w.lower() for w in _NAME_WORD.findall(names)}:
        bare = _NAME_WORD.sub(lambda m: " " if m.group().lower() in typed else m.group(), bare)
    han, latin = han_count(bare), len(_LATIN_LETTER.findall(bare))
    if han + latin == 0:
        return "en"
    if han >= READER_SHARE * (han + latin):
        return "zh"
    return "en" if latin >= READER_SHARE * (han + latin) else "mixed"


def language_neutral(text: str) -> bool:
    """True for text a reader of either language reads alike: figures, units as symbols and
    punctuation, no Han characters and no Latin letters ("2.91% [1]", "9,870 [2]")."""
    bare = _CITATION_MARK.sub("", text)
    return bool(bare.strip()) and han_count(bare) == 0 and not _LATIN_LETTER.search(bare)


def other_language(lang: str) -> str:
    """The other one of ``zh`` and ``en`` (what a statement in ``lang`` is rendered into), or ``""``
    for anything else (mixed text has no other language)."""
    return {"en": "zh", "zh": "en"}.get(lang, "")


def detect_language(text: str) -> Language:
    """Detect ``zh``/``en``/``mixed``. Deterministic; never raises (empty text counts as ``en``)."""
    ratio = cjk_ratio(text)
    han = han_count(text)
    words = len(_LATIN_WORD.findall(text))
    if han == 0:
        return Language("en", "en", 0.0)
    if words == 0 or ratio >= 0.85:
        return Language("zh", "zh", ratio)
    # Both scripts present. A Chinese question with one English term ("GDP是多少？") is zh; a clear
    # majority of either script decides; otherwise it is mixed and langdetect picks the dominant one.
    if ratio > 0.75 or (words <= 1 and han >= 2):
        return Language("zh", "zh", ratio)
    if ratio <= 0.15 and words >= 4:
        return Language("en", "en", ratio)
    return Language("mixed", _dominant(text, ratio), ratio)


def _dominant(text: str, ratio: float) -> str:
    # A full-width question mark is typed in a Chinese input method: "2024年development zones的actual
    # foreign investment是多少？" is a Chinese sentence about English terms. (An ASCII "?" proves
    # nothing: Chinese writers use it too.)
    if text.rstrip().endswith("？"):
        return "zh"
    if not 0.35 <= ratio <= 0.65:  # a clear majority of one script decides
        return "zh" if ratio > 0.5 else "en"
    guess = detect_script_language(text)
    if guess.startswith("zh"):
        return "zh"
    if guess == "en":
        return "en"
    return "zh" if ratio >= 0.5 else "en"


def detect_script_language(text: str) -> str:
    """langdetect's guess (seeded, so repeatable), e.g. ``en`` or ``zh-cn``; ``""`` when it cannot tell."""
    try:
        from langdetect import DetectorFactory, detect
        from langdetect.lang_detect_exception import LangDetectException
    except ImportError:  # pragma: no cover - langdetect is a hard dependency
        return ""
    DetectorFactory.seed = 0
    try:
        return detect(text)
    except LangDetectException:
        return ""


def quiet_jieba() -> Any:
    """The jieba module, imported on first use (it loads its dictionary then, ~1 s) with its
    start-up messages turned off: they would land in the CLI's output and the chat's log."""
    import logging

    import jieba
    import jieba.posseg  # noqa: F401  (used through the module by callers that tag words)

    jieba.setLogLevel(logging.WARNING)
    return jieba
