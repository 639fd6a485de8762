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
