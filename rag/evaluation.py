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
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .answer import Answer, cited_numbers, split_answer_sentences
from .errors import InputError
from .documents import REF_MARKER as _MARKER_RE
from .guards import REFUSAL_PHRASES
from .figures import Figure, number_words, parse_figures, same_figure, stated_figures, unsupported_figures
from .language import detect_language, language_neutral, reader_language
from .records import SearchResult

LANGS = ("en", "zh", "mixed")


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
    #: "tune": rules, thresholds and prompts may be fitted to it; "test": frozen, only measured.
    split: str = "tune"
    #: Document questions (eval/documents): the document that holds the answer and the pages it is
    #: on. Such an item is judged by place, not by chunk id: a passage is relevant when it is from
    #: ``doc``, on one of ``pages`` (when both have pages) and states a key fact.
    doc: str = ""
    pages: list[int] = field(default_factory=list)

    @property
    def answer_language(self) -> str:
        """The language the answer must be written in: that of the reference answer, which the gold
        set's author chose as a reader would ("经开区里有多少家 high-tech enterprises？" wants Chinese);
        the question's dominant language where no reference answer is given, or where the reference
        answer reads as mixed only because it names a product or place ("QH-700 Pro 电池续航 240 天。")."""
        written = reader_language(self.answer, self.question) if self.answer.strip() else "mixed"
        return written if written != "mixed" else detect_language(self.question).dominant

    @property
    def docs(self) -> set[str]:
        """The documents that hold the answer (from the gold chunk ids, or ``doc``)."""
        return {c.rsplit("#", 1)[0] for c in self.chunks} | ({self.doc} if self.doc else set())

    def holds_answer(self, doc_id: str, pages: Iterable[int], text: str) -> bool:
        """For document questions: a passage (or cited statement) from the right document and page
        that states one of the key facts."""
        pages = set(pages)
        return (doc_id == self.doc and (not self.pages or not pages or bool(pages & set(self.pages)))
                and any(fact_present(text, form) for forms in self.key_facts for form in forms))


SPLITS = ("tune", "test")

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
                                  answer=d.get("answer", ""), split=d.get("split", "tune"),
                                  doc=str(d.get("doc", "")), pages=[int(p) for p in d.get("pages", [])]))
            if items[-1].split not in SPLITS:
                raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {items[-1].split!r}")
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"{path}:{n}: not a gold item ({type(e).__name__}: {e})",
                             "each line needs id, question, lang, answerable (see the README)") from None
    if not items:
        raise InputError(f"{path}: the gold set is empty", "add one JSON question per line")
    return items


# ---- text metrics -------------------------------------------------------------------------------

_ARTICLES = ("a", "an", "the")


def _tokens(text: str) -> list[str]:
    text = re.sub(r"\[\d+\]", " ", text.lower())
    out: list[str] = []
    for piece in re.findall(r"[\u4e00-\u9fff]|[a-z0-9]+(?:[.,]\d+)*%?", text):
        out.append(piece)
    return [t for t in out if t not in _ARTICLES]  # SQuAD drops English articles


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


_FACT_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[a-z]+|\d+(?:\.\d+)?")


def _fact_tokens(text: str) -> list[str]:
    """Tokens for key-fact matching: one per Chinese character, English words, whole numbers
    (thousands separators removed, decimals kept), so a match can only start and end on a boundary."""
    text = re.sub(r"(?<=\d),(?=\d{3})", "", _MARKER_RE.sub(" ", text.lower()))
    return [t for t in _FACT_TOKEN.findall(text) if t not in _ARTICLES]  # "A bridge" is stated by "the bridge"


def _figure_form(form: str) -> Figure | None:
    """The figure a key-fact form states when it is nothing but one figure ("60,000", "272亿美元",
    "23.4%"); such forms match by value, so each language's rendering of the figure is accepted."""
    figures = parse_figures(form) or number_words(form)  # "three" is the count 3 an answer may write as digits
    if len(figures) != 1:
        return None
    rest = form.replace(figures[0].raw, "", 1)
    return figures[0] if not re.search(r"[\w\u4e00-\u9fff]", rest) else None


