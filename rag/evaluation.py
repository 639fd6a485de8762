"""Evaluation against a bilingual gold set: retrieval, answers, citations, language, refusals, latency.

Metrics follow public practice: EM/F1 with one token per Chinese character and word tokens for
English (as the CMRC 2018 and SQuAD scripts do); citation precision/recall per sentence in the manner
of ALCE, judged against the gold references instead of an NLI model; nDCG@5 with binary relevance.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .answer import Answer, answer_language, cited_numbers, split_answer_sentences
from .errors import InputError
from .figures import unsupported_figures
from .language import detect_language
from .records import SearchResult

LANGS = ("en", "zh", "mixed")
_ZH_PUNCT = "，。！？；：、“”‘’（）《》【】…—·"


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    lang: str
    answerable: bool
    key_facts: list[list[str]]
    refs: list[int]
    chunks: list[str]
    answer: str


#: The project's bilingual gold set.
GOLD_PATH = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"


def load_gold(path: Path) -> list[GoldItem]:
    """Read a gold JSONL file; a bad line is an error naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the gold set ({type(e).__name__})", "pass a UTF-8 JSONL file") from None
    items = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            items.append(GoldItem(id=str(d["id"]), question=d["question"], lang=d["lang"],
                                  answerable=bool(d["answerable"]), key_facts=[list(f) for f in d.get("key_facts", [])],
                                  refs=[int(r) for r in d.get("refs", [])], chunks=list(d.get("chunks", [])),
                                  answer=d.get("answer", "")))
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"{path}:{n}: not a gold item ({type(e).__name__}: {e})",
                             "each line needs id, question, lang, answerable (see the README)") from None
    if not items:
        raise InputError(f"{path}: the gold set is empty", "add one JSON question per line")
    return items


# ---- text metrics -------------------------------------------------------------------------------

def _tokens(text: str) -> list[str]:
    text = re.sub(r"\[\d+\]", " ", text.lower())
    out: list[str] = []
    for piece in re.findall(r"[\u4e00-\u9fff]|[a-z0-9]+(?:[.,]\d+)*%?", text):
        out.append(piece)
    return [t for t in out if t not in ("a", "an", "the")]  # SQuAD drops English articles


def exact_match(pred: str, ref: str) -> float:
    """1.0 when the normalised token sequences are equal."""
    return float(_tokens(pred) == _tokens(ref))


def f1(pred: str, ref: str) -> float:
    """Token-overlap F1 (Chinese characters and English words as tokens)."""
    p, r = _tokens(pred), _tokens(ref)
    if not p or not r:
        return float(p == r)
    common = sum(min(p.count(t), r.count(t)) for t in set(p))
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


def _norm_fact(text: str) -> str:
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())  # 60,000 -> 60000
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", "", text)  # keep decimal points: 27.2 must not become 272
    keep = ".%$"
    punct = "".join(c for c in string.punctuation if c not in keep)
    return re.sub(rf"[\s{re.escape(punct)}{_ZH_PUNCT}]", "", text)


def key_fact_recall(answer: str, facts: list[list[str]]) -> float:
    """Share of key facts of which any acceptable form occurs in the answer."""
    if not facts:
        return 1.0
    a = _norm_fact(answer)
    return sum(any(_norm_fact(form) in a for form in forms) for forms in facts) / len(facts)


# ---- retrieval metrics --------------------------------------------------------------------------

