"""`rag eval`: run the gold-set evaluation or the XQuAD benchmark and write the reports."""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from contextlib import nullcontext
import time
from pathlib import Path

from .config import Settings
from .embedding import Embedder
from .errors import DocumentError, InputError
from .evaluation import (SPLITS, f1, format_table, key_fact_recall, language_ok, load_gold, rescore, run_eval,
                         summarise, summarise_feedback, write_reports)
from .factory import make_answerer, make_renderer, open_retriever
from .indexer import index_documents
from .pipeline import Pipeline
from .xquad import load_xquad, run_xquad, sample_questions


#: The distractor corpus (`rag eval --corpus distractors`): the bundled document among other news
#: summaries (some on neighbouring policy topics) and Chinese and English XQuAD paragraphs, with
#: questions of its own beside the gold set's.
DISTRACTORS = Path(__file__).resolve().parent.parent / "eval" / "distractors"
#: The document corpus (`rag eval --corpus documents`): PDF, Word, web page, slides and spreadsheet
#: files with questions of their own (eval/documents/gold.jsonl), indexed beside the bundled document.
DOCUMENTS = Path(__file__).resolve().parent.parent / "eval" / "documents"
CORPORA = ("bundled", "distractors", "documents")


def corpus_documents(settings: Settings, corpus: str) -> list:
    """The documents of a scratch-indexed evaluation corpus: the bundled corpus plus the distractors,
    or plus the document files."""
    from .documents import bundled_corpus, load_documents
    from .readers import STRUCTURED_SUFFIXES

    if corpus == "distractors":
        return load_documents([bundled_corpus(), DISTRACTORS / "news", DISTRACTORS / "xquad.jsonl"],
                              settings.max_file_bytes, settings.max_pages)
    docs = load_documents([bundled_corpus()], settings.max_file_bytes, settings.max_pages)
    for path in sorted(p for p in DOCUMENTS.iterdir() if p.suffix.lower() in STRUCTURED_SUFFIXES):
        try:
            docs += load_documents([path], settings.max_file_bytes, settings.max_pages)
        except DocumentError as e:  # zh-no-unicode-map.pdf is there to be refused
            print(f"skipped: {e}", file=sys.stderr)
    return docs


def select_items(items: list, split: str, limit: int = 0) -> list:
    """The gold items of one split ("tune", "test", or "all"), the first ``limit`` of them if set."""
    if split not in ("all", *SPLITS):
        raise InputError(f"unknown split {split!r}", f"use one of all, {', '.join(SPLITS)}")
    chosen = [i for i in items if split == "all" or i.split == split]
    return chosen[:limit] if limit else chosen


def eval_gold(settings: Settings, gold: Path, answerer: str | None, out: Path, limit: int = 0,
              calibrate: bool = False, progress: bool = True, split: str = "all", corpus: str = "bundled",
              rescore_report: Path | None = None) -> int:
    """Evaluate one answerer on a gold set; print the table; write JSON, Markdown and PNG reports.
    ``corpus="distractors"`` indexes the distractor corpus in a temporary folder and adds its questions;
    ``corpus="documents"`` indexes the document files the same way and asks only their questions;
    ``rescore_report`` scores the answers of an earlier report again instead of asking."""
    if corpus not in CORPORA:
        raise InputError(f"unknown corpus {corpus!r}", f"use one of {', '.join(CORPORA)}")
    items = load_gold(gold) if corpus != "documents" else []
    if corpus != "bundled":
        items += load_gold((DISTRACTORS if corpus == "distractors" else DOCUMENTS) / "gold.jsonl")
    items = select_items(items, split, limit)
    if rescore_report is not None:
        results = rescore(rescore_report, items)
        summary = summarise(results)
        print(f"{rescore_report}: {len(results)} saved answers scored again")
        print(format_table(summary))
        paths = write_reports(out, f"{rescore_report.stem}-rescored", summary, results,
                              {"gold": str(gold), "rescored": str(rescore_report), "date": time.strftime("%Y-%m-%d %H:%M")})
        print("reports: " + ", ".join(str(p) for p in paths))
        return 0
    answerer_obj = make_answerer(settings, answerer)
    # Only the distractor corpus needs an index folder of its own (removed afterwards).
    scratch = tempfile.TemporaryDirectory(prefix=f"rag-{corpus}-") if corpus != "bundled" else nullcontext()
    with scratch as tmp:
        if tmp is not None:
            settings = dataclasses.replace(settings, index_dir=Path(tmp))
            embedder = Embedder(settings, progress=progress)
            index_documents(corpus_documents(settings, corpus), settings, embedder=embedder, progress=progress)
            retriever = open_retriever(settings, progress=progress, embedder=embedder)
        else:
            retriever = open_retriever(settings, progress=progress)
        pipeline = Pipeline(retriever, answerer_obj, settings, renderer=make_renderer(settings, retriever, answerer_obj))
        if calibrate:
            print_calibration(pipeline, [i for i in items if i.split == "tune"])
            return 0
        warm_up(pipeline)
        results = run_eval(items, lambda q: pipeline.ask(q), progress=progress)
        documents = len(pipeline.retriever.index.manifest.documents)
    summary = summarise(results)
    meta = {"gold": str(gold), "corpus": corpus, "documents": documents, "split": split,
            "answerer": answerer_obj.name, "model": pipeline.retriever.embedder.identity.name,
            "date": time.strftime("%Y-%m-%d %H:%M"), "refuse_below": settings.refuse_below,
            "top_k": settings.top_k, "render": settings.render if pipeline.renderer else "cached only",
            "renderings_verified": sum(r.passed for r in retriever.renderings.all()) if retriever.renderings else 0}
    print(f"{corpus} corpus ({documents} documents), {len(items)} questions, split {split}")
    print(format_table(summary))
    name = f"gold-{answerer_obj.name}" + ("" if corpus == "bundled" else f"-{corpus}") + ("" if split == "all" else f"-{split}")
    paths = write_reports(out, name, summary, results, meta)
    print("reports: " + ", ".join(str(p) for p in paths))
    return 0


