"""The question-answering pipeline: question → retrieval → evidence → answerer → guards → answer."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
import time
from typing import Any, Iterator, Protocol

from . import guards
from .answer import (Answer, join_sentences, measures_unsupported, merge_answers, refusal, resolve_citations,
                     periods_cited_elsewhere, periods_unsupported)
from .config import Settings
from .errors import InputError
from .evidence import Evidence, EvidenceRanker, leans_back
from .extractive import (LEADS, ExtractiveAnswerer, asked_units, asks_day, asks_quantity, asks_year, mentions_quantity,
                         states_day, states_quantity, states_unit, states_year)
from .language import detect_language, han_count, has_han, quiet_jieba
from .lexical import tokenize
from .prompts import RETRY_NOTE
from .records import Language, SearchResult
from .rendering import Job, Renderer, document_terms, target_language
from .retrieval import Retriever, clean_question

History = list[tuple[str, str]]  # (user question, assistant answer) pairs, oldest first

# A follow-up that refers back ("它占全国多少？", "what share was it?") is searched together with the
# previous question; one that names a new topic ("那绿色发展方面呢？") is searched on its own,
# since the old topic would outweigh it. Either way the answerer sees the conversation.
_REFERS_BACK = re.compile(r"它|这些|这个|那个|他们|(?<![尤极])其(?![他它实中次])|(?<![应])该(?![怎])"
                          r"|\b(it|its|they|them|their|those|these)\b"
                          # "that" / "this" ending a question stand for what came before ("…was that?"); elsewhere
                          # they often open a relative clause ("the plan that …") and refer to nothing
                          r"|\b(?:that|this)\s*[?？.!]?\s*$", re.IGNORECASE)


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


def refers_back(question: str) -> bool:
    """Whether a question leans on the one before it: through a pronoun ("它", "these", "…was
    that?"), or, in Chinese, by having no subject of its own: its first word is no noun ("同比增长
    多少？", "什么时候发布的？", "2024年实际使用外资多少？", "具体有哪些措施？"). Chinese drops a
    subject the sentence before has named where English would write "it"."""
    if _REFERS_BACK.search(question):
        return True
    if not has_han(question):
        return False
    words = [w for w in quiet_jieba().posseg.cut(question) if w.word.strip() and w.flag != "x"]
    while words and words[0].word in _OPENERS:  # "那绿色发展方面呢？" names a new subject
        words = words[1:]
    return bool(words) and not (words[0].flag.startswith("n") or words[0].flag in ("eng", "vn"))


#: Words opening a Chinese question before its subject: they do not make it lean back.
_OPENERS = frozenset("那 那么 而 还有 另外 此外 以及 和 与 至于".split())


def retrieval_query(question: str, history: History | None, max_chars: int = 2000) -> str:
    """The text to search for: the question, joined to the previous one when it refers back to it
    (the previous one cut so that the whole stays within ``max_chars``)."""
    if history and refers_back(question):
        room = max(0, max_chars - len(question) - 1)
        return f"{history[-1][0][:room]} {question}".strip()
    return question


#: At most this many close statements are judged by the model (``Pipeline.rerank_by_support``).
SUPPORT_CANDIDATES = 3


def close_statements(evidence: list[Evidence], margin: float) -> list[Evidence]:
    """The leading statements within ``margin`` cosine of the best, at most ``SUPPORT_CANDIDATES``:
    those worth the model's judgement (each costs one short prompt evaluation, ~0.5–1 s on 2 cores)."""
    return [e for e in evidence[:SUPPORT_CANDIDATES] if e.similarity >= evidence[0].similarity - margin]


#: How many of the best statements the model judges one by one when its NOT_FOUND probability would
#: refuse, or the best statement is weakly similar (``Pipeline._best_support``; judging stops at the
#: first that clears the bar). Each judgement adds ~1.5 s to a refusal on 2 cores. On XQuAD the
#: answer was often in the second or third statement, judged 0.66–0.98 while the first was refused;
#: three, refitted with ``Settings.llm_weak_support_below`` (``eval/fit_weak_evidence.py``), refused
#: fewer answerable and more unanswerable fitting questions than the first alone.
SUPPORT_STATEMENTS = 3
#: Words capitalised only because they begin a sentence (lower-cased after "Yes, ").
_SENTENCE_START_WORDS = frozenset("the there it its this these those they a an in on by with as at for from "
                                  "over more about some all each both".split())


@dataclass
class Turn:
    """One question (or one part of a question) on its way through the pipeline's steps."""

    question: str
    history: History | None
    id: object
    language: Language
    started: float
    result: SearchResult | None = None
    evidence: list[Evidence] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: What the steps did, in order (the answer's notes: the eval and the UI's diagnostics show them).
    notes: list[str] = field(default_factory=list)
    #: False once ``decide`` has taken the decision to answer from the model's own probability of
    #: refusing: the answer is then written without NOT_FOUND.
    may_refuse: bool = True


#: Weight of the shared-word share beside cosine when the fallback picks a clause to quote.
CLAUSE_WORD_WEIGHT = 0.2


class Pipeline:
    """Answers questions over one index with one answerer, as a line of steps:

    plan (``split_question``, ``retrieval_query``) → ``retrieve`` → ``select`` → ``decide`` →
    compose (``composer``, then its ``generate``) → ``verify`` → ``repair`` → ``finish``.
    """

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
        self._fallback = ExtractiveAnswerer(self._score_clauses)
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
            context = (history or []) + [(p, a.answer) for p, a in answers[-1:] if refers_back(part)]
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
        """One question through the steps: retrieve → select → decide → compose → verify → repair."""
        turn = self.prepare(question, history, id)
        reason = self.decide(turn)
        if reason:
            text = refusal(turn.language.dominant)
            yield text
            yield self.finish(turn, text, refused_because=reason)
            return
        answerer = self.composer(turn)
        pieces: list[str] = []
        tg = time.perf_counter()
        for piece in self._generate(answerer, turn):
            if not pieces:
                turn.timings["first_token_ms"] = (time.perf_counter() - turn.started) * 1000
            pieces.append(piece)
            yield piece
        text = "".join(pieces)
        if not isinstance(answerer, ExtractiveAnswerer):  # extractive text is built from the sources
            text = self.repair(turn, text, self.verify(turn, text))
        turn.timings["generate_ms"] = (time.perf_counter() - tg) * 1000
        yield self.finish(turn, text)

    # -- the steps ---------------------------------------------------------------------------------
    def prepare(self, question: str, history: History | None = None, id: object = None) -> "Turn":
        """A turn for one question (or part), retrieved and with its evidence selected: what
        ``decide`` reads (also the refusal calibration, ``evalrun.refusal_probabilities``)."""
        turn = Turn(question=question, history=history, id=id, language=detect_language(question),
                    started=time.perf_counter())
        self.retrieve(turn)
        self.select(turn)
        return turn

    def retrieve(self, turn: "Turn") -> None:
        """Search the index for the question (joined to the previous one when it refers back)."""
        t0 = time.perf_counter()
        turn.result = self.retriever.search(
            retrieval_query(turn.question, turn.history, self.settings.max_question_chars), self.settings.top_k)
        turn.timings["retrieve_ms"] = (time.perf_counter() - t0) * 1000

    def select(self, turn: "Turn") -> None:
        """The best statements of the hits, each in the question's language where a verified
        rendering exists (rendering it now when it was never tried, see ``attach_renderings``)."""
        assert turn.result is not None
        evidence = self.ranker.rank(turn.result)[: self.settings.max_sources]
        t0 = time.perf_counter()
        evidence, notes = self.attach_renderings(turn.language, evidence)
        if notes:
            turn.timings["render_ms"] = (time.perf_counter() - t0) * 1000
            turn.notes += notes
        turn.evidence = [e.in_question_language() for e in evidence]

    def decide(self, turn: "Turn") -> str:
        """Why the documents cannot answer, or ``""``: no or weak evidence, a year no evidence
        mentions, or the model's own judgement: the local model's probability of answering
        NOT_FOUND above ``Settings.llm_refuse_above`` unless its per-statement judgement finds one that
        states the answer (``Settings.llm_support_above``; an answer decided on may not refuse), or,
        on weak evidence, its judgement that the best statement does not (``_weak_and_unsupported``);
        an endpoint's YES/NO check."""
        reason = self.refusal_reason(turn.question, turn.evidence)
        if reason:
            return reason
        t0 = time.perf_counter()
        probability = getattr(self.answerer, "refusal_probability", None)
        check = getattr(self.answerer, "answerable", None)
        p = probability(turn.question, turn.language, turn.evidence, turn.history) if probability else None
        if p is not None:
            turn.notes.append(f"NOT_FOUND probability {p:.3f}")
            if p > self.settings.llm_refuse_above:
                reason = f"the model's NOT_FOUND probability {p:.2f} > {self.settings.llm_refuse_above}"
                best = self._best_support(turn, enough=self.settings.llm_support_above)
                if best is not None and best >= self.settings.llm_support_above:
                    turn.notes.append(f"NOT_FOUND overruled: the model judged a statement alone to state the "
                                      f"answer (support {best:.2f} >= {self.settings.llm_support_above})")
                    reason = ""
            else:  # above the threshold the best statement was judged already, and cleared the higher bar
                reason = self._weak_and_unsupported(turn)
            if not reason:
                turn.may_refuse = False
        elif check is not None and not check(turn.question, turn.language, turn.evidence, turn.history):
            reason = "the model found no source stating the asked-for fact"
        if p is not None or check is not None:
            turn.timings["check_ms"] = (time.perf_counter() - t0) * 1000
        return reason

    def _weak_and_unsupported(self, turn: "Turn") -> str:
        """Why a question the NOT_FOUND probability would answer is refused after all, or ``""``: its
        best statement is weakly similar (``Settings.llm_weak_below``) and the model, asked of that
        statement alone, judges it not to state the answer (``Settings.llm_weak_support_below``). With
        the answer's passage gone, the small model answered from a related one: on Chinese XQuAD
        questions it refused 19 of 50, with this check 34."""
        similarity = turn.evidence[0].similarity
        if similarity >= self.settings.llm_weak_below:
            return ""
        best = self._best_support(turn, enough=self.settings.llm_weak_support_below)
        if best is None or best >= self.settings.llm_weak_support_below:
            return ""
        return (f"the best statement is weakly similar ({similarity:.2f} < {self.settings.llm_weak_below}) and "
                f"the model judged none of the best statements to state the answer (support {best:.2f} < {self.settings.llm_weak_support_below})")

    def _best_support(self, turn: "Turn", enough: float = float("inf")) -> float | None:
        """The answerer's highest YES−NO judgement that one of the best ``SUPPORT_STATEMENTS``
        statements alone states the answer (``support``), or ``None`` without that judgement. A
        second opinion for the NOT_FOUND probability: asked of one statement at a time, the small
        model is not swayed by the others. Judging stops at the first statement scoring ``enough``
        (the bar the caller applies), so an answerable question pays for one judgement."""
        score = getattr(self.answerer, "support", None)
        if score is None or self.settings.llm_support_above == float("inf"):
            return None
        t0 = time.perf_counter()
        best: float | None = None
        for e in turn.evidence[:SUPPORT_STATEMENTS]:
            scores = score(turn.question, turn.language, [e], turn.history)
            if scores:
                best = scores[0] if best is None else max(best, scores[0])
            if best is not None and best >= enough:
                break
        turn.timings["support_ms"] = turn.timings.get("support_ms", 0.0) + (time.perf_counter() - t0) * 1000
        return best

    def composer(self, turn: "Turn") -> Answerer:
        """Who writes the answer: the answerer, or the quoting fallback when the best statement is
        in the other language and has no verified rendering (``RAG_CROSS_LINGUAL=quote``); then
        the model's judgement picks which close statement to quote."""
        if not self.quotes_across_languages(turn.language, turn.evidence):
            return self.answerer
        t0 = time.perf_counter()
        turn.evidence, note = self.rerank_by_support(turn.question, turn.language, turn.evidence, turn.history)
        if note:
            turn.notes.append(note)
            turn.timings["support_ms"] = (time.perf_counter() - t0) * 1000
        self._note_quoting(turn, " (RAG_CROSS_LINGUAL=quote)")  # the model's pick may have a rendering
        return self._fallback

    def verify(self, turn: "Turn", text: str) -> guards.Verdict:
        """Run the guards' checks (refusal, figures, names, language) on a generated answer."""
        verdict = guards.check(text, turn.language.dominant, turn.evidence, question=turn.question)
        turn.notes += verdict.details
        return verdict

    def repair(self, turn: "Turn", text: str, verdict: guards.Verdict) -> str:
        """Act on what the checks found: a refusal against strong evidence becomes the extractive
        answer; a problem regenerates once with a firmer instruction, then falls back to the
        extractive answer. An answer that passes goes through the fixers (repeats, self-talk,
        citations, padding), and one drawn only from far sources is replaced when the model
        judges a close one likelier to answer. Returns ``""`` for a refusal."""
        question, language, evidence, history = turn.question, turn.language, turn.evidence, turn.history
        if verdict.refused:
            # The decision was to answer, the answer says the sources don't (an endpoint after its
            # YES/NO check, or a refusal in other words): with very strong evidence quote it (see
            # Settings.conflict_answer_above), otherwise refuse.
            if evidence and evidence[0].similarity >= self.settings.conflict_answer_above:
                turn.notes.append("model said NOT_FOUND against strong evidence: extractive answer")
                return self._fallback_text(turn)
            turn.notes.append("model said the sources do not answer")
            return ""
        if verdict.problems:
            hints = [RETRY_NOTE[p][language.dominant] for p in verdict.problems]
            # The second attempt may refuse: a made-up name or figure in a first attempt that was
            # not allowed to refuse often means the sources do not hold the answer. A first attempt
            # whose only fault was its language had found an answer, so the decision to answer
            # stands: on XQuAD, retries after a Chinese draft to an English question refused
            # answerable questions. A draft that only restated the question made nothing up either,
            # so its retry may refuse, but a refusal then is answered by quoting.
            wording_only = set(verdict.problems) == {"language"}
            retry = "".join(self._generate(self.answerer, turn, may_refuse=not wording_only, notes=hints))
            second = guards.check(retry, language.dominant, evidence, question=question)
            if second.refused and set(verdict.problems) <= {"language", "echo"}:
                turn.notes.append(f"regenerated after: {', '.join(verdict.problems)}; model then said the "
                                  "sources do not answer: extractive answer")
                return self._fallback_text(turn)
            if second.refused:
                turn.notes.append("regenerated; model then said the sources do not answer")
                return ""
            if second.problems:
                turn.notes += second.details + ["fell back to the extractive answer"]
                return self._fallback_text(turn)
            text = retry
            turn.notes.append(f"regenerated after: {', '.join(verdict.problems)}")
        text, notes = guards.fix(text, guards.Context(language.dominant, evidence, self.retriever.embedder, question))
        turn.notes += notes
        text = self._with_deciding_clause(turn, text)
        if miscited := guards.miscited_figures(text, evidence, question):
            turn.notes.append(f"figures not in the sources cited for them: {', '.join(miscited)}: extractive answer")
            return self._fallback_text(turn)
        if other := periods_cited_elsewhere(text, evidence, question):
            # The extractive fallback would quote that same other period's statement.
            turn.notes.append(f"the sources cited speak of other periods than {', '.join(other)}: refused")
            return ""
        far = guards.off_target(text, evidence)
        if far and self._prefers_close(question, language, evidence, far, history):
            turn.notes.append(f"answer drew only on [{far}], far below the best sources, one of which the model "
                              f"judged more likely to state the answer: extractive answer")
            return self._fallback_text(turn)
        return text

    def _with_deciding_clause(self, turn: "Turn", text: str) -> str:
        """A bare yes or no ("是[1]") with the clause of its source that decides it, so the reader sees
        the fact as well as the verdict ("是，…分别占全国总和的23.4%和24.5%[1]。"). So is one that only
        restates a question stating a figure ("Yes, the zones used more than $20 billion …"): the
        figure that decides it is missing. Restating any other question is its answer ("Yes, the
        Ministry of Commerce issued the work plan [1]."; completing those lost two English gold
        questions to length). Left as it is when that source is in the other language (no
        rendering to quote in the reader's)."""
        found = guards.bare_verdict(text, turn.question if states_quantity(turn.question) else "")
        if not found or found[1] > len(turn.evidence) or turn.evidence[found[1] - 1].lang != turn.language.dominant:
            return text
        word, n = found
        clause = self._fallback.quote(turn.evidence[n - 1].statement.text, turn.question).rstrip("。.")
        turn.notes.append(f"a bare yes or no: the deciding clause of [{n}] added")
        if turn.language.dominant == "zh":
            return f"{word}，{clause}[{n}]。"
        # One sentence, so its citation covers the verdict too; the clause keeps its own case unless
        # only the start of its statement capitalised it ("Yes, there are over 60,000 …").
        first = clause.split(" ", 1)[0]
        if first.lower() in _SENTENCE_START_WORDS:
            clause = first.lower() + clause[len(first):]
        return f"{word.capitalize()}, {clause} [{n}]."

    @staticmethod
    def _generate(answerer: Answerer, turn: "Turn", may_refuse: bool | None = None,
                  notes: list[str] | None = None) -> Iterator[str]:
        """The answerer's text for the turn (``notes``: a retry's hints); ``may_refuse=False`` is
        passed only where refusing was ruled out, by ``decide`` (the default, ``turn.may_refuse``)
        or by the caller (the extractive answerer never refuses in text)."""
        refuse = turn.may_refuse if may_refuse is None else may_refuse
        extra: dict[str, Any] = {} if refuse or isinstance(answerer, ExtractiveAnswerer) else {"may_refuse": False}
        return answerer.generate(turn.question, turn.language, turn.evidence, turn.history, notes=notes, **extra)

    def finish(self, turn: "Turn", text: str, refused_because: str = "") -> Answer:
        """The final ``Answer``: markers resolved to numbered citations; no citation is a refusal."""
        if refused_because:
            citations: list = []
            turn.notes.append(f"refused: {refused_because}")
            turn.timings.setdefault("generate_ms", 0.0)
        else:
            text, citations = resolve_citations(text, turn.evidence)
        refused = not citations
        if refused:
            text = refusal(turn.language.dominant)
        turn.timings["total_ms"] = (time.perf_counter() - turn.started) * 1000
        return Answer(question=turn.question, language=turn.language.code, dominant_language=turn.language.dominant,
                      answer=text, refused=refused, citations=citations, answerer=self.answerer.name,
                      timings=turn.timings, id=turn.id, notes=turn.notes, search=turn.result)

    def _score_clauses(self, question: str, clauses: list[str]) -> list[float]:
        """How close each clause is to the question (the fallback quotes the closest clause of a long
        statement): cosine plus the share of the question's words the clause repeats. Cosine alone
        put "有6万外资企业…分布在232个国家级开发区" above "…分别占全国总和的24.5%" for
        "经开区的 imports and exports 占全国多少？": a mixed question embeds poorly."""
        embedder = self.retriever.embedder
        q = embedder.embed_queries([question])[0]
        words = set(tokenize(question))
        shared = [len(words & set(tokenize(c))) / len(words) if words else 0.0 for c in clauses]
        return [float(v @ q) + CLAUSE_WORD_WEIGHT * w for v, w in zip(embedder.embed_documents(clauses), shared)]

    def _fallback_text(self, turn: "Turn") -> str:
        """The extractive answer; it quotes the best statement, in the other language when that one
        has no verified rendering (the notes then say so)."""
        self._note_quoting(turn)
        text = "".join(self._fallback.generate(turn.question, turn.language, turn.evidence, turn.history))
        if asks_quantity(turn.question) and not mentions_quantity(text):
            # The fallback follows a draft that failed its checks; a quote without any figure does not
            # answer "how many", and the failed draft (often an invented figure) suggests the
            # documents do not hold it.
            turn.notes.append("the fallback quote states no figure for a question asking for one: refused")
            return ""
        if asks_year(turn.question) and not states_year(text):
            turn.notes.append("the fallback quote states no year for a question asking for one: refused")
            return ""
        if asks_day(turn.question) and not states_day(text):
            turn.notes.append("the fallback quote states no day for a question asking for one: refused")
            return ""
        if (units := asked_units(turn.question)) and not states_unit(text, units):
            turn.notes.append("the fallback quote states no figure in the unit the question asks for: refused")
            return ""
        if guards.restates_question(text, turn.question):  # "west of the 41 freeway" to "Which … lies west of …?"
            turn.notes.append("the fallback quote only restates the question: refused")
            return ""
        return text

    @staticmethod
    def _note_quoting(turn: "Turn", why: str = "") -> None:
        """Note that the answer quotes a statement in the other language (it has no verified rendering)."""
        if turn.evidence and turn.evidence[0].lang != turn.language.dominant:
            turn.notes.append(f"quoted: the best source is in {turn.evidence[0].lang} and has no verified rendering{why}")

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
        glossary = self.renderer.glossary if self.renderer else None
        out, notes = [], []
        for i, e in enumerate(evidence, start=1):
            target = target_language(e.chunk.lang)
            if target != language.dominant:
                out.append(e)
                continue
            r = store.settled(e.statement.text, target, glossary)
            if r is None and budget > 0 and self.renderer is not None:
                budget -= 1
                r = self.renderer.render(Job(e.statement.text, target, document_terms(e.chunk.title, target)))
                failed = [k for k, v in r.checks.items() if v != "ok"]
                notes.append(f"rendered source {i} now: " + ("verified" if r.passed else f"rejected ({', '.join(failed)})"))
            if r is None:  # made by an older method and not made again yet: it serves until then
                r = store.get(e.statement.text, target)
            if r is None or not r.passed:
                out.append(e)
                continue
            before = e.statement_before if leans_back(e.statement.text) else None
            b = (store.settled(before.text, target, glossary) or store.get(before.text, target)) if before else None
            out.append(dataclasses.replace(e, rendering=r.text, rendering_before=b.text if b and b.passed else ""))
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
        best = evidence[: self.settings.max_sources]
        missing = periods_unsupported(question, best) or measures_unsupported(question, best)
        if missing:
            return f"no evidence mentions {', '.join(missing)}"
        return ""

