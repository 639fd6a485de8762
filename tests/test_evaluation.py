"""Metric functions, checked on hand-worked examples."""

import json

import pytest

from rag.answer import Answer, Citation, answer_language, resolve_citations, split_answer_sentences
from rag.evaluation import (GoldItem, citation_metrics, exact_match, f1, fact_present, key_fact_recall, load_gold,
                            score_item, summarise)
from rag.language import detect_language, reader_language
from rag.errors import InputError
from rag.figures import parse_figures, same_figure, to_chinese, to_english, unsupported_figures
from rag.chunking import chunk_document
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


def test_key_facts_match_on_number_and_token_boundaries():
    assert not fact_present("有16万家外资企业", "6万") and fact_present("有6万家外资企业", "6万")
    assert not fact_present("1232 zones", "232") and fact_present("232个国家级经开区", "232")
    assert not fact_present("23.45%", "23.4%") and fact_present("占23.4%[2]", "23.4%")
    # One figure in either language's form.
    assert fact_present("over 60,000 foreign-funded enterprises", "6万")
    assert fact_present("有超过6万家外资企业", "60,000") and fact_present("9.9万家", "99,000")
    assert fact_present("实际使用外资272亿美元", "$27.2 billion") and not fact_present("27.2亿美元", "$27.2 billion")
    assert not fact_present("27.2 billion yuan", "272亿美元")  # the currency must agree
    # Words are whole tokens; a trailing * marks a deliberate stem; Chinese characters are tokens.
    assert not fact_present("the eastern regions", "east") and fact_present("the east and west", "east")
    assert fact_present("by streamlining processes", "streamlin*")
    assert fact_present("由国家市场监督管理总局推动", "市场监督管理") and not fact_present("市场", "市场监管")
    assert fact_present("published 2025-05-27 16:17", "2025-05-27") and fact_present("于2025年5月27日发布", "2025年5月27日")
    assert not fact_present("2025-05-270", "2025-05-27")
    # A spelled-out count is the same fact in digits, and English articles are not part of a fact.
    assert fact_present("3 [1]", "three") and fact_present("three plays [1]", "3") and not fact_present("threefold", "three")
    assert fact_present("The bridge was opened in 1981 [1]", "A bridge")
    assert fact_present("3000万英镑[1]", "£30m") and not fact_present("3000万美元[1]", "£30m")


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
    # Pounds and euros are currencies of their own; a scale word may run into Chinese text.
    assert same_figure(parse_figures("£30m")[0], parse_figures("3000万英镑")[0])
    assert not same_figure(parse_figures("€30m")[0], parse_figures("£30m")[0])
    assert parse_figures("30 million英镑")[0].value == 3e7 and to_chinese(parse_figures("€2.5 billion")[0]) == "25亿欧元"
    assert unsupported_figures("年度传输费为3000万英镑[1]", ["annual carriage fees of £30m"]) == []
    # A count the source spells out, and a fraction of a stated percentage, are stated figures.
    assert unsupported_figures("3 departments [1]", ["Three Departments Explain the Measures"]) == []
    assert unsupported_figures("由3个部门详解[1]", ["三部门详解深化国家级经开区改革创新有关举措"]) == []
    assert unsupported_figures("0.234 of the national total [2]", [G1]) == []
    assert unsupported_figures("0.5 of the total", [G1]) == ["0.5"]
    assert unsupported_figures("5 items", ["三农问题"]) == ["5"]  # a numeral inside a word counts nothing
    # A count after a word is a count (中有两人); 一 ending a word, an ordinal or part of a longer
    # numeral is not.
    assert unsupported_figures("2名[1]", ["三名首发线卫中有两人入选了职业碗"]) == []
    assert unsupported_figures("4 [1]", ["诺曼完成了四次拦截"]) == []
    assert unsupported_figures("1 [1]", ["统一部署"]) == ["1"]
    assert unsupported_figures("3 [1]", ["第三次会议"]) == ["3"]
    assert unsupported_figures("10 [1]", ["二十个项目"]) == ["10"]


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
    assert len(split_answer_sentences(zh)) == 2  # the guards treat each quote as one unit
    # The language guard reads what the reader reads: quoted English is English (issue 14).
    assert answer_language(zh) == "en"
    assert answer_language("国家级经开区有9.9万家外贸企业[1]。") == "zh"
    assert answer_language("The zones used $27.2 billion [1].") == "en"
    # The evaluation reads what the reader reads: sentences inside quotes, quoted English as English.
    assert split_answer_sentences(zh, split_quotes=True) == [
        "根据文档：“There are 60,000 firms;", "more.”（6万；272亿美元）[1]；", "“Other.”[2]。"]
    assert reader_language(zh) == "en"
    assert reader_language("国家级经开区有9.9万家外贸企业[1]。") == "zh"
    assert reader_language("国家级经开区2024年的GDP为2.5万亿元[1]。") == "zh"  # an acronym in Chinese text
    assert reader_language("由证券日报（Zheng Quan Ri Bao）发布。") == "mixed"
    assert reader_language("It was published by Zheng Quan Ri Bao (证券日报).") == "en"
    assert reader_language("[1][2]") == "en"
    # A name the question typed is no foreign text: the reader wrote it.
    q = "QH-700 Pro 的电池续航有多久？"
    assert reader_language("QH-700 Pro 的电池续航为240天[1]。") == "mixed"
    assert reader_language("QH-700 Pro 的电池续航为240天[1]。", q) == "zh"
    assert answer_language("天文台所在的 Ridley Hill 海拔412米[1]。", "天文台所在的 Ridley Hill 海拔多少米？") == "zh"
    assert reader_language("QH-700 Pro has a battery life of 240 days [1].", q) == "en"
    # The gold and the XQuAD scorers judge it the same way: a bare figure reads alike in both
    # languages, a refusal's emptiness does not, and quoted English is English.
    from rag.evaluation import language_ok
    assert language_ok("38 [1]", "约翰·埃尔维参加第 33 届超级碗时多大？", "zh")
    assert not language_ok("", "他多大？", "zh", answered=False)
    assert language_ok("QH-700 Pro 的电池续航为240天[1]。", q, "zh")
    assert not language_ok(zh, q, "zh") and not language_ok("38 [1]", q, "zh", answered=False)


