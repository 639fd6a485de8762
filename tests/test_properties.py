"""Property-based tests: random and adversarial text never raises anything but the project's own errors."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.answer import answer_language, cited_numbers, split_answer_sentences
from rag.documents import parse_jsonl, parse_text, split_sentences
from rag.errors import RagError
from rag.figures import parse_figures, to_chinese, to_english, unsupported_figures
from rag.language import detect_language
from rag.retrieval import clean_question

# Text that mixes the scripts and symbols this product meets: Han, Latin, digits, brackets,
# bullets, the news-summary keywords, emoji, control characters.
PIECES = st.sampled_from(["Core Viewpoint", "Group 1:", "Group 2:", " - ", "[1]", "[2][3]", "[", "]", "亿", "万亿",
                          "$", "%", "27.2", "billion", "美元", "。", "；", "\n", "\r\n", "“", "”", "·", "2025-05-27 16:17",
                          "\x00", "\x1b", "😀", "经开区", "foreign investment"])
MIXED = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=40).map("".join)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(MIXED)
def test_document_parser_raises_only_its_own_errors(text):
    for markdown in (False, True):
        try:
            doc = parse_text(text, "doc", markdown=markdown)
        except RagError as e:
            assert "\n" not in str(e)
            continue
        assert doc.doc_id == "doc" and (doc.groups or doc.paragraphs)


@FAST
@given(st.lists(st.one_of(MIXED, st.dictionaries(st.sampled_from(["id", "title", "text", "lang", "source"]),
                                                  st.one_of(MIXED, st.integers(), st.none())).map(json.dumps)),
                max_size=5).map("\n".join))
def test_jsonl_parser_raises_only_its_own_errors(text):
    try:
        parse_jsonl(text, "x.jsonl")
    except RagError as e:
        assert "x.jsonl" in str(e)


@FAST
@given(MIXED)
def test_language_detector_always_answers(text):
    lang = detect_language(text)
    assert lang.code in ("zh", "en", "mixed") and lang.dominant in ("zh", "en") and 0 <= lang.cjk_ratio <= 1
    assert detect_language(text) == lang  # deterministic


@FAST
@given(MIXED)
def test_citation_and_sentence_parsers_are_total(text):
    sentences = split_answer_sentences(text)
    assert all(s.strip() for s in sentences)
    assert all(n >= 0 for n in cited_numbers(text))
    assert answer_language(text) in ("zh", "en", "mixed")
    assert all(s.strip() for s in split_sentences(text))


@FAST
@given(MIXED)
def test_figure_normaliser_round_trips(text):
    for f in parse_figures(text):
        assert f.value >= 0 and f.unit in ("usd", "cny", "gbp", "eur", "pct", "")
        back = parse_figures(to_chinese(f))
        assert back and abs(back[0].value - f.value) <= 1e-3 * max(f.value, 1) + 1e-9 or f.value == 0
        assert parse_figures(to_english(f))
    assert unsupported_figures(text, [text]) == []  # a text always supports its own figures


@FAST
@given(MIXED)
def test_questions_are_cleaned_or_refused_with_our_error(text):
    try:
        q = clean_question(text, 2000)
    except RagError:
        return
    assert q and q == q.strip() and "\x00" not in q and len(q) <= 2000
