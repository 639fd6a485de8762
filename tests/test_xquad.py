"""The cross-lingual benchmark runs end to end on real XQuAD data (a small sample, to stay quick)."""

import json

import pytest

from rag.xquad import load_xquad, run_xquad, sample_questions
from tests.conftest import SHARED

XQUAD = SHARED / "benchmarks" / "xquad"
pytestmark = pytest.mark.skipif(not XQUAD.is_dir(), reason="../shared/benchmarks/xquad not present")


def test_xquad_loads_parallel_data():
    paragraphs, questions = load_xquad(XQUAD)
    assert len(paragraphs["en"]) == len(paragraphs["zh"]) == 120
    sample = sample_questions(questions, 40)
    assert len(sample) == 80 and {q.lang for q in sample} == {"en", "zh"}


def test_xquad_cross_lingual_retrieval(settings, embedder, tmp_path):
    out = tmp_path / "x.json"
    report = run_xquad(settings, XQUAD, limit=40, out=out, progress=False, embedder=embedder)
    r = report["results"]
    assert json.loads(out.read_text())["results"] == r
    # Dense retrieval crosses languages; BM25 cannot; hybrid must not lose what dense finds.
    assert r["zh→en"]["dense"]["R@5"] >= 0.9 and r["en→zh"]["dense"]["R@5"] >= 0.9
    assert r["zh→en"]["bm25"]["R@1"] < 0.5
    for direction in ("en→en", "zh→zh", "zh→en", "en→zh", "mixed"):
        assert r[direction]["hybrid"]["R@1"] >= r[direction]["dense"]["R@1"] - 0.05, direction


def test_xquad_answers_are_scored_per_language(settings, tmp_path):
    """`rag eval xquad` answers the same questions in both languages and scores refusals (all are
    false: every XQuAD question is answerable), key facts and the answer's language."""
    from tests.conftest import run_cli

    r = run_cli("eval", "xquad", "--data", str(XQUAD), "--limit", "10", "--answers", "4", "--answerer", "extractive",
                "--out", str(tmp_path), env={"RAG_CACHE_DIR": str(settings.cache_dir)}, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads((tmp_path / "xquad-extractive.json").read_text())
    by = report["answers"]["by_language"]
    assert set(by) == {"zh", "en"} and by["zh"]["questions"] == by["en"]["questions"] == 4
    rows = [json.loads(line) for line in (tmp_path / "xquad-extractive-answers.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and {r["lang"] for r in rows} == {"zh", "en"}
    assert by["en"]["key_fact_recall"] == sum(r["key_fact"] for r in rows if r["lang"] == "en") / 4
    assert "refused" in r.stdout and "key-fact" in r.stdout