def test_gold_set_shape():
    items = load_gold(ROOT / "eval" / "gold.jsonl")
    by = lambda f: sum(1 for i in items if f(i))
    assert len(items) >= 60 and len({i.id for i in items}) == len(items)
    assert by(lambda i: i.lang == "en") >= 25 and by(lambda i: i.lang == "zh") >= 25 and by(lambda i: i.lang == "mixed") >= 5
    assert by(lambda i: not i.answerable) >= 10
    assert by(lambda i: len(i.chunks) >= 2) >= 3 and by(lambda i: any(c.endswith("#headline") for c in i.chunks)) >= 4
    assert all(i.key_facts and i.chunks for i in items if i.answerable)
    # Each reference answer states its own key facts (zh-17's "国家市场监督管理总局" once missed "市场监管")
    # and reads in its question's language, as the metrics judge an answer.
    assert [i.id for i in items if i.answerable and key_fact_recall(i.answer, i.key_facts) < 1] == []
    assert [i.id for i in items if i.answer_language not in ("zh", "en")
            or i.lang != "mixed" and i.answer_language != i.lang] == []
    # No key fact a wrong answer could meet by accident: a single character or a one-digit number.
    assert [(i.id, f) for i in items for forms in i.key_facts for f in forms if len(f.rstrip("*")) < 2] == []
    # A frozen test split of new questions that nothing was tuned on.
    test = [i for i in items if i.split == "test"]
    assert len(test) >= 30 and sum(not i.answerable for i in test) >= 5
    assert {i.lang for i in test} == {"en", "zh", "mixed"} and {i.split for i in items} == {"tune", "test"}


def test_distractor_corpus_and_its_questions():
    from rag.config import Settings
    from rag.evalrun import DISTRACTORS, corpus_documents

    docs = corpus_documents(Settings.load({}, environ={}), "distractors")
    others = [d for d in docs if d.doc_id != "etdz-reform-2025-05-27"]
    assert len(others) >= 50
    kinds = {d.kind for d in others}
    assert "news-summary" in kinds and {d.lang for d in others if d.kind == "jsonl"} == {"en", "zh"}
    items = load_gold(DISTRACTORS / "gold.jsonl")
    ids = {c.chunk_id for d in docs for c in chunk_document(d)}
    assert items and all(set(i.chunks) <= ids for i in items)
    assert [i.id for i in items if key_fact_recall(i.answer, i.key_facts) < 1] == []


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