def retrieval_metrics(result: SearchResult, item: GoldItem) -> dict[str, float]:
    """Chunk-level and ref-level (the document's own references) hit@1/3/5, MRR and nDCG@5."""
    ids = [h.chunk.chunk_id for h in result.hits]
    gold = set(item.chunks)
    rel = [1.0 if c in gold else 0.0 for c in ids]
    first = next((i + 1 for i, r in enumerate(rel) if r), None)
    dcg = sum(r / math.log2(i + 2) for i, r in enumerate(rel[:5]))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(gold), 5))) or 1.0
    out = {f"hit@{k}": float(first is not None and first <= k) for k in (1, 3, 5)}
    out["mrr"] = 1.0 / first if first else 0.0
    out["ndcg@5"] = dcg / idcg
    if item.refs:
        gold_refs = set(item.refs)
        ref_rel = [1.0 if {r for st in h.chunk.statements for r in st.refs} & gold_refs else 0.0 for h in result.hits]
        ref_first = next((i + 1 for i, r in enumerate(ref_rel) if r), None)
        for k in (1, 3, 5):
            out[f"ref_hit@{k}"] = float(ref_first is not None and ref_first <= k)
        out["ref_mrr"] = 1.0 / ref_first if ref_first else 0.0
        ideal = sum(1 / math.log2(i + 2) for i in range(min(int(sum(ref_rel)) or 1, 5)))
        out["ref_ndcg@5"] = sum(r / math.log2(i + 2) for i, r in enumerate(ref_rel[:5])) / ideal
    return out


# ---- citation metrics ---------------------------------------------------------------------------

def citation_metrics(answer: Answer, item: GoldItem) -> dict[str, float]:
    """ALCE-style: a sentence's recall is 1 when one of its citations supports it (a gold ref, or the
    gold chunk for reference-less chunks such as the headline), 0 when it cites nothing; precision is
    the share of citations that are supporting."""
    by_n = {c.n: c for c in answer.citations}
    gold_refs, gold_chunks = set(item.refs), set(item.chunks)

    def supports(n: int) -> bool:
        c = by_n.get(n)
        if c is None:
            return False
        return bool(set(c.refs) & gold_refs) if c.refs and gold_refs else c.chunk_id in gold_chunks

    sentences = split_answer_sentences(answer.answer)
    if not sentences:
        return {"citation_recall": 0.0, "citation_precision": 0.0}
    recall = [float(any(supports(n) for n in cited_numbers(s))) for s in sentences]
    cites = [n for s in sentences for n in cited_numbers(s)]
    precision = sum(supports(n) for n in cites) / len(cites) if cites else 0.0
    return {"citation_recall": sum(recall) / len(recall), "citation_precision": precision}


# ---- one run ------------------------------------------------------------------------------------

@dataclass
class ItemResult:
    item: GoldItem
    answer: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)


def score_item(item: GoldItem, answer: Answer, search: SearchResult) -> dict[str, float]:
    """Every metric for one gold item (missing keys mean "not applicable")."""
    want_lang = detect_language(item.question).dominant
    m: dict[str, float] = {"refused": float(answer.refused), "language_ok": float(answer_language(answer.answer) == want_lang
                                                                                  if not answer.refused else
                                                                                  detect_language(answer.answer).dominant == want_lang)}
    for k in ("retrieve_ms", "generate_ms", "total_ms"):
        m[k] = answer.timings.get(k, 0.0)
    if item.answerable:
        m.update(retrieval_metrics(search, item))
        m["key_fact_recall"] = 0.0 if answer.refused else key_fact_recall(answer.answer, item.key_facts)
        m["em"] = 0.0 if answer.refused else exact_match(answer.answer, item.answer)
        m["f1"] = 0.0 if answer.refused else f1(answer.answer, item.answer)
        if not answer.refused:
            m.update(citation_metrics(answer, item))
        else:
            m.update(citation_recall=0.0, citation_precision=0.0)
        m["unsupported_figures"] = float(len(unsupported_figures(answer.answer, [c.text for c in answer.citations])))
        m["fully_correct"] = float(not answer.refused and m["key_fact_recall"] == 1.0
                                   and m["citation_recall"] == 1.0 and m["language_ok"] == 1.0
                                   and m["unsupported_figures"] == 0)
    return m


def _mean(values: Iterable[float]) -> float | None:
    v = list(values)
    return sum(v) / len(v) if v else None


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