def fact_present(answer: str, form: str) -> bool:
    """Whether one acceptable form of a key fact is stated in ``answer``.

    A figure form matches a figure of the answer with the same value and a compatible unit (60,000
    matches 6万, never 16万; 232 never matches 1232). Any other form matches as a run of whole tokens
    (a Chinese character is a token), so "east" is not found in "eastern"; a trailing ``*`` marks a
    deliberate stem ("streamlin*" matches "streamlining")."""
    figure = _figure_form(form)
    if figure is not None:
        text = _MARKER_RE.sub(" ", answer)
        return any(same_figure(figure, f) for f in stated_figures(text))
    stem = form.endswith("*")
    want = _fact_tokens(form.rstrip("*"))
    have = _fact_tokens(answer)
    if not want:
        return False
    n = len(want)
    for i in range(len(have) - n + 1):
        window = have[i:i + n]
        if window[:-1] == want[:-1] and (window[-1] == want[-1] or (stem and window[-1].startswith(want[-1]))):
            return True
    return False


def key_fact_recall(answer: str, facts: list[list[str]]) -> float:
    """Share of key facts of which any acceptable form is stated in the answer (see ``fact_present``)."""
    if not facts:
        return 1.0
    return sum(any(fact_present(answer, form) for form in forms) for forms in facts) / len(facts)


# ---- retrieval metrics --------------------------------------------------------------------------

def retrieval_metrics(result: SearchResult, item: GoldItem) -> dict[str, float]:
    """Chunk-level and ref-level (the document's own references) hit@1/3/5, MRR and nDCG@5."""
    ids = [h.chunk.chunk_id for h in result.hits]
    if item.doc:
        rel = [float(item.holds_answer(h.chunk.doc_id, h.chunk.pages, h.chunk.text)) for h in result.hits]
        gold = {h.chunk.chunk_id for h, r in zip(result.hits, rel) if r} or {""}
    else:
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
        # A reference number means something only inside its own document: every document has a [2].
        ref_rel = [1.0 if h.chunk.doc_id in item.docs and {r for st in h.chunk.statements for r in st.refs} & gold_refs
                   else 0.0 for h in result.hits]
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
        if item.doc:
            return item.holds_answer(c.doc_id, [c.page] if c.page else c.pages, c.text + "\n" + c.rendering)
        if c.refs and gold_refs:
            return c.doc_id in item.docs and bool(set(c.refs) & gold_refs)
        return c.chunk_id in gold_chunks

    # A sentence saying the documents lack one part of the answer claims nothing that needs a source.
    sentences = [s for s in split_answer_sentences(answer.answer, split_quotes=True) if not REFUSAL_PHRASES.search(s)]
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


#: Fully correct needs at least this share of an answer's citations to support it (ALCE precision):
#: an answer that cites everything to be sure of citing the right thing is not fully correct.
MIN_CITATION_PRECISION = 0.5
#: ... and at most this many times the reference answer's length: a paragraph is not an answer to a
#: one-number question, and the reader has the source cards for the full statements.
MAX_LENGTH_RATIO = 3.0


def brief(length: float, reference: str, question: str) -> bool:
    """Whether an answer of ``length`` characters is brief: at most ``MAX_LENGTH_RATIO`` times the
    reference, or no longer than the question restated plus the reference. The second is a
    sentence that names what was asked and then the fact (the issue's own model answer,
    国家级经开区有9.9万家外贸企业[1]。, is 3.6 times its reference 9.9万家); a copied statement or
    paragraph is longer than both."""
    ref = max(1, answer_length(reference))
    return length <= MAX_LENGTH_RATIO * ref or length <= len(question.strip()) + ref


def answer_length(text: str) -> int:
    """Characters a reader reads: citation markers and surrounding space aside."""
    return len(_MARKER_RE.sub("", text).strip())


def shown_refusal(answer: Answer) -> bool:
    """A refusal the reader can see: flagged as refused and saying so (an empty reply is not one)."""
    return bool(answer.refused and answer.answer.strip())


def language_ok(answer: str, question: str, want: str, answered: bool = True) -> bool:
    """Whether the reader of ``want`` reads ``answer`` in their language (quoted passages count as
    the language they are in). A figure-only answer ("2.91% [1]") reads the same in both languages:
    no foreign text to read."""
    return reader_language(answer, question) == want or (answered and language_neutral(answer))


