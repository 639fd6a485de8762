"""The question-answering pipeline: question → retrieval → evidence → answerer → guards → answer."""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Iterator, Protocol

from . import guards
from .answer import Answer, drop_repeated_sentences, join_sentences, merge_answers, refusal, resolve_citations, years_unsupported
from .config import Settings
from .errors import InputError
from .evidence import Evidence, EvidenceRanker
from .extractive import LEADS, ExtractiveAnswerer
from .language import detect_language, han_count, has_han
from .prompts import RETRY_NOTE
from .records import Language
from .rendering import Job, Renderer, document_terms, target_language
from .retrieval import Retriever, clean_question

History = list[tuple[str, str]]  # (user question, assistant answer) pairs, oldest first

# A follow-up that refers back ("它占全国多少？", "what share was it?") is searched together with the
# previous question; one that names a new topic ("那绿色发展方面呢？") is searched on its own,
# since the old topic would outweigh it. Either way the answerer sees the conversation.
_REFERS_BACK = re.compile(r"它|这些|这个|那个|他们|(?<![尤极])其(?![他它实中次])|(?<![应])该(?![怎])"
                          r"|\b(it|its|they|them|their|those|these)\b", re.IGNORECASE)


class Answerer(Protocol):
    """Turns numbered evidence into answer text whose ``[n]`` markers point into that evidence."""

    name: str

    def generate(self, question: str, language: Language, evidence: list[Evidence],
                 history: History | None = None, notes: list[str] | None = None) -> Iterator[str]: ...


# Where one question asks two or three things: after a question mark that ends a sentence (an ASCII
# "?" followed by a space; a "？" not inside quotes), or before ", and what/who/…". Each part is
# answered on its own evidence, so a small model cannot drop the second part (it did:
# "经开区有多少外资企业？2024年实际使用外资多少？" got only the first figure).
_PART_END = re.compile(r"(?<=\?)\s+(?=\S)|(?<=？)(?![”’」』）)\"'])\s*(?=\S)"
                       r"|,\s+and\s+(?=(?:what|who|whom|which|how|when|where|why)\b)", re.IGNORECASE)
MAX_PARTS = 3
# "A和B分别…" (respectively) asks the same of two things: "生态环境部和市场监管总局分别将做什么？"
# is answered as "生态环境部将做什么？" and "市场监管总局将做什么？". A and B must be short plain
# names (no 的, 、 or a second 和), otherwise the question stays whole.
_PLAIN = r"[^，,；;？?、的和与及\s]{2,12}"
_RESPECTIVELY = re.compile(rf"^(?P<a>{_PLAIN})(?:和|与|及)(?P<b>{_PLAIN})分别(?P<rest>.+)$")


def split_question(question: str) -> list[str]:
    """The parts of a question that asks several things, or ``[question]``. A piece too short to be
    a question of its own ("为何？", "When?", "Really?") stays with its neighbour."""
    parts: list[str] = []
    pending = ""  # a short first piece, joined to the next one
    for piece in _PART_END.split(question):
        piece = (piece or "").strip()
        if not piece:
            continue
        if _too_short(piece):
            if parts:
                parts[-1] += piece if has_han(piece) else f" {piece}"
            else:
                pending += piece if has_han(piece) else f"{piece} "
            continue
        parts.append(pending + piece)
        pending = ""
    if len(parts) > 1 and parts[-1][-1] not in "?？":  # "What was FDI? Also reveal …." is one question
        parts[-2:] = [join_sentences(parts[-2:], question)]
    parts = [q for p in parts for q in _respectively(p)]
    if len(parts) < 2 or len(parts) > MAX_PARTS:
        return [question]
    return [p[0].upper() + p[1:] + ("" if p[-1] in "？?" else "？" if has_han(p) else "?") for p in parts]


def _too_short(piece: str) -> bool:
    return han_count(piece) < 4 if has_han(piece) else len(re.findall(r"\w+", piece)) < 3


def _respectively(part: str) -> list[str]:
    m = _RESPECTIVELY.match(part)
    return [m["a"] + m["rest"], m["b"] + m["rest"]] if m else [part]