def warm_up(pipeline: Pipeline) -> None:
    """Pay the one-off costs before the timed questions: a first question (the index, the ranker)
    and the answerer's own warm-up, as the chat does (that question is refused before the model
    sees it, and the first timed question paid for the system prompt: first token 18.8 s)."""
    pipeline.ask("warm-up question")
    if warm := getattr(pipeline.answerer, "warm_up", None):
        warm()


def fit_refuse_above(rows: list[tuple[float, bool]]) -> tuple[float, int, int]:
    """The ``RAG_LLM_REFUSE_ABOVE`` with the fewest wrong decisions over ``rows`` (each question
    part's NOT_FOUND probability and whether it is answerable; a part is refused when its
    probability is above the value). Among equally good values the highest wins: a false refusal
    is the error a reader notices. Returns the value (midway between the two probabilities it
    separates), the answerable parts it refuses and the unanswerable parts it lets through."""
    if not rows:
        return 1.0, 0, 0
    ps = sorted({p for p, _ in rows})
    candidates = [0.0, *((a + b) / 2 for a, b in zip(ps, ps[1:])), max(ps[-1], 1.0)]

    def errors(t: float) -> tuple[int, int]:
        return (sum(p > t for p, answerable in rows if answerable), sum(p <= t for p, answerable in rows if not answerable))

    best = min(candidates, key=lambda t: (sum(errors(t)), -t))
    return round(best, 3), *errors(best)


def refusal_probabilities(pipeline: Pipeline, items: list) -> list[tuple[float, bool]]:
    """Each question part's probability that the model answers NOT_FOUND, as ``decide`` reads it,
    with whether the part is answerable; parts the rules refuse before the model is asked (weak
    evidence, a year or a measure no source mentions) are left out. Empty for an answerer without logits."""
    from .pipeline import split_question

    probability = getattr(pipeline.answerer, "refusal_probability", None)
    rows: list[tuple[float, bool]] = []
    if probability is None:
        return rows
    for item in items:
        for part in split_question(item.question):
            turn = pipeline.prepare(part)
            if pipeline.refusal_reason(part, turn.evidence):
                continue
            p = probability(part, turn.language, turn.evidence, None)
            if p is not None:
                rows.append((p, item.answerable))
    return rows


def print_calibration(pipeline: Pipeline, items: list) -> None:
    """The refusal thresholds that classify the gold set best, fitted on the tune split only (the
    test split stays frozen): on best-evidence similarity, and for a model that gives its NOT_FOUND
    probability (``--answerer llm``), on that probability."""
    rows = []
    for item in items:
        result = pipeline.retriever.search(item.question, pipeline.settings.top_k)
        evidence = pipeline.ranker.rank(result)
        rule_refusal = bool(pipeline.refusal_reason(item.question, evidence)) and evidence and \
            evidence[0].similarity >= pipeline.settings.refuse_below
        rows.append((evidence[0].similarity if evidence else 0.0, item.answerable, rule_refusal))
    best = (0.0, -1.0)
    for t in sorted({round(s, 3) for s, _, _ in rows}):
        ok = sum((s >= t and not rr) == a for s, a, rr in rows)
        best = max(best, (ok / len(rows), -t))
    print(f"best refusal threshold RAG_REFUSE_BELOW={-best[1]:.3f}: {best[0]:.1%} of {len(rows)} gold questions "
          f"classified right (answerable vs not); current {pipeline.settings.refuse_below}")
    parts = refusal_probabilities(pipeline, items)
    if parts:
        value, refused, let_through = fit_refuse_above(parts)
        print(f"best RAG_LLM_REFUSE_ABOVE={value}: of {len(parts)} question parts the rules leave to the model, "
              f"{refused} of {sum(a for _, a in parts)} answerable refused and {let_through} of "
              f"{sum(not a for _, a in parts)} unanswerable answered; current {pipeline.settings.llm_refuse_above}")


