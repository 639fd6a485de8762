"""`rag bench` runs its benchmarks in child processes and reports figures (never asserts times)."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_bench_build_and_search_report_figures(tmp_path):
    out = run_cli("bench", "build", "search", "--sizes", "40", "--runs", "3", "--work", str(tmp_path / "w"),
                  "--out", str(tmp_path / "bench.json"), timeout=900)
    assert out.returncode == 0, out.stderr
    figures = {f["name"]: f for f in json.loads((tmp_path / "bench.json").read_text())}
    assert set(figures) == {"index build, 40 chunks", "search (hybrid), 100 chunks", "search (hybrid), 40 chunks"}
    build = figures["index build, 40 chunks"]
    assert build["unit"] == "chunks/s" and build["runs"] == 3 and build["p50"] > 0 and build["peak_rss_mb"] > 100
    search = figures["search (hybrid), 40 chunks"]
    assert search["runs"] == 3 and 0 < search["p50"] <= search["p95"] and "embed" in search["note"]
    assert "search (hybrid), 40 chunks" in out.stdout  # the table is printed too


def test_bench_bad_options_are_one_line_errors(tmp_path):
    for args, needle in [(["bench", "nonsense"], "unknown benchmark"), (["bench", "--sizes", "1k"], "--sizes"),
                         (["bench", "search", "--xquad", str(tmp_path)], "no XQuAD files")]:
        out = run_cli(*args)
        assert out.returncode == 2 and out.stderr.count("\n") == 1 and needle in out.stderr, out.stderr
