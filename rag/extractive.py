"""Extractive answerer: no model; quotes the statements that best answer the question, with citations.

Deterministic and fast: the fallback of the generative answerers and the answerer of the fast tests.
"""

from __future__ import annotations

from typing import Iterator

from .evidence import Evidence
from .figures import large_figures, to_chinese
from .records import Language

#: A second statement is quoted when it scores within this cosine of the best one.
SECOND_STATEMENT_MARGIN = 0.04


class ExtractiveAnswerer:
    """Composes an answer from the top statements; Chinese questions get Chinese framing."""

    name = "extractive"

    def select(self, evidence: list[Evidence]) -> list[int]:
        """Indices (into ``evidence``) of the statements to quote."""
        if not evidence:
            return []
        chosen = [0]
        best = evidence[0].similarity
        for i, e in enumerate(evidence[1:3], start=1):
            if e.similarity >= best - SECOND_STATEMENT_MARGIN and e.statement.text != evidence[0].statement.text:
                chosen.append(i)
                break
        return chosen

    def generate(self, question: str, language: Language, evidence: list[Evidence],
                 history: list[tuple[str, str]] | None = None, notes: list[str] | None = None) -> Iterator[str]:
        """Yield the answer text; ``[n]`` refers to ``evidence[n-1]``. ``notes`` (retry hints for
        generative answerers) do not apply."""
        chosen = self.select(evidence)
        if language.dominant == "zh":
            parts = []
            for i in chosen:
                text = evidence[i].statement.text
                gloss = _chinese_figures(text) if evidence[i].chunk.lang != "zh" else ""
                parts.append(f"“{text}”{gloss}[{i + 1}]")
            yield "根据文档：" + "；".join(parts) + "。"
        else:
            parts = [f"{evidence[i].statement.text.rstrip('.')} [{i + 1}]." for i in chosen]
            yield "According to the documents: " + " ".join(parts)


def _chinese_figures(text: str) -> str:
    """Chinese renderings of the large or monetary figures of an English statement: （272亿美元；10.7万亿元）."""
    forms = [to_chinese(f) for f in large_figures(text)]
    return f"（{'；'.join(dict.fromkeys(forms))}）" if forms else ""