def summarise(results: list[ItemResult]) -> dict[str, dict[str, Any]]:
    """Aggregate per question language and overall."""
    out: dict[str, dict[str, Any]] = {}
    for group in (*LANGS, "all"):
        rs = [r for r in results if group == "all" or r.item.lang == group]
        if not rs:
            continue
        ans = [r for r in rs if r.item.answerable]
        una = [r for r in rs if not r.item.answerable]
        refused = [r for r in rs if r.metrics["refused"]]
        s: dict[str, Any] = {"questions": len(rs), "answerable": len(ans), "unanswerable": len(una)}
        for key in ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5", "ref_hit@1", "ref_hit@3", "ref_hit@5", "ref_mrr",
                    "ref_ndcg@5", "key_fact_recall", "em", "f1",
                    "citation_precision", "citation_recall", "fully_correct"):
            s[key] = _mean(r.metrics[key] for r in ans if key in r.metrics)
        s["unsupported_figures"] = int(sum(r.metrics.get("unsupported_figures", 0) for r in ans))
        s["language_ok"] = _mean(r.metrics["language_ok"] for r in rs)
        s["answered_rate"] = _mean(1 - r.metrics["refused"] for r in ans)
        s["refusal_recall"] = _mean(r.metrics["refused"] for r in una)
        s["refusal_precision"] = (sum(not r.item.answerable for r in refused) / len(refused)) if refused else None
        for k in ("retrieve_ms", "generate_ms", "total_ms"):
            vals = [r.metrics[k] for r in rs]
            s[f"{k}_p50"] = statistics.median(vals)
            s[f"{k}_p95"] = _pct(vals, 0.95)
        out[group] = s
    return out


def run_eval(items: list[GoldItem], ask: Callable[[str], Answer], progress: bool = True) -> list[ItemResult]:
    """Ask every gold question and score it."""
    results = []
    for i, item in enumerate(items, start=1):
        answer = ask(item.question)
        answer.id = item.id
        results.append(ItemResult(item=item, answer=answer.to_dict(), metrics=score_item(item, answer, answer.search)))
        if progress:
            print(f"\r[{i}/{len(items)}] {item.id}", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return results


# ---- reports ------------------------------------------------------------------------------------

TABLE_ROWS = [("retrieval hit@1", "hit@1"), ("retrieval hit@3", "hit@3"), ("retrieval hit@5", "hit@5"),
              ("retrieval MRR", "mrr"), ("retrieval nDCG@5", "ndcg@5"), ("ref hit@1", "ref_hit@1"),
              ("ref hit@3", "ref_hit@3"), ("ref hit@5", "ref_hit@5"), ("ref MRR", "ref_mrr"), ("ref nDCG@5", "ref_ndcg@5"),
              ("key-fact recall", "key_fact_recall"), ("exact match", "em"), ("F1", "f1"),
              ("citation precision", "citation_precision"), ("citation recall", "citation_recall"),
              ("answer language ok", "language_ok"), ("answered (answerable)", "answered_rate"),
              ("refusal precision", "refusal_precision"), ("refusal recall", "refusal_recall"),
              ("fully correct (answerable)", "fully_correct"), ("unsupported figures (count)", "unsupported_figures"),
              ("retrieve ms p50", "retrieve_ms_p50"), ("retrieve ms p95", "retrieve_ms_p95"),
              ("generate ms p50", "generate_ms_p50"), ("generate ms p95", "generate_ms_p95"),
              ("total ms p50", "total_ms_p50"), ("total ms p95", "total_ms_p95")]


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, int):
        return str(v)
    return f"{v:.0f}" if v >= 10 else f"{v:.3f}"


def format_table(summary: dict[str, dict[str, Any]], markdown: bool = False) -> str:
    cols = [g for g in (*LANGS, "all") if g in summary]
    head = ["metric", *[f"{c} (n={summary[c]['questions']})" for c in cols]]
    rows = [[label, *[_cell(summary[c].get(key)) for c in cols]] for label, key in TABLE_ROWS]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
    return "\n".join([fmt(head), "-" * (sum(widths) + 2 * (len(widths) - 1)), *map(fmt, rows)])


