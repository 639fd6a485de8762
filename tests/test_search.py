"""Hybrid retrieval on the bundled corpus and the `rag` CLI, with the real model and index."""

import json

import pytest

from rag.errors import InputError
from rag.retrieval import rrf_fuse
from tests.conftest import run_cli


@pytest.mark.parametrize("question,chunk", [
    ("2024年经开区实际使用外资多少？", "#g1"),
    ("How much actual foreign investment did the development zones use in 2024?", "#g1"),
    ("经开区在绿色低碳发展方面有哪些举措？", "#g4"),
    ("What will the market regulator do about the business environment?", "#g3"),
    ("地方政府债券可以用来支持什么？", "#g2"),
    ("这篇文章是哪家媒体发布的？", "#headline"),
    ("When was the article published?", "#headline"),
    ("What is 经开区 carbon footprint management?", "#g4"),
])
def test_hybrid_ranks_the_right_group_first(retriever, question, chunk):
    result = retriever.search(question)
    assert result.hits[0].chunk.chunk_id.endswith(chunk), [h.chunk.chunk_id for h in result.hits]


def test_results_say_which_retrievers_found_them(retriever):
    r = retriever.search("2024年经开区实际使用外资多少？", k=6)
    top = r.hits[0]
    assert set(top.retrievers) == {"dense", "bm25"} and top.retrievers["dense"].rank == 1
    assert all(h.retrievers for h in r.hits) and [h.rank for h in r.hits] == list(range(1, len(r.hits) + 1))
    d = r.to_dict()
    assert d["language"] == "zh" and d["results"][0]["statements"][0]["refs"] == [2]


def test_rrf_fuse_orders_by_reciprocal_rank():
    fused = rrf_fuse({"dense": [(1, 0.9), (2, 0.8)], "bm25": [(2, 5.0), (3, 1.0)]}, k=60)
    assert [p for p, _, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01", "x" * 50_000])
def test_bad_questions_are_input_errors(retriever, bad):
    with pytest.raises(InputError):
        retriever.search(bad)


def test_cli_search_json_ranks_group_1_first(corpus_index):
    out = run_cli("--index-dir", str(corpus_index.index_dir), "search", "2024年经开区实际使用外资多少？", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["language"] == "zh" and d["results"][0]["chunk_id"] == "etdz-reform-2025-05-27#g1"
    assert set(d["results"][0]) >= {"rank", "doc_id", "chunk_id", "group", "lang", "score", "retrievers", "text", "statements"}


def test_cli_batch_keeps_order_and_reports_bad_lines(corpus_index, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "en", "question": "How much foreign investment did the zones attract in 2024?"}),
        "{not json",
        json.dumps({"id": "empty", "question": ""}),
        json.dumps({"id": "zh", "question": "碳足迹管理体系"}, ensure_ascii=False),
    ]), encoding="utf-8")
    out = run_cli("--index-dir", str(corpus_index.index_dir), "search", "--batch", str(batch), "--json")
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x.get("id") for x in lines] == ["en", None, "empty", "zh"]
    assert lines[0]["results"][0]["chunk_id"].endswith("#g1") and lines[3]["results"][0]["chunk_id"].endswith("#g4")
    assert "line" in lines[1] and "empty" in lines[2]["error"]
    assert out.returncode == 1


@pytest.mark.parametrize("args,needle", [
    (["search", "   "], "the question is empty"),
    (["--bogus"], "unrecognized arguments"),
    (["search", "q", "-k", "0"], "-k must be at least 1"),
    (["index", "/no/such/file.txt"], "no such file or folder"),
])
def test_cli_errors_are_one_line(tmp_path, args, needle):
    out = run_cli("--index-dir", str(tmp_path / "idx"), *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "idx" / "CURRENT").exists()


def test_cli_index_docs_remove(fresh_settings, tmp_path):
    idx = str(fresh_settings.index_dir)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "title": "t", "text": "x", "lang": "en"}\n{oops\n', encoding="utf-8")
    out = run_cli("--index-dir", idx, "-q", "index")
    assert out.returncode == 0 and "1 added" in out.stdout, out.stderr
    out = run_cli("--index-dir", idx, "-q", "index", str(bad))
    assert out.returncode == 2 and "bad.jsonl:2" in out.stderr
    out = run_cli("--index-dir", idx, "docs")
    assert "etdz-reform-2025-05-27" in out.stdout and "1 documents, 6 chunks" in out.stdout
    out = run_cli("--index-dir", idx, "remove", "etdz-reform-2025-05-27")
    assert out.returncode == 0 and "1 removed" in out.stdout


def test_search_filters_by_language_and_document(retriever):
    from rag.records import Where

    zh = retriever.search("经开区改革 foreign investment", k=5, where=Where(lang="zh"))
    assert zh.hits and all(h.chunk.lang == "zh" for h in zh.hits)
    en = retriever.search("经开区改革 foreign investment", k=5, where=Where(lang="en"))
    assert len(en.hits) == 5 and all(h.chunk.lang == "en" for h in en.hits)
    none = retriever.search("foreign investment", k=5, where=Where(doc_ids=("no-such-doc",)))
    assert none.hits == []
