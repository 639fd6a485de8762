"""Standard bilingual terms for renderings: 营商环境 for "business environment", 生态环境部 for the
Ministry of Ecology and Environment.

Left alone, the 1.5B model translated those as 业务环境 and 环保部, and "advanced manufacturing" as
关键的制造业: the figures and similarity checks pass such renderings, and a Chinese reader then
meets words no Chinese article uses. So a statement's known terms are written in the target
language in the source before the model sees it (as its figures are: the model copies what it is
given), and a rendering that drops one is sent back for its retry (``rendering.check_terms``, an
advisory check: a rendering is not rejected for it alone).

The bundled list (``rag/data/glossary.tsv``) holds the central government bodies under their
official names and the recurring terms of Chinese economic and policy news; ``RAG_GLOSSARY`` adds
a file of a user's own. No library does this for Chinese-English: a term base is data, and
matching English phrases (case, plurals, word boundaries) against a few hundred entries is a few
lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import InputError
from .language import has_han


@dataclass(frozen=True)
class Term:
    """One concept's names: ``en`` and ``zh`` forms, the preferred first."""

    en: tuple[str, ...]
    zh: tuple[str, ...]

    def forms(self, lang: str) -> tuple[str, ...]:
        return self.zh if lang == "zh" else self.en

    def written(self, lang: str, hints: tuple[str, ...] = ()) -> str:
        """The form to write in ``lang``: one the document's own headline terms use, else the first."""
        joined = "".join(hints)

        def shared(form: str) -> int:  # how much of the headline's wording the form carries
            return len(form) if form in joined else sum(len(h) for h in hints if len(h) >= 3 and h in form)

        forms = self.forms(lang)
        return max(forms, key=lambda f: (shared(f), -forms.index(f))) if joined else forms[0]


@dataclass(frozen=True)
class Match:
    """Where a term's form occurs in a text."""

    term: Term
    start: int
    end: int


def parse(text: str, origin: str) -> list[Term]:
    """Terms of a glossary file: ``en forms<TAB>zh forms`` per line, forms separated by ``|``."""
    terms = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        en = tuple(f.strip() for f in cols[0].split("|") if f.strip())
        zh = tuple(f.strip() for f in cols[1].split("|") if f.strip()) if len(cols) == 2 else ()
        if len(cols) != 2 or not en or not zh:
            raise InputError(f"{origin}, line {n}: a glossary line is `English forms<TAB>Chinese forms`",
                             "separate the two columns with one tab and the forms with |")
        terms.append(Term(en, zh))
    return terms


