"""Fit ``RAG_LLM_WEAK_BELOW`` and ``RAG_LLM_WEAK_SUPPORT_BELOW`` (the decide step's weak-evidence check).

For each question part it collects what ``Pipeline.decide`` reads: the best statement's cosine, the
rules' reason to refuse, the local model's NOT_FOUND probability and its judgement (``support``) of
each of the three best statements (``--statements`` fits on the first n). The parts: the gold set's (tune and test) and XQuAD questions that are not in the
sample ``rag eval xquad --answers 200`` reports, each asked twice, over the whole XQuAD index (answerable) and with
its paragraph removed from the hits in both languages (unanswerable: the same article's other
paragraphs remain, related but without the answer). The pair is chosen on the gold tune split and
the XQuAD questions, false refusals counted twice; the gold test split is only reported.

    .venv/bin/python eval/fit_weak_evidence.py [--xquad 50] [--gold-limit 0] [--out signals.jsonl]
        [--xquad-index DIR] [--signals signals.jsonl] [--statements 3]

About 45 minutes on 2 cores with the defaults (the local model judges three statements of every
part); ``--signals`` fits again from saved signals in seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

from rag.config import Settings
from rag.embedding import Embedder
from rag.evaluation import load_gold
from rag.factory import make_answerer, open_retriever
from rag.indexer import index_documents
from rag.language import detect_language
from rag.pipeline import Pipeline, Turn, split_question
from rag.xquad import load_xquad, sample_questions, xquad_documents

ROOT = Path(__file__).resolve().parent.parent
XQUAD = ROOT.parent / "shared" / "benchmarks" / "xquad"


def signals(pipeline: Pipeline, question: str, drop: str | None = None) -> dict:
    """What ``decide`` reads for one question part; ``drop``: an XQuAD paragraph number whose chunks
    (in both languages) are removed from the hits."""
    turn = Turn(question=question, history=None, id=None, language=detect_language(question), started=time.perf_counter())
    k = pipeline.settings.top_k
    result = pipeline.retriever.search(question, k * 3)
    hits = [h for h in result.hits if drop is None or h.chunk.doc_id.split("-", 2)[2] != drop]
    turn.result = dataclasses.replace(result, hits=hits[:k])
    pipeline.select(turn)
    ev = turn.evidence
    row = {"sim1": ev[0].similarity if ev else 0.0, "reason": pipeline.refusal_reason(question, ev)}
    if ev:
        row["p"] = pipeline.answerer.refusal_probability(question, turn.language, ev, None)
        row["supports"] = pipeline.answerer.support(question, turn.language, ev[:JUDGED], None)
    return row


#: Statements judged per part when the signals are collected; ``--statements`` fits on the first n.
JUDGED = 3


def refused(row: dict, settings: Settings, weak_below: float, support_below: float, statements: int = 1) -> bool:
    """``decide``'s verdict on a part from its signals, with the given weak-evidence pair, when the
    best of the first ``statements`` statements' judgements counts."""
    if row["reason"] or "p" not in row:
        return True
    support = max(row["supports"][:statements])
    if row["p"] > settings.llm_refuse_above:
        return support < settings.llm_support_above
    return row["sim1"] < weak_below and support < support_below


def fit(rows: list[dict], settings: Settings, statements: int = 1) -> list[tuple[int, tuple[float, float]]]:
    """The pairs by their errors on the fitting rows (false refusals counted twice), best first."""
    fitting = [r for r in rows if r["split"] != "test"]

    def cost(pair: tuple[float, float]) -> int:
        fr = sum(refused(r, settings, *pair, statements) for r in fitting if r["answerable"])
        let = sum(not refused(r, settings, *pair, statements) for r in fitting if not r["answerable"])
        return 2 * fr + let

    pairs = [(w / 100, s / 10) for w in range(35, 76, 5) for s in range(-10, 11)]
    return sorted(((cost(p), p) for p in pairs), key=lambda c: (c[0], -c[1][0], c[1][1]))


def report(rows: list[dict], settings: Settings, pair: tuple[float, float], name: str, statements: int = 1) -> None:
    cells = []
    for group in ("tune", "test", "xquad-en", "xquad-zh"):
        rs = [r for r in rows if r["split"] == group]
        if rs:
            a = [r for r in rs if r["answerable"]]
            u = [r for r in rs if not r["answerable"]]
            cells.append(f"{group}: false refusals {sum(refused(r, settings, *pair, statements) for r in a)}/{len(a)}, "
                         f"unanswerable refused {sum(refused(r, settings, *pair, statements) for r in u)}/{len(u)}")
    print(f"{name}: " + " | ".join(cells))


def collect(settings: Settings, xquad: int, gold_limit: int, xquad_index: Path | None) -> list[dict]:
    """The signals of the gold parts and of ``xquad`` XQuAD questions per language (see the module)."""
    rows: list[dict] = []
    answerer = make_answerer(settings, "llm")
    gold = Pipeline(open_retriever(settings, progress=False), answerer, settings)
    for item in load_gold(ROOT / "eval" / "gold.jsonl")[: gold_limit or None]:
        for part in split_question(item.question):
            rows.append(signals(gold, part) | {"id": item.id, "split": item.split, "answerable": item.answerable})
    paragraphs, questions = load_xquad(XQUAD)
    reported = {q.qid for q in sample_questions(questions, 200)}
    ids = sorted({q.qid for q in questions} - reported)
    pick = set(ids[7::max(1, len(ids) // max(1, xquad))][:xquad])
    with tempfile.TemporaryDirectory(prefix="weak-fit-") as tmp:
        s = dataclasses.replace(settings, index_dir=xquad_index or Path(tmp), render="off")
        embedder = Embedder(s, progress=False)
        if not (s.index_dir / "CURRENT").exists():
            index_documents(xquad_documents(paragraphs), s, embedder=embedder, progress=False)
        xq = Pipeline(open_retriever(s, progress=False, embedder=embedder), answerer, s)
        for q in questions:
            if q.qid in pick:
                for drop in (None, f"{q.paragraph:03d}"):
                    rows.append(signals(xq, q.question, drop) | {"id": q.qid, "split": f"xquad-{q.lang}", "answerable": drop is None})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xquad", type=int, default=50, help="XQuAD questions per language (outside the reported sample)")
    ap.add_argument("--gold-limit", type=int, default=0, help="only the first N gold questions (0: all)")
    ap.add_argument("--out", type=Path, help="write the signals here (JSON lines)")
    ap.add_argument("--xquad-index", type=Path, help="an XQuAD index to reuse (built there when missing)")
    ap.add_argument("--signals", type=Path, help="fit from signals an earlier run wrote (--out) instead of collecting")
    ap.add_argument("--statements", type=int, default=JUDGED, help=f"statements judged per part (1..{JUDGED})")
    args = ap.parse_args()
    settings = Settings.load()
    if args.signals:
        rows = [json.loads(line) for line in args.signals.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        rows = collect(settings, args.xquad, args.gold_limit, args.xquad_index)
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    n = args.statements
    report(rows, settings, (0.0, float("-inf")), "without the check", n)
    current = (settings.llm_weak_below, settings.llm_weak_support_below)
    report(rows, settings, current, f"current {current}, judging 1", 1)
    report(rows, settings, current, f"current {current}, judging {n}", n)
    for cost, pair in fit(rows, settings, n)[:3]:
        report(rows, settings, pair, f"errors {cost}: RAG_LLM_WEAK_BELOW={pair[0]} RAG_LLM_WEAK_SUPPORT_BELOW={pair[1]}", n)


if __name__ == "__main__":
    main()
