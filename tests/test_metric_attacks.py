"""Degenerate answerers must score as badly as a reader would judge them. Each one answers every gold
question the same lazy way; the metrics see through it or they measure nothing.

- constant: the whole document quoted as one sentence citing every statement (it scored fully
  correct 1.000 under the old metrics: bare-substring key facts, quotes not split into sentences,
  citation precision ignored);
- refuse: the fixed refusal every time;
- first statement: the document's first statement, quoted with its citation, every time.
"""

from __future__ import annotations

import pytest

from rag.answer import Answer, Citation, refusal
from rag.chunking import chunk_document
from rag.documents import load_documents
from rag.evaluation import GOLD_PATH, ItemResult, load_gold, score_item, summarise
from rag.language import detect_language
from tests.conftest import CORPUS_FILE, run_cli


def _citations() -> list[Citation]:
    chunks = chunk_document(load_documents([CORPUS_FILE])[0])
    statements = [(c, s) for c in chunks for s in c.statements]
    return [Citation(n=i, doc_id=c.doc_id, chunk_id=c.chunk_id, group=c.group, refs=list(s.refs), text=s.text,
                     title=c.title, group_title=c.group_title, lang=c.lang)
            for i, (c, s) in enumerate(statements, start=1)]


def _constant(question: str, cites: list[Citation], language: str, inline: bool) -> tuple[str, list[Citation], bool]:
    if inline:  # each statement followed by its own marker, all inside one quote
        body = " ".join(f"{c.text} [{c.n}]" for c in cites)
        return f"According to the documents: “{body}”.", cites, False
    markers = "".join(f"[{c.n}]" for c in cites)
    return f"根据文档：“{' '.join(c.text for c in cites)}”{markers}。", cites, False


def _refuse(question: str, cites: list[Citation], language: str) -> tuple[str, list[Citation], bool]:
    return refusal(language), [], True


def _first_statement(question: str, cites: list[Citation], language: str) -> tuple[str, list[Citation], bool]:
    first = cites[0]
    if detect_language(question).dominant == "zh":
        return f"根据文档：“{first.text}”[1]。", [first], False
    return f"{first.text} [1].", [first], False


ANSWERERS = {
    "constant, markers at the end": lambda q, c, lang: _constant(q, c, lang, inline=False),
    "constant, markers inline": lambda q, c, lang: _constant(q, c, lang, inline=True),
    "refuse": _refuse,  # in the language the gold set wants, so only the refusing itself is judged
    "first statement": _first_statement,
}


@pytest.fixture(scope="module")
def gold_and_search(retriever):
    items = load_gold(GOLD_PATH)
    return [(item, retriever.search(item.question)) for item in items]


def _run(gold_and_search, answerer) -> tuple[dict, list[ItemResult]]:
    cites = _citations()
    assert len(cites) == 16  # 13 statements of the summary and the headline chunk's three lines
    results = []
    for item, search in gold_and_search:
        text, used, refused = answerer(item.question, cites, item.answer_language)
        language = detect_language(item.question)
        answer = Answer(question=item.question, language=language.code, answer=text, refused=refused,
                        citations=used, answerer="degenerate", dominant_language=language.dominant, search=search)
        results.append(ItemResult(item=item, answer=answer.to_dict(), metrics=score_item(item, answer, search)))
    return summarise(results), results


@pytest.mark.parametrize("name", ["constant, markers at the end", "constant, markers inline"])
def test_constant_answer_is_never_fully_correct(gold_and_search, name):
    summary, results = _run(gold_and_search, ANSWERERS[name])
    s = summary["all"]
    assert s["fully_correct"] == 0.0, [r.item.id for r in results if r.metrics.get("fully_correct")]
    assert s["citation_precision"] < 0.2 and s["length_ratio_p50"] > 10
    # Quoted English is English to a Chinese reader.
    assert summary["zh"]["language_ok"] < 0.5
    # Answering every unanswerable question is no refusal at all.
    assert s["refusal_recall"] == 0.0 and s["fully_correct_all"] == 0.0


def test_always_refusing_is_never_fully_correct(gold_and_search):
    summary, _ = _run(gold_and_search, ANSWERERS["refuse"])
    s = summary["all"]
    assert s["fully_correct"] == 0.0 and s["answered_rate"] == 0.0 and s["key_fact_recall"] == 0.0
    assert s["refusal_recall"] == 1.0 and s["refusal_precision"] < 0.2
    # Only the unanswerable questions count as right, so the whole set scores their share at most.
    assert s["fully_correct_all"] == pytest.approx(s["unanswerable"] / s["questions"])


def test_first_statement_is_right_only_where_it_is_the_answer(gold_and_search):
    summary, results = _run(gold_and_search, ANSWERERS["first statement"])
    right = [r.item for r in results if r.item.answerable and r.metrics["fully_correct"]]
    # Where the first statement is the gold source, a verbose quote may still pass; nowhere else.
    assert all(set(i.refs) == {1} for i in right), [i.id for i in right]
    assert summary["all"]["fully_correct"] < 0.05
    assert summary["zh"]["language_ok"] < 0.5


def test_saved_answers_score_the_same_when_rescored(gold_and_search, tmp_path):
    from rag.evaluation import rescore, write_reports

    summary, results = _run(gold_and_search, ANSWERERS["first statement"])
    report = write_reports(tmp_path, "first", summary, results, {})[0]
    again = summarise(rescore(report, [item for item, _ in gold_and_search]))
    assert again == summary
    # The same through the CLI, on one split; a file that is no report is one clear line.
    done = run_cli("eval", "--rescore", str(report), "--split", "test", "--out", str(tmp_path / "out"))
    assert done.returncode == 0 and "37 saved answers scored again" in done.stdout, done.stderr
    assert (tmp_path / "out" / "first-rescored.md").is_file()
    (tmp_path / "bad.json").write_text("[1, 2", encoding="utf-8")
    bad = run_cli("eval", "--rescore", str(tmp_path / "bad.json"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not an evaluation report" in bad.stderr