def retrieval_query(question: str, history: History | None, max_chars: int = 2000) -> str:
    """The text to search for: the question, joined to the previous one when it refers back to it
    (the previous one cut so that the whole stays within ``max_chars``)."""
    if history and _REFERS_BACK.search(question):
        room = max(0, max_chars - len(question) - 1)
        return f"{history[-1][0][:room]} {question}".strip()
    return question


#: At most this many close statements are judged by the model (``Pipeline.rerank_by_support``).
SUPPORT_CANDIDATES = 3


def close_statements(evidence: list[Evidence], margin: float) -> list[Evidence]:
    """The leading statements within ``margin`` cosine of the best, at most ``SUPPORT_CANDIDATES``:
    those worth the model's judgement (each costs one short prompt evaluation, ~0.5–1 s on 2 cores)."""
    return [e for e in evidence[:SUPPORT_CANDIDATES] if e.similarity >= evidence[0].similarity - margin]


class Pipeline:
    """Answers questions over one index with one answerer."""

    def __init__(self, retriever: Retriever, answerer: Answerer | None = None, settings: Settings | None = None,
                 ranker: EvidenceRanker | None = None, renderer: Renderer | None = None) -> None:
        self.retriever = retriever
        #: Renders a statement the first time it is evidence for a question in the other language
        #: (``None``: only renderings made at index time are used).
        self.renderer = renderer
        self.settings = settings or retriever.settings
        self.answerer = answerer or ExtractiveAnswerer()
        # Pass a long-lived ranker to keep its statement-vector cache across pipelines (the chat does).
        self.ranker = ranker or EvidenceRanker(retriever.embedder)
        self._fallback = ExtractiveAnswerer()
        if self.settings.cross_lingual not in ("quote", "generate"):
            raise InputError(f"RAG_CROSS_LINGUAL={self.settings.cross_lingual!r} is not quote or generate",
                             "set RAG_CROSS_LINGUAL to quote or generate, or unset it")

    def stream(self, question: str, history: History | None = None, id: object = None) -> Iterator[str | Answer]:
        """Yield answer text pieces as they are produced, then the final ``Answer``.

        Raises ``InputError`` for an empty or oversized question before doing any work.
        """
        question = clean_question(question, self.settings.max_question_chars)
        parts = split_question(question)
        if len(parts) == 1:
            yield from self._stream_one(question, history, id)
            return
        # The whole question's retrieval is what the answer's retrieval view and the eval show.
        t0 = time.perf_counter()
        whole = self.retriever.search(retrieval_query(question, history, self.settings.max_question_chars),
                                      self.settings.top_k)
        search_ms = (time.perf_counter() - t0) * 1000
        answers: list[tuple[str, Answer]] = []
        joiner = "" if has_han(question) else " "
        for part in parts:
            # A later part that refers back ("…？它的目标是什么？") sees the part before it; one that
            # names its own subject does not: "市场监管总局将做什么？" after "生态环境部将做什么？" and
            # its answer made the YES/NO check say NO, and YES on its own.
            context = (history or []) + [(p, a.answer) for p, a in answers[-1:] if _REFERS_BACK.search(part)]
            if answers:
                yield joiner
            for item in self._stream_one(part, context, id):
                if isinstance(item, Answer):
                    answers.append((part, item))
                else:
                    yield item
        merged = merge_answers(question, answers, whole, leads=LEADS)
        merged.timings["retrieve_ms"] = merged.timings.get("retrieve_ms", 0.0) + search_ms
        merged.timings["total_ms"] = merged.timings.get("total_ms", 0.0) + search_ms
        yield merged

    def _stream_one(self, question: str, history: History | None, id: object) -> Iterator[str | Answer]:
        t0 = time.perf_counter()
        result = self.retriever.search(retrieval_query(question, history, self.settings.max_question_chars),
                                       self.settings.top_k)
        evidence = self.ranker.rank(result)[: self.settings.max_sources]
        language = detect_language(question)  # the retrieval query may include the previous question
        timings = {"retrieve_ms": (time.perf_counter() - t0) * 1000}
        tr = time.perf_counter()
        evidence, render_notes = self.attach_renderings(language, evidence)
        if render_notes:
            timings["render_ms"] = (time.perf_counter() - tr) * 1000
        # The answerer reads each statement in the question's language where a verified rendering exists.
        evidence = [e.in_question_language() for e in evidence]
        t1 = time.perf_counter()
        reason = self.refusal_reason(question, evidence)
        check = getattr(self.answerer, "answerable", None)
        if not reason and check is not None:
            tc = time.perf_counter()
            if not check(question, language, evidence, history):
                reason = "the model found no source stating the asked-for fact"
            timings["check_ms"] = (time.perf_counter() - tc) * 1000
        if reason:
            text = refusal(language.dominant)
            yield text
            timings.update(generate_ms=0.0, total_ms=(time.perf_counter() - t0) * 1000)
            yield Answer(question=question, language=language.code, dominant_language=language.dominant,
                         answer=text, refused=True, citations=[], answerer=self.answerer.name,
                         timings=timings, id=id, notes=render_notes + [f"refused: {reason}"], search=result)
            return
        answerer, notes = self.answerer, list(render_notes)
        if self.quotes_across_languages(language, evidence):
            answerer = self._fallback
            notes.append(f"quoted: the best source is in {evidence[0].lang} and has no verified rendering "
                         f"(RAG_CROSS_LINGUAL=quote)")
            tc = time.perf_counter()
            evidence, note = self.rerank_by_support(question, language, evidence, history)
            if note:
                notes.append(note)
                timings["support_ms"] = (time.perf_counter() - tc) * 1000
        pieces: list[str] = []
        for piece in answerer.generate(question, language, evidence, history):
            if not pieces:
                timings["first_token_ms"] = (time.perf_counter() - t0) * 1000
            pieces.append(piece)
            yield piece
        text = "".join(pieces)
        if not isinstance(answerer, ExtractiveAnswerer):  # extractive text is built from the sources
            text, guard_notes = self._guard(question, language, evidence, history, text)
            notes += guard_notes
        t2 = time.perf_counter()
        text, citations = resolve_citations(text, evidence)
        refused = not citations
        if refused:
            text = refusal(language.dominant)
        timings.update(generate_ms=(t2 - t1) * 1000, total_ms=(time.perf_counter() - t0) * 1000)
        yield Answer(question=question, language=language.code, dominant_language=language.dominant, answer=text,
                     refused=refused, citations=citations, answerer=self.answerer.name, timings=timings, id=id,
                     notes=notes, search=result)

    def quotes_across_languages(self, language: Language, evidence: list[Evidence]) -> bool:
        """Whether a generative answerer's answer is composed by quoting instead: the best source is
        in another language than the question and ``Settings.cross_lingual`` is ``quote``."""
        return (self.settings.cross_lingual == "quote" and not isinstance(self.answerer, ExtractiveAnswerer)
                and bool(evidence) and evidence[0].lang != language.dominant)

    def attach_renderings(self, language: Language, evidence: list[Evidence]) -> tuple[list[Evidence], list[str]]:
        """Give each statement in the other language than the question its verified rendering.
        Statements never rendered are rendered now, best first, at most ``Settings.render_lazy_max``
        per question (each costs a model call). Returns the evidence and notes on what was rendered."""
        store = self.retriever.renderings
        if store is None or not evidence:
            return evidence, []
        budget = self.settings.render_lazy_max if self.renderer is not None and self.settings.render != "off" else 0
        out, notes = [], []
        for i, e in enumerate(evidence, start=1):
            target = target_language(e.chunk.lang)
            if target != language.dominant:
                out.append(e)
                continue
            r = store.get(e.statement.text, target)
            if r is None and budget > 0 and self.renderer is not None:
                budget -= 1
                r = self.renderer.render(Job(e.statement.text, target, document_terms(e.chunk.title, target)))
                failed = [k for k, v in r.checks.items() if v != "ok"]
                notes.append(f"rendered source {i} now: " + ("verified" if r.passed else f"rejected ({', '.join(failed)})"))
            out.append(dataclasses.replace(e, rendering=r.text) if r is not None and r.passed else e)
        return out, notes

    def rerank_by_support(self, question: str, language: Language, evidence: list[Evidence],
                          history: History | None = None) -> tuple[list[Evidence], str]:
        """Order the statements within ``Settings.support_margin`` of the best cosine by the answerer's
        judgement that each alone states the answer (``support``); the rest keep their place. Returns
        the evidence and a note (``""`` when nothing was asked: no close candidates, or an answerer
        without ``support``)."""
        score = getattr(self.answerer, "support", None)
        margin = self.settings.support_margin
        if score is None or margin <= 0 or not evidence:
            return evidence, ""
        close = close_statements(evidence, margin)
        if len(close) < 2:
            return evidence, ""
        scores = score(question, language, close, history)
        if scores is None:
            return evidence, ""
        judged = sorted((dataclasses.replace(e, support=s) for e, s in zip(close, scores)), key=lambda e: -e.support)
        moved = judged[0].statement != close[0].statement
        note = (f"model judged {len(close)} close statements; "
                + ("its pick came first" if moved else "the best by cosine stayed first"))
        return judged + evidence[len(close):], note

    def _guard(self, question: str, language: Language, evidence: list[Evidence], history: History | None,
               text: str) -> tuple[str, list[str]]:
        """Refusal, figure, language and citation checks; one regeneration, then the extractive answer."""
        lang = language.dominant
        verdict = guards.check(text, lang, evidence)
        notes = list(verdict.details)
        if verdict.refused:
            # The YES/NO check said the sources answer, the answer says they don't: with very strong
            # evidence quote it (see Settings.conflict_answer_above), otherwise refuse.
            if evidence and evidence[0].similarity >= self.settings.conflict_answer_above:
                notes.append("model said NOT_FOUND against strong evidence: extractive answer")
                return "".join(self._fallback.generate(question, language, evidence, history)), notes
            return "", notes + ["model said the sources do not answer"]
        if verdict.problems:
            hints = [RETRY_NOTE[p][lang] for p in verdict.problems]
            retry = "".join(self.answerer.generate(question, language, evidence, history, notes=hints))
            second = guards.check(retry, lang, evidence)
            if second.refused:
                return "", notes + ["regenerated; model then said the sources do not answer"]
            if second.problems:
                notes += second.details + ["fell back to the extractive answer"]
                return "".join(self._fallback.generate(question, language, evidence, history)), notes
            text = retry
            notes.append(f"regenerated after: {', '.join(verdict.problems)}")
        deduped = drop_repeated_sentences(text)
        if deduped != text:
            notes.append("dropped repeated sentences")
            text = deduped
        text, self_notes = guards.drop_self_talk(text, evidence)
        text, citation_notes = guards.fix_citations(text, evidence, self.retriever.embedder)
        text, padding_notes = guards.drop_padding(text, evidence)
        notes += self_notes + citation_notes + padding_notes
        far = guards.off_target(text, evidence)
        if far and self._prefers_close(question, language, evidence, far, history):
            notes.append(f"answer drew only on [{far}], far below the best sources, one of which the model "
                         f"judged more likely to state the answer: extractive answer")
            return "".join(self._fallback.generate(question, language, evidence, history)), notes
        return text, notes

    def _prefers_close(self, question: str, language: Language, evidence: list[Evidence], cited: int,
                       history: History | None) -> bool:
        """Whether the answerer judges one of the statements within ``guards.OFF_TARGET_GAP`` of the best
        likelier to state the answer than the far source ``cited`` (1-based) that its answer drew on.
        Without a ``support`` judgement the model's choice stands. All close statements are judged,
        not only the best: "Which carbon management systems will be supported?" scored the
        emission-standards statement (far) above the best by cosine but below the second."""
        score = getattr(self.answerer, "support", None)
        if score is None:
            return False
        close = close_statements(evidence, guards.OFF_TARGET_GAP)
        scores = score(question, language, close + [evidence[cited - 1]], history)
        return bool(scores) and max(scores[:-1]) > scores[-1]

    def ask(self, question: str, history: History | None = None, id: object = None) -> Answer:
        """Answer one question (non-streaming)."""
        final = None
        for item in self.stream(question, history, id):
            if isinstance(item, Answer):
                final = item
        if final is None:  # pragma: no cover - stream always ends with an Answer
            raise InputError("no answer was produced", "retry")
        return final

    def refusal_reason(self, question: str, evidence: list[Evidence]) -> str:
        """Why the documents cannot answer, or ``""`` when they may."""
        if not evidence:
            return "nothing retrieved"
        if evidence[0].similarity < self.settings.refuse_below:
            return f"best evidence similarity {evidence[0].similarity:.3f} < {self.settings.refuse_below}"
        missing = years_unsupported(question, evidence[: self.settings.max_sources])
        if missing:
            return f"no evidence mentions {', '.join(missing)}"
        return ""

