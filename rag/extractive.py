"""Extractive answerer: no model; quotes the statements that best answer the question, with citations.

Deterministic and fast: the fallback of the generative answerers and the answerer of the fast tests.
"""

from __future__ import annotations

import re
from typing import Iterator

from .evidence import Evidence
from .figures import large_figures, parse_figures, to_chinese
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
_ASKS_QUANTITY = re.compile(r"\bhow (?:many|much)\b|\bwhat (?:share|proportion|percentage)\b|多少|几[个家项所]|比重|占比",
                            re.IGNORECASE)


class ExtractiveAnswerer:
    """Composes an answer from the top statements; Chinese questions get Chinese framing."""

    name = "extractive"

    def select(self, evidence: list[Evidence], question: str = "") -> list[int]:
        """Indices (into ``evidence``) of the statements to quote."""
        if not evidence:
            return []
        if evidence[0].support is not None:  # the model judged the close statements: quote its pick
            return [0]
        best = evidence[0].similarity
        # For a quantity question only statements that state a quantity are quoted, if one is close.
        numeric = None
        if _ASKS_QUANTITY.search(question):
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
                text = evidence[i].statement.text
                gloss = _chinese_figures(text) if evidence[i].lang != "zh" else ""
                parts.append(f"“{text}”{gloss}[{i + 1}]")
            yield LEADS[0] + "；".join(parts) + "。"
        else:
            parts = [f"{evidence[i].statement.text.rstrip('.')} [{i + 1}]." for i in chosen]
            yield LEADS[1] + " ".join(parts)


_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2})?|\d{4}年\d{1,2}月\d{1,2}日")


def states_quantity(text: str) -> bool:
    """Whether ``text`` states a figure other than a date or a bare year."""
    return any(f.unit or not (1900 <= f.value <= 2100 and f.value.is_integer())
               for f in parse_figures(_DATE.sub(" ", text)))


def _chinese_figures(text: str) -> str:
    """Chinese renderings of the large or monetary figures of an English statement: （272亿美元；10.7万亿元）."""
    forms = [to_chinese(f) for f in large_figures(text)]
    return f"（{'；'.join(dict.fromkeys(forms))}）" if forms else ""
