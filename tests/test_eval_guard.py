"""Regression guard: gold-set evaluations must stay above the floors stored in eval/thresholds.json.

Four runs, each with its own floors (each floor sits just under an honest measurement and says why):
- ``extractive``: the extractive answerer on every gold question (tune and test splits);
- ``llm-test``: the local model, the answerer users get by default, on the frozen test split
  (the whole set takes about fifteen minutes on two cores; the test split about five);

Both read the bundled corpus with the renderings the local model wrote for it in this test run
(``rendered_index``), as users do after the first start.
- ``extractive-distractors``: retrieval and answers with the bundled document among 72 others.
- ``extractive-documents``: retrieval and answers over the PDF, Word, web, slide and sheet files of
  eval/documents, judged by file, page and key fact.
"""

import dataclasses
import json

import pytest

from rag.evaluation import load_gold, run_eval, summarise, write_reports
from rag.pipeline import Pipeline
from tests.conftest import ROOT

THRESHOLDS = json.loads((ROOT / "eval" / "thresholds.json").read_text(encoding="utf-8"))
GOLD = load_gold(ROOT / "eval" / "gold.jsonl")


def breaches(run: str, summary: dict) -> list[str]:
    """Every floor of ``run`` that the summary falls below, and every ceiling it exceeds."""
    rules = THRESHOLDS[run]
    failures = []
    for key, rule in rules.get("floors", {}).items():
        group, metric = key.split(".", 1)
        value = summary[group][metric]
        if value is None or value < rule["min"]:
            failures.append(f"{run}: {key} = {value} < {rule['min']} ({rule['reason']})")
    for key, rule in rules.get("ceilings", {}).items():
        group, metric = key.split(".", 1)
        value = summary[group][metric]
        if value is None or value > rule["max"]:
            failures.append(f"{run}: {key} = {value} > {rule['max']} ({rule['reason']})")
    return failures


def test_every_floor_can_fail():
    # A floor at the bottom of its scale (or a ceiling at the top) passes whatever the product does.
    for run, rules in THRESHOLDS.items():
        if run.startswith("_"):
            continue
        for key, rule in rules.get("floors", {}).items():
            assert rule["min"] > 0 and rule["reason"], (run, key)
        for key, rule in rules.get("ceilings", {}).items():
            unbounded = ("unsupported_figures", "_ms_p50", "_ms_p95", "_ms_max", "length_chars_p50", "length_ratio_p50")
            assert rule["reason"] and (rule["max"] < 1 or key.endswith(unbounded)), (run, key)


@pytest.fixture(scope="module")
def rendered_retriever(rendered_index, settings, embedder):
    """The bundled corpus with the renderings the local model made for it: what users get."""
    from rag.factory import open_retriever

    return open_retriever(dataclasses.replace(settings, index_dir=rendered_index), progress=False, embedder=embedder)


def test_extractive_gold_metrics_stay_above_floors(rendered_retriever, tmp_path):
    results = run_eval(GOLD, Pipeline(rendered_retriever).ask, progress=False)
    summary = summarise(results)
    assert not breaches("extractive", summary), "\n".join(breaches("extractive", summary))
    # The reports are written in every format.
    paths = write_reports(tmp_path, "gold-extractive", summary, results, {"gold": "eval/gold.jsonl"})
    assert {p.suffix for p in paths} == {".json", ".md", ".png"} and all(p.stat().st_size > 0 for p in paths)


def test_local_model_on_the_frozen_test_split_stays_above_floors(rendered_retriever, settings):
    pytest.importorskip("llama_cpp")
    from rag.llm import LocalLLMAnswerer

    s = rendered_retriever.settings
    pipeline = Pipeline(rendered_retriever, LocalLLMAnswerer(s, progress=False), s)
    items = [i for i in GOLD if i.split == "test"]
    summary = summarise(run_eval(items, pipeline.ask, progress=False))
    assert not breaches("llm-test", summary), "\n".join(breaches("llm-test", summary))


def test_distractor_corpus_stays_above_floors(settings, embedder, tmp_path):
    from rag.evalrun import DISTRACTORS, corpus_documents
    from rag.factory import open_retriever
    from rag.indexer import index_documents

    s = dataclasses.replace(settings, index_dir=tmp_path / "index")
    index_documents(corpus_documents(s, "distractors"), s, embedder=embedder, progress=False)
    retriever = open_retriever(s, progress=False, embedder=embedder)
    assert len(retriever.index.manifest.documents) >= 51
    items = GOLD + load_gold(DISTRACTORS / "gold.jsonl")
    summary = summarise(run_eval(items, Pipeline(retriever, settings=s).ask, progress=False))
    assert not breaches("extractive-distractors", summary), "\n".join(breaches("extractive-distractors", summary))


def test_document_corpus_stays_above_floors(settings, embedder, tmp_path):
    """PDF, Word, web, slide and sheet files (eval/documents): retrieval finds the answer's page."""
    from rag.evalrun import DOCUMENTS, corpus_documents
    from rag.factory import open_retriever
    from rag.indexer import index_documents

    s = dataclasses.replace(settings, index_dir=tmp_path / "index")
    index_documents(corpus_documents(s, "documents"), s, embedder=embedder, progress=False)
    retriever = open_retriever(s, progress=False, embedder=embedder)
    summary = summarise(run_eval(load_gold(DOCUMENTS / "gold.jsonl"), Pipeline(retriever, settings=s).ask,
                                 progress=False))
    assert not breaches("extractive-documents", summary), "\n".join(breaches("extractive-documents", summary))