def score_item(item: GoldItem, answer: Answer, search: SearchResult | None) -> dict[str, float]:
    """Every metric for one gold item (missing keys mean "not applicable"). Everything is judged on
    the text the reader sees: its language counts quoted passages, its sentences split inside quotes.
    Without ``search`` (a saved answer scored again) the retrieval metrics are left out."""
    want_lang = item.answer_language
    refused = shown_refusal(answer)
    answered = not answer.refused and bool(answer.answer.strip())
    m: dict[str, float] = {"refused": float(refused),
                           "language_ok": float(language_ok(answer.answer, item.question, want_lang, answered))}
    for k in ("retrieve_ms", "generate_ms", "total_ms"):
        m[k] = answer.timings.get(k, 0.0)
    # The first text the reader sees: the first streamed piece, or the refusal (a refusal is
    # yielded whole, so its first token is its total).
    m["first_token_ms"] = answer.timings.get("first_token_ms", m["total_ms"])
    # Figures an answer states that neither its cited sources nor the question state: counted for
    # every answer given, unanswerable questions included (an invented figure there is the worst
    # kind). Repeating the question's "2024年" invents nothing.
    m["unsupported_figures"] = float(len(unsupported_figures(
        answer.answer, [c.text for c in answer.citations] + [item.question]))) if answered else 0.0
    if answered and answer.citations:
        m["right_document"] = float(bool(item.docs) and all(c.doc_id in item.docs for c in answer.citations))
    if item.answerable:
        if search is not None:
            m.update(retrieval_metrics(search, item))
        m["key_fact_recall"] = key_fact_recall(answer.answer, item.key_facts) if answered else 0.0
        m["em"] = exact_match(answer.answer, item.answer) if answered else 0.0
        m["f1"] = f1(answer.answer, item.answer) if answered else 0.0
        if answered:
            m.update(citation_metrics(answer, item))
            m["length_chars"] = float(answer_length(answer.answer))
            m["length_ratio"] = m["length_chars"] / max(1, answer_length(item.answer))
        else:
            m.update(citation_recall=0.0, citation_precision=0.0)
        if item.pages:
            # The reader follows the citation to the page: one cited statement must be on a gold page.
            m["page_ok"] = float(answered and any(c.page in item.pages for c in answer.citations))
        m["fully_correct"] = float(answered and m["key_fact_recall"] == 1.0 and m["citation_recall"] == 1.0
                                   and m["citation_precision"] >= MIN_CITATION_PRECISION and m.get("page_ok", 1.0) == 1.0
                                   and m["language_ok"] == 1.0 and m["unsupported_figures"] == 0
                                   and brief(m["length_chars"], item.answer, item.question))
    else:
        m["fully_correct"] = float(refused and m["language_ok"] == 1.0)
    return m


def _mean(values: Iterable[float]) -> float | None:
    v = list(values)
    return sum(v) / len(v) if v else None


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q * len(v)) - 1))]


GROUPS = (*LANGS, *SPLITS, "all")


def _group_of(item: GoldItem, group: str) -> bool:
    return group == "all" or group in (item.lang, item.split)


def summarise(results: list[ItemResult]) -> dict[str, dict[str, Any]]:
    """Aggregate per question language, per split (tune / test) and overall."""
    out: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        rs = [r for r in results if _group_of(r.item, group)]
        if not rs:
            continue
        ans = [r for r in rs if r.item.answerable]
        una = [r for r in rs if not r.item.answerable]
        refused = [r for r in rs if r.metrics["refused"]]
        s: dict[str, Any] = {"questions": len(rs), "answerable": len(ans), "unanswerable": len(una)}
        for key in ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@5", "ref_hit@1", "ref_hit@3", "ref_hit@5", "ref_mrr",
                    "ref_ndcg@5", "key_fact_recall", "em", "f1",
                    "citation_precision", "citation_recall", "page_ok", "fully_correct"):
            s[key] = _mean(r.metrics[key] for r in ans if key in r.metrics)
        s["fully_correct_all"] = _mean(r.metrics["fully_correct"] for r in rs)
        s["right_document"] = _mean(r.metrics["right_document"] for r in ans if "right_document" in r.metrics)
        s["unsupported_figures"] = int(sum(r.metrics.get("unsupported_figures", 0) for r in rs))
        s["language_ok"] = _mean(r.metrics["language_ok"] for r in rs)
        s["answered_rate"] = _mean(1 - r.metrics["refused"] for r in ans)
        s["refusal_recall"] = _mean(r.metrics["refused"] for r in una)
        s["refusal_precision"] = (sum(not r.item.answerable for r in refused) / len(refused)) if refused else None
        for k in ("length_chars", "length_ratio"):
            vals = [r.metrics[k] for r in ans if k in r.metrics]
            s[f"{k}_p50"] = statistics.median(vals) if vals else None
        for k in ("retrieve_ms", "generate_ms", "first_token_ms", "total_ms"):
            vals = [r.metrics.get(k, r.metrics["total_ms"]) for r in rs]
            s[f"{k}_p50"] = statistics.median(vals)
            s[f"{k}_p95"] = _pct(vals, 0.95)
            s[f"{k}_max"] = max(vals)
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