def write_reports(out_dir: Path, name: str, summary: dict[str, dict[str, Any]], results: list[ItemResult],
                  meta: dict[str, Any]) -> list[Path]:
    """JSON, Markdown and PNG charts under ``out_dir``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    data = {"meta": meta, "summary": summary,
            "items": [{"id": r.item.id, "lang": r.item.lang, "answerable": r.item.answerable,
                       "question": r.item.question, "answer": r.answer["answer"], "refused": r.answer["refused"],
                       "citations": r.answer["citations"], "notes": r.answer.get("notes", []), "metrics": r.metrics}
                      for r in results]}
    p = out_dir / f"{name}.json"
    p.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    paths.append(p)
    failures = [r for r in results if r.item.answerable and r.metrics.get("fully_correct") == 0.0
                or (not r.item.answerable and not r.metrics["refused"])]
    md = [f"# Evaluation: {name}", "", f"Gold set `{meta.get('gold')}`, answerer `{meta.get('answerer')}`, "
          f"model `{meta.get('model')}`, {meta.get('date')}.", "", format_table(summary, markdown=True), "",
          f"## Not fully right ({len(failures)})", ""]
    md += [f"- `{r.item.id}` {r.item.question} → {r.answer['answer'][:200]}" for r in failures]
    p = out_dir / f"{name}.md"
    p.write_text("\n".join(md) + "\n", encoding="utf-8")
    paths.append(p)
    paths.extend(_charts(out_dir, name, summary))
    return paths


def _charts(out_dir: Path, name: str, summary: dict[str, dict[str, Any]]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [g for g in (*LANGS, "all") if g in summary]
    keys = [("hit@1", "hit@1"), ("mrr", "MRR"), ("key_fact_recall", "key facts"), ("citation_recall", "cit. recall"),
            ("citation_precision", "cit. precision"), ("language_ok", "language"), ("refusal_recall", "refusal recall"),
            ("fully_correct", "fully correct")]
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / len(cols)
    for i, c in enumerate(cols):
        vals = [summary[c].get(k) or 0.0 for k, _ in keys]
        ax.bar([x + i * width for x in range(len(keys))], vals, width, label=c)
    ax.set_xticks([x + width * (len(cols) - 1) / 2 for x in range(len(keys))], [label for _, label in keys], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"{name}: quality by question language")
    ax.legend(fontsize=8)
    fig.tight_layout()
    p1 = out_dir / f"{name}-quality.png"
    fig.savefig(p1, dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    stages = ["retrieve_ms", "generate_ms", "total_ms"]
    s = summary["all"]
    ax.bar([x - 0.2 for x in range(3)], [s[f"{k}_p50"] for k in stages], 0.4, label="p50")
    ax.bar([x + 0.2 for x in range(3)], [s[f"{k}_p95"] for k in stages], 0.4, label="p95")
    ax.set_xticks(range(3), ["retrieve", "generate", "total"])
    ax.set_ylabel("ms")
    ax.set_title(f"{name}: latency per stage")
    ax.legend()
    fig.tight_layout()
    p2 = out_dir / f"{name}-latency.png"
    fig.savefig(p2, dpi=100)
    plt.close(fig)
    return [p1, p2]


def summarise_feedback(path: Path) -> dict[str, Any]:
    """Counts of thumbs up/down from the chat's feedback log, by question language, and the
    down-voted questions (candidates for the gold set)."""
    from .language import detect_language

    try:
        rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read the feedback log ({type(e).__name__})",
                         "pass the chat's feedback.jsonl (index/feedback.jsonl by default)") from None
    out: dict[str, Any] = {"votes": len(rows), "by_language": {}, "down": []}
    for r in rows:
        lang = detect_language(r.get("question") or "").code
        counts = out["by_language"].setdefault(lang, {"up": 0, "down": 0})
        counts["up" if r.get("vote") == "up" else "down"] += 1
        if r.get("vote") != "up":
            out["down"].append({"question": r.get("question"), "answer": r.get("answer")})
    return out