def test_figures_from_the_question_are_not_invented_but_others_are():
    item = GoldItem("x", "2024年上海港集装箱吞吐量是多少？", "zh", True, [["5150万"]], [], ["d#g2"], "5150万标箱[1]。")
    source = Citation(1, "d", "d#g2", 2, [], "Shanghai port handled 51.5 million TEU of containers")
    said = lambda text: score_item(item, Answer(item.question, "zh", text, False, [source], "x"), None)
    assert said("2024年上海港集装箱吞吐量是5150万标箱[1]。")["unsupported_figures"] == 0
    assert said("2023年上海港集装箱吞吐量是5150万标箱[1]。")["unsupported_figures"] == 1
    wrong = said("上海港集装箱吞吐量是5150万标箱，同比增长18.2%[1]。")
    assert wrong["unsupported_figures"] == 1 and wrong["fully_correct"] == 0


def test_close_figures_are_different_figures():
    assert not same_figure(parse_figures("2023年")[0], parse_figures("2024年")[0])
    assert not same_figure(parse_figures("60,050")[0], parse_figures("60,000")[0])
    assert same_figure(parse_figures("$27.2 billion")[0], parse_figures("272亿美元")[0])
    assert same_figure(parse_figures("51.5 million TEU")[0], parse_figures("5150万标箱")[0])


def test_a_count_of_things_is_no_amount_of_money():
    """The small model turned 5.2万辆次 (vehicle trips a day) into "$52,000 in tolls": a number
    counted by a Chinese measure word matches a bare number, never a currency."""
    trips, firms = parse_figures("日均车流量5.2万辆次")[0], parse_figures("6万家外资企业")[0]
    assert trips.counted and firms.counted and not parse_figures("272亿美元")[0].counted
    assert not same_figure(parse_figures("$52,000")[0], trips)
    assert same_figure(parse_figures("52,000 vehicle trips")[0], trips)
    assert same_figure(parse_figures("60,000 enterprises")[0], firms)
    assert not parse_figures("2024年")[0].counted  # 年 after a number is a year, not a count
    assert not parse_figures("月薪8000块钱")[0].counted  # 块 is money
    assert not parse_figures("100亿个人住房贷款")[0].counted  # 个 begins 个人


def test_the_refusal_probability_threshold_makes_the_fewest_wrong_decisions():
    from rag.evalrun import fit_refuse_above

    # (NOT_FOUND probability, answerable): refusing above 0.385 gets all but two right.
    rows = [(0.62, True), (0.34, True), (0.10, True), (0.70, False), (0.50, False), (0.43, False), (0.09, False)]
    assert fit_refuse_above(rows) == (0.385, 1, 1)
    # Ties go to the higher value: a false refusal is the error a reader notices.
    assert fit_refuse_above([(0.2, True), (0.6, False), (0.4, True), (0.3, False)])[1:] == (0, 1)
    assert fit_refuse_above([(0.1, True), (0.2, True)]) == (1.0, 0, 0)  # nothing to refuse
    assert fit_refuse_above([]) == (1.0, 0, 0)


def test_brief_allows_a_sentence_naming_what_was_asked_but_not_a_copied_statement():
    from rag.evaluation import brief

    q, ref = "国家级经开区里有多少家外贸企业？", "9.9万家[1]。"
    assert brief(len("国家级经开区有9.9万家外贸企业。"), ref, q)  # the issue's own model answer: 3.6× the reference
    copied = ("在232个国家级经开区，有超过6万家外资企业，有9.9万家外贸企业，2024年实际使用外资272亿美元，"
              "进出口总额10.7万亿元，分别占全国的23.4%和24.5%。")
    assert not brief(len(copied), ref, q)
    q, ref = "What kind of bonds can regions use to support the construction of development zones?", "Local government bonds [4]."
    assert brief(len("Regions can use local government bonds to support the construction of development zones."), ref, q)
    assert not brief(len("The work plan allows regions to utilize local government bonds to support the construction of "
                         "development zones and encourages financing through public listings."), ref, q)
