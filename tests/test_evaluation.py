"""Metric functions, checked on hand-worked examples."""

import json

import pytest

from rag.answer import Answer, Citation, answer_language, resolve_citations, split_answer_sentences
from rag.evaluation import GoldItem, citation_metrics, exact_match, f1, key_fact_recall, load_gold
from rag.errors import InputError
from rag.figures import parse_figures, same_figure, to_chinese, to_english, unsupported_figures
from tests.conftest import ROOT

G1 = ("There are over 60,000 foreign-funded enterprises and 99,000 foreign trade enterprises in the 232 "
      "national-level development zones, with actual foreign investment of $27.2 billion and imports and exports "
      "totaling 10.7 trillion yuan in 2024, accounting for 23.4% and 24.5% of the national totals respectively")


def test_f1_uses_characters_for_chinese_and_words_for_english():
    assert f1("实际使用外资272亿美元", "实际使用外资272亿美元") == 1.0
    assert f1("外资272亿", "实际使用外资272亿美元") == pytest.approx(2 * (4 / 4) * (4 / 10) / (1 + 4 / 10))
    assert f1("The $27.2 billion", "27.2 billion") == 1.0  # articles and symbols dropped, as in SQuAD
    assert exact_match("27.2 billion.", "27.2 Billion") == 1.0 and exact_match("27.2", "27.2 billion") == 0.0


def test_key_fact_recall_accepts_any_form():
    facts = [["272亿美元", "27.2 billion"], ["60,000", "6万"]]
    assert key_fact_recall("It was $27.2 billion, with 60000 firms", facts) == 1.0
    assert key_fact_recall("实际使用外资272亿美元", facts) == 0.5
    assert key_fact_recall("27.2亿美元", facts) == 0.0


def test_figures_normalise_across_languages():
    usd = parse_figures("$27.2 billion")[0]
    assert same_figure(usd, parse_figures("272亿美元")[0])
    assert not same_figure(usd, parse_figures("27.2亿美元")[0])
    assert not same_figure(usd, parse_figures("27.2 billion yuan")[0])
    assert to_chinese(usd) == "272亿美元" and to_english(parse_figures("10.7万亿元")[0]) == "10.7 trillion yuan"
    assert unsupported_figures("外资272亿美元，占23.4%[2]", [G1]) == []
    assert unsupported_figures("外资27.2亿美元[2]", [G1]) == ["27.2亿美元"]
    assert unsupported_figures("税收收入为2.5万亿元", [G1]) == ["2.5万亿元"]
    assert parse_figures("US$5m")[0].value == 5e6 and parse_figures("a 5m wall")[0].value == 5  # metres stay 5


def test_citation_resolution_renumbers_and_drops_unknown_markers(retriever):
    from rag.evidence import EvidenceRanker

    ev = EvidenceRanker(retriever.embedder).rank(retriever.search("foreign investment 2024"))
    text, cites = resolve_citations("A [3]. B [1][1] and [99]. C [3].", ev)
    assert text == "A [1]. B [2] and. C [1]."
    assert [c.n for c in cites] == [1, 2] and cites[0].text == ev[2].statement.text


def test_citation_metrics_per_sentence():
    item = GoldItem("x", "q", "en", True, [], [2], ["d#g1"], "")
    c1 = Citation(1, "d", "d#g1", 1, [2], "s")
    c2 = Citation(2, "d", "d#g4", 4, [8], "t")
    a = Answer("q", "en", "First claim [1]. Second claim [2]. Third claim.", False, [c1, c2], "x")
    m = citation_metrics(a, item)
    assert m["citation_recall"] == pytest.approx(1 / 3) and m["citation_precision"] == pytest.approx(1 / 2)


def test_answer_sentences_and_language():
    zh = "根据文档：“There are 60,000 firms; more.”（6万；272亿美元）[1]；“Other.”[2]。"
    assert len(split_answer_sentences(zh)) == 2
    assert answer_language(zh) == "zh"
    assert answer_language("The zones used $27.2 billion [1].") == "en"


def test_gold_set_shape():
    items = load_gold(ROOT / "eval" / "gold.jsonl")
    by = lambda f: sum(1 for i in items if f(i))
    assert len(items) >= 60 and len({i.id for i in items}) == len(items)
    assert by(lambda i: i.lang == "en") >= 25 and by(lambda i: i.lang == "zh") >= 25 and by(lambda i: i.lang == "mixed") >= 5
    assert by(lambda i: not i.answerable) >= 10
    assert by(lambda i: len(i.chunks) >= 2) >= 3 and by(lambda i: any(c.endswith("#headline") for c in i.chunks)) >= 4
    assert all(i.key_facts and i.chunks for i in items if i.answerable)
    # Each reference answer states its own key facts (zh-17's "国家市场监督管理总局" once missed "市场监管").
    assert [i.id for i in items if i.answerable and key_fact_recall(i.answer, i.key_facts) < 1] == []


def test_bad_gold_line_is_named(tmp_path):
    p = tmp_path / "g.jsonl"
    p.write_text('{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="g.jsonl:1"):
        load_gold(p)


def test_feedback_log_summary(tmp_path):
    from rag.evaluation import summarise_feedback

    log = tmp_path / "feedback.jsonl"
    log.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"vote": "up", "question": "外资多少？", "answer": "272亿美元[1]"},
        {"vote": "down", "question": "Who published it?", "answer": "x"}]), encoding="utf-8")
    s = summarise_feedback(log)
    assert s["votes"] == 2 and s["by_language"]["zh"]["up"] == 1 and s["down"][0]["question"] == "Who published it?"