def rescore(report: Path, items: list[GoldItem]) -> list[ItemResult]:
    """Score the answers saved in an earlier report again, with today's metrics and gold set, without
    asking anything: a metric change is then measured on exactly the same answers. Retrieval
    metrics are taken from the report (the hits are not saved)."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        saved = {d["id"]: d for d in data["items"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{report}: not an evaluation report ({type(e).__name__})",
                         "pass a gold-*.json file that rag eval wrote") from None
    from .answer import Citation

    results = []
    for item in items:
        d = saved.get(item.id)
        if d is None:
            continue
        answer = Answer(question=item.question, language="", answer=d["answer"], refused=d["refused"],
                        citations=[Citation(**c) for c in d["citations"]], answerer="", notes=d.get("notes", []))
        metrics = score_item(item, answer, None)
        metrics.update({k: v for k, v in d["metrics"].items() if k.startswith(_RETRIEVAL_KEYS) or k.endswith("_ms")})
        results.append(ItemResult(item=item, answer=answer.to_dict(), metrics=metrics))
    if not results:
        raise InputError(f"{report}: no question of the gold set is in it", "rescore a report of the same gold set")
    return results


_RETRIEVAL_KEYS = ("hit@", "mrr", "ndcg@", "ref_")


# ---- reports ------------------------------------------------------------------------------------

TABLE_ROWS = [("retrieval hit@1", "hit@1"), ("retrieval hit@3", "hit@3"), ("retrieval hit@5", "hit@5"),
              ("retrieval MRR", "mrr"), ("retrieval nDCG@5", "ndcg@5"), ("ref hit@1", "ref_hit@1"),
              ("ref hit@3", "ref_hit@3"), ("ref hit@5", "ref_hit@5"), ("ref MRR", "ref_mrr"), ("ref nDCG@5", "ref_ndcg@5"),
              ("key-fact recall", "key_fact_recall"), ("exact match", "em"), ("F1", "f1"),
              ("citation precision", "citation_precision"), ("citation recall", "citation_recall"),
              ("cites the answer's page", "page_ok"),
              ("cites the right document", "right_document"),
              ("answer language ok", "language_ok"), ("answer length p50 (chars)", "length_chars_p50"),
              ("length / reference p50", "length_ratio_p50"), ("answered (answerable)", "answered_rate"),
              ("refusal precision", "refusal_precision"), ("refusal recall", "refusal_recall"),
              ("fully correct (answerable)", "fully_correct"), ("fully correct (all)", "fully_correct_all"),
              ("unsupported figures (count)", "unsupported_figures"),
              ("retrieve ms p50", "retrieve_ms_p50"), ("retrieve ms p95", "retrieve_ms_p95"),
              ("generate ms p50", "generate_ms_p50"), ("generate ms p95", "generate_ms_p95"),
              ("first token ms p50", "first_token_ms_p50"), ("first token ms p95", "first_token_ms_p95"),
              ("first token ms max", "first_token_ms_max"),
              ("total ms p50", "total_ms_p50"), ("total ms p95", "total_ms_p95"), ("total ms max", "total_ms_max")]


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, int):
        return str(v)
    return f"{v:.0f}" if v >= 10 else f"{v:.3f}"


def format_table(summary: dict[str, dict[str, Any]], markdown: bool = False) -> str:
    cols = [g for g in GROUPS if g in summary]
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
            "items": [{"id": r.item.id, "lang": r.item.lang, "split": r.item.split, "answerable": r.item.answerable,
                       "question": r.item.question, "answer": r.answer["answer"], "refused": r.answer["refused"],
                       "citations": r.answer["citations"], "notes": r.answer.get("notes", []), "metrics": r.metrics}
                      for r in results]}
    p = out_dir / f"{name}.json"
    p.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    paths.append(p)
    failures = [r for r in results if r.metrics.get("fully_correct") == 0.0]
    md = [f"# Evaluation: {name}", "", f"Gold set `{meta.get('gold')}`, answerer `{meta.get('answerer')}`, "
          f"model `{meta.get('model')}`, {meta.get('date')}.", "", format_table(summary, markdown=True), "",
          f"## Not fully right ({len(failures)})", ""]
    md += [f"- `{r.item.id}` ({r.item.split}) {r.item.question} → {r.answer['answer'][:200]}" for r in failures]
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