class Glossary:
    """A list of terms, matched longest form first so "pilot free trade zone" wins over
    "free trade zone"."""

    def __init__(self, terms: list[Term]) -> None:
        self.terms = terms
        self._patterns = {lang: self._compile(lang) for lang in ("en", "zh")}

    def _compile(self, lang: str) -> tuple[re.Pattern[str], dict[str, Term]] | None:
        by_form: dict[str, Term] = {}
        for t in self.terms:
            for f in t.forms(lang):
                by_form.setdefault(f.lower(), t)
        if not by_form:
            return None
        forms = sorted(by_form, key=len, reverse=True)
        if lang == "en":  # whole words, any case, a plural allowed: "development zones"
            body = "|".join(re.escape(f) for f in forms)
            pattern = re.compile(rf"(?<![A-Za-z-])(?:{body})(?:e?s)?(?![A-Za-z])", re.IGNORECASE)
        else:
            pattern = re.compile("|".join(re.escape(f) for f in forms))
        return pattern, by_form

    def find(self, text: str, lang: str) -> list[Match]:
        """The terms whose ``lang`` form occurs in ``text``, in order, without overlaps."""
        compiled = self._patterns.get(lang)
        if compiled is None:
            return []
        pattern, by_form = compiled
        found = []
        for m in pattern.finditer(text):
            key = m.group(0).lower()
            term = by_form.get(key) or by_form.get(key[:-1]) or by_form.get(key[:-2])  # as written, -s, -es
            if term is not None:
                found.append(Match(term, m.start(), m.end()))
        return found

    def write_in(self, text: str, source_lang: str, target: str, hints: tuple[str, ...] = ()) -> str:
        """``text`` with each known term written in ``target`` (the form the document's headline
        uses where it has one)."""
        out, last = [], 0
        for m in self.find(text, source_lang):
            out += [text[last:m.start], m.term.written(target, hints)]
            last = m.end
        out.append(text[last:])
        return "".join(out)

    def named(self, name: str) -> Term | None:
        """The term ``name`` names: one of its forms in any case and spacing, or its Chinese form
        spelled in pinyin ("Zheng Quan Ri Bao" for 证券日报, the way English summaries of Chinese news
        give their source); ``None`` when none does."""
        key = _letters(name)
        if not key:
            return None
        for term in self.terms:
            if any(_letters(f) == key for f in term.en + term.zh):
                return term
        if key.isascii():
            for term in self.terms:
                if any(_pinyin(f) == key for f in term.zh):
                    return term
        return None

    def named_in(self, text: str) -> set[Term]:
        """The terms ``text`` names in either language."""
        return {m.term for lang in ("en", "zh") for m in self.find(text, lang)}

    def missing(self, source: str, source_lang: str, rendering: str, target: str) -> list[str]:
        """The terms of ``source`` that ``rendering`` names in none of their ``target`` forms."""
        low = rendering.lower()
        gone = []
        for m in self.find(source, source_lang):
            if not any(f.lower() in low for f in m.term.forms(target)):
                gone.append(m.term.forms(target)[0])
        return list(dict.fromkeys(gone))


def _letters(name: str) -> str:
    """A name reduced to what identifies it: lower-case letters, digits and Han characters."""
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", name.lower())


@lru_cache(maxsize=256)
def _pinyin(han: str) -> str:
    from pypinyin import lazy_pinyin

    return _letters("".join(lazy_pinyin(han)))


@lru_cache(maxsize=8)
def load_glossary(extra: str = "") -> Glossary:
    """The bundled glossary, with the terms of the file ``extra`` (``RAG_GLOSSARY``) first: a
    user's own names win over the bundled ones."""
    terms = []
    if extra:
        path = Path(extra).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"glossary file {path} not found", "fix RAG_GLOSSARY or unset it") from None
        except UnicodeDecodeError:
            raise InputError(f"glossary file {path} is not UTF-8 text", "save it as UTF-8") from None
        terms += parse(text, str(path))
    terms += parse(resources.files("rag.data").joinpath("glossary.tsv").read_text(encoding="utf-8"), "glossary.tsv")
    return Glossary(terms)


class Measures:
    """Statistical measures (GDP, employment, tax …) a question may ask for and a source must name
    to answer it: ``asked_in`` reads a question by the measures' own names, ``stated_in`` a source
    by those and the further words a source may use ("inhabitants" for a population)."""

    def __init__(self, asked: list[Term], stated: list[Term]) -> None:
        self._asked, self._stated = Glossary(asked), Glossary(stated)

    def asked_in(self, question: str) -> set[str]:
        """The measures a question names, by their first English name."""
        return {t.en[0] for t in self._asked.named_in(question)}

    def stated_in(self, text: str) -> set[str]:
        """The measures a source text names, in either language."""
        return {t.en[0] for t in self._stated.named_in(text)}


@lru_cache(maxsize=1)
def load_measures() -> Measures:
    """The bundled measures (``rag/data/measures.tsv``): the glossary's two columns, then the
    further words of either language a source may state the measure with."""
    asked, stated = [], []
    text = resources.files("rag.data").joinpath("measures.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        term = parse("\t".join(cols[:2]), "measures.tsv")[0]
        more = [f.strip() for f in (cols[2] if len(cols) > 2 else "").split("|") if f.strip()]
        asked.append(term)
        stated.append(Term(term.en + tuple(f for f in more if not has_han(f)),
                           term.zh + tuple(f for f in more if has_han(f))))
    return Measures(asked, stated)
