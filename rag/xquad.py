"""Cross-lingual retrieval benchmark on XQuAD (parallel English/Chinese paragraphs and questions).

Both languages' paragraphs are indexed together with the real indexer. Each question is run once
per retriever over the whole pool; a direction (en→zh, …) keeps only paragraphs of the target
language from each ranking before scoring and fusing, so every direction uses the same index.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import store
from .config import Settings
from .documents import parse_plain
from .embedding import Embedder
from .errors import InputError
from .indexer import index_documents
from .language import detect_language
from .retrieval import lexical_weight, rrf_fuse

DIRECTIONS = ("en→en", "zh→zh", "zh→en", "en→zh", "mixed")
MODES = ("dense", "bm25", "hybrid")


@dataclass(frozen=True)
class XQuADQuestion:
    qid: str
    lang: str
    question: str
    paragraph: int  # index of the gold paragraph (same index in both languages)
    answer: str


def load_xquad(data_dir: Path) -> tuple[dict[str, list[str]], list[XQuADQuestion]]:
    """Paragraphs per language (parallel, same order) and all questions of both languages."""
    paragraphs: dict[str, list[str]] = {}
    questions: list[XQuADQuestion] = []
    for lang in ("en", "zh"):
        path = data_dir / f"xquad.{lang}.dev.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: cannot read XQuAD ({type(e).__name__})",
                             "pass --data pointing at the folder with xquad.en.dev.json and xquad.zh.dev.json") from None
        paras = [p for article in data["data"] for p in article["paragraphs"]]
        paragraphs[lang] = [p["context"] for p in paras]
        for i, p in enumerate(paras):
            for qa in p["qas"]:
                questions.append(XQuADQuestion(qa["id"], lang, qa["question"], i, qa["answers"][0]["text"]))
    if len(paragraphs["en"]) != len(paragraphs["zh"]):
        raise InputError("XQuAD English and Chinese files are not parallel", "use the files as distributed")
    return paragraphs, questions


def xquad_documents(paragraphs: dict[str, list[str]]) -> list:
    """Each paragraph of both languages as a document, ``xquad-<lang>-<paragraph number>`` (the
    number is shared across languages)."""
    return [parse_plain(text, f"xquad-{lang}-{i:03d}", title=f"XQuAD {lang} {i}", lang=lang)
            for lang in ("en", "zh") for i, text in enumerate(paragraphs[lang])]


def sample_questions(questions: list[XQuADQuestion], limit: int) -> list[XQuADQuestion]:
    """The first ``limit`` question ids in a fixed spread over paragraphs, asked in both languages."""
    if limit <= 0:
        return questions
    ids = sorted({q.qid for q in questions})
    step = max(1, len(ids) // limit)
    keep = set(ids[::step][:limit])
    return [q for q in questions if q.qid in keep]


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {"R@1": sum(r is not None and r <= 1 for r in ranks) / n,
            "R@5": sum(r is not None and r <= 5 for r in ranks) / n,
            "MRR": sum(1.0 / r for r in ranks if r is not None) / n}


def run_xquad(settings: Settings, data_dir: Path, limit: int = 0, out: Path | None = None,
              progress: bool = True, embedder: Embedder | None = None, index_dir: Path | None = None) -> dict[str, Any]:
    """Index XQuAD (into ``index_dir``, default a temporary folder) and report R@1, R@5, MRR per
    direction and retriever."""
    paragraphs, questions = load_xquad(data_dir)
    questions = sample_questions(questions, limit)
    embedder = embedder or Embedder(settings, progress=progress)
    with tempfile.TemporaryDirectory(prefix="xquad-index-") as tmp:
        s = replace(settings, index_dir=index_dir or Path(tmp))
        t = time.perf_counter()
        index_documents(xquad_documents(paragraphs), s, embedder=embedder, progress=progress)
        build_s = time.perf_counter() - t
        index = store.open_index(s.index_dir, embedder.identity)
    lang_of = [c.lang for c in index.chunks]
    key_of = [c.doc_id.split("-", 2)[2] for c in index.chunks]  # paragraph number, shared across languages
    n = len(index.chunks)
    t = time.perf_counter()
    qvecs = embedder.embed_queries([q.question for q in questions])
    dense_scores, dense_ids = index.search_index.search(qvecs, n)
    bm25 = [index.lexical.search(q.question, n) for q in questions]
    search_s = time.perf_counter() - t
    results: dict[str, dict[str, dict[str, float]]] = {}
    for direction in DIRECTIONS:
        src, _, tgt = direction.partition("→")
        qs = [(j, q) for j, q in enumerate(questions) if direction == "mixed" or q.lang == src]
        ranks: dict[str, list[int | None]] = {m: [] for m in MODES}
        for j, q in qs:
            gold_key = f"{q.paragraph:03d}"
            keep = (lambda p: True) if direction == "mixed" else (lambda p, t=tgt: lang_of[p] == t)
            dense = [(int(p), float(sc)) for p, sc in zip(dense_ids[j], dense_scores[j]) if p >= 0 and keep(int(p))]
            lex = [(p, sc) for p, sc in bm25[j] if keep(p)]
            sims = {int(p): float(sc) for p, sc in dense}
            weight = lexical_weight(detect_language(q.question), lang_of, sims, settings.hybrid_gate)
            fused = [(p, sc) for p, sc, _ in rrf_fuse({"dense": dense, "bm25": lex}, settings.rrf_k, weight)]
            for mode, ranking in (("dense", dense), ("bm25", lex), ("hybrid", fused)):
                rank = next((r for r, (p, _) in enumerate(ranking, start=1) if key_of[p] == gold_key), None)
                ranks[mode].append(rank)
        results[direction] = {m: _metrics(ranks[m]) for m in MODES} | {"questions": len(qs)}  # type: ignore[operator]
    report = {"model": embedder.identity.name, "paragraphs": n, "questions_per_language": len(questions) // 2,
              "index_build_s": round(build_s, 1), "search_s": round(search_s, 1), "results": results}
    _print_table(report)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return report


def _print_table(report: dict[str, Any]) -> None:
    print(f"XQuAD cross-lingual retrieval — {report['model']}, {report['paragraphs']} paragraphs, "
          f"{report['questions_per_language']} questions per language")
    print(f"{'direction':10} {'retriever':8} {'R@1':>6} {'R@5':>6} {'MRR':>6}")
    for direction, by_mode in report["results"].items():
        for mode in MODES:
            m = by_mode[mode]
            print(f"{direction:10} {mode:8} {m['R@1']:6.3f} {m['R@5']:6.3f} {m['MRR']:6.3f}")
    sys.stdout.flush()
