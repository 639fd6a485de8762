"""Regression guard: the extractive evaluation on the gold set must stay above the stored floors."""

import json

from rag.evaluation import load_gold, run_eval, summarise, write_reports
from rag.pipeline import Pipeline
from tests.conftest import ROOT

THRESHOLDS = json.loads((ROOT / "eval" / "thresholds.json").read_text(encoding="utf-8"))


def test_extractive_gold_metrics_stay_above_floors(retriever, tmp_path):
    items = load_gold(ROOT / "eval" / "gold.jsonl")
    pipeline = Pipeline(retriever)
    results = run_eval(items, pipeline.ask, progress=False)
    summary = summarise(results)
    failures = []
    for key, rule in THRESHOLDS["floors"].items():
        group, metric = key.split(".", 1)
        value = summary[group][metric]
        if value is None or value < rule["min"]:
            failures.append(f"{key} = {value} < {rule['min']} ({rule['reason']})")
    for key, rule in THRESHOLDS["ceilings"].items():
        group, metric = key.split(".", 1)
        if summary[group][metric] > rule["max"]:
            failures.append(f"{key} = {summary[group][metric]} > {rule['max']} ({rule['reason']})")
    assert not failures, "\n".join(failures)
    # The reports are written in every format.
    paths = write_reports(tmp_path, "gold-extractive", summary, results, {"gold": "eval/gold.jsonl"})
    assert {p.suffix for p in paths} == {".json", ".md", ".png"} and all(p.stat().st_size > 0 for p in paths)