def eval_xquad(settings: Settings, data: Path, per_language: int, out: Path, progress: bool = True,
               answerer: str = "extractive", answers_per_language: int = 50) -> dict:
    """XQuAD: the cross-lingual retrieval table, then answers to ``answers_per_language`` questions
    in each language (the same questions, parallel) over the index of both languages' paragraphs.
    Every XQuAD question is answerable, so any refusal is a false one; key-fact recall takes the
    gold answer span in either language."""
    import numpy as np

    embedder = Embedder(settings, progress=progress)
    with tempfile.TemporaryDirectory(prefix="xquad-eval-") as tmp:
        report = run_xquad(settings, data, limit=per_language, progress=progress, embedder=embedder,
                           index_dir=Path(tmp))
        s = dataclasses.replace(settings, index_dir=Path(tmp))
        retriever = open_retriever(s, progress=False, embedder=embedder)
        answerer_obj = make_answerer(s, answerer)
        pipeline = Pipeline(retriever, answerer_obj, s, renderer=make_renderer(s, retriever, answerer_obj))
        _, questions = load_xquad(data)
        spans: dict[str, list[str]] = {}
        for q in questions:
            spans.setdefault(q.qid, []).append(q.answer)
        sample = sample_questions(questions, answers_per_language)
        warm_up(pipeline)
        rows = []
        for i, q in enumerate(sample, start=1):
            a = pipeline.ask(q.question)
            rows.append({"qid": q.qid, "lang": q.lang, "question": q.question, "gold": q.answer, "answer": a.answer,
                         "refused": a.refused, "key_fact": key_fact_recall(a.answer, [spans[q.qid]]),
                         "f1": f1(a.answer, q.answer), "language_ok": language_ok(a.answer, q.question, q.lang,
                                                                   not a.refused and bool(a.answer.strip())),
                         "total_ms": a.timings.get("total_ms", 0.0),
                         "first_token_ms": a.timings.get("first_token_ms", a.timings.get("total_ms", 0.0)),
                         "notes": a.notes})
            if progress:
                print(f"\r[{i}/{len(sample)}] {q.qid} {q.lang}", end="", file=sys.stderr, flush=True)
    by_lang = {}
    for lang in ("zh", "en"):
        rs = [r for r in rows if r["lang"] == lang]
        if not rs:
            continue
        total = [r["total_ms"] for r in rs]
        by_lang[lang] = {"questions": len(rs), "refused": sum(r["refused"] for r in rs) / len(rs),
                         "key_fact_recall": sum(r["key_fact"] for r in rs) / len(rs),
                         "f1": sum(r["f1"] for r in rs) / len(rs),
                         "language_ok": sum(r["language_ok"] for r in rs) / len(rs),
                         "total_ms_p50": float(np.percentile(total, 50)), "total_ms_p95": float(np.percentile(total, 95)),
                         "total_ms_max": max(total)}
    report["answers"] = {"answerer": answerer_obj.name, "by_language": by_lang}
    print(f"\n{answerer_obj.name} answers on XQuAD (every question answerable):")
    print(f"{'lang':5} {'n':>4} {'refused':>8} {'key-fact':>9} {'F1':>6} {'lang ok':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for lang, m in by_lang.items():
        print(f"{lang:5} {m['questions']:4} {m['refused']:8.3f} {m['key_fact_recall']:9.3f} {m['f1']:6.3f} "
              f"{m['language_ok']:8.3f} {m['total_ms_p50']:8.0f} {m['total_ms_p95']:8.0f} {m['total_ms_max']:8.0f}")
    out.mkdir(parents=True, exist_ok=True)
    name = f"xquad-{answerer_obj.name}"
    (out / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    with open(out / f"{name}-answers.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"reports: {out / (name + '.json')}, {out / (name + '-answers.jsonl')}", file=sys.stderr)
    return report


def eval_feedback(path: Path) -> int:
    """Print what the chat's thumbs up/down say."""
    s = summarise_feedback(path)
    print(f"{s['votes']} votes in {path}")
    for lang, c in sorted(s["by_language"].items()):
        print(f"  {lang:6} up {c['up']:4}  down {c['down']:4}")
    for d in s["down"]:
        print(f"  down: {d['question']} → {(d['answer'] or '')[:120]}")
    return 0
