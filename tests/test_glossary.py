"""The glossary of standard terms that renderings use: matching, writing terms into a source, the
check, the user's own file. (The renderer's retry on a missing term is in test_rendering.)"""

from __future__ import annotations

import pytest

from rag.config import Settings
from rag.errors import InputError
from rag.glossary import Glossary, Term, load_glossary, parse


def test_terms_are_found_longest_first_in_any_case_and_plural():
    g = load_glossary()
    text = "Pilot Free Trade Zones and free trade zones drew foreign-funded enterprises"
    found = [(text[m.start:m.end], m.term.zh[0]) for m in g.find(text, "en")]
    assert found == [("Pilot Free Trade Zones", "自由贸易试验区"), ("free trade zones", "自由贸易区"),
                     ("foreign-funded enterprises", "外资企业")]
    # Whole words only: "bonds" inside another word is not a term, nor "trade-in" inside "trade-ins…" parts.
    assert g.find("The workplan mentions nothing", "en") == []


def test_a_source_gets_the_terms_its_headline_uses():
    g = load_glossary()
    src = "The National Market Supervision Administration will act in national-level development zones to improve the business environment"
    out = g.write_in(src, "en", "zh", hints=("国家级", "经开区"))
    assert out == "The 市场监管总局 will act in national-level 经开区 to improve the 营商环境"
    assert len(g.find(src, "en")) == 3
    # Without the headline's wording, the first form.
    assert g.write_in("development zones", "en", "zh") == "开发区"
    # Chinese sources get the English names.
    assert g.write_in("生态环境部支持减污降碳", "zh", "en") == "Ministry of Ecology and Environment支持pollution reduction and carbon reduction"


def test_missing_names_the_terms_a_rendering_dropped():
    g = load_glossary()
    src = "The Ministry of Ecology and Environment will improve the business environment"
    assert g.missing(src, "en", "环保部将提升业务环境", "zh") == ["生态环境部", "营商环境"]
    assert g.missing(src, "en", "生态环境部将优化营商环境", "zh") == []


def test_a_users_glossary_comes_first_and_bad_files_are_one_line_errors(tmp_path):
    own = tmp_path / "terms.tsv"
    own.write_text("# our terms\nbusiness environment|business climate\t经商环境\n", encoding="utf-8")
    g = load_glossary(str(own))
    assert g.write_in("a better business climate", "en", "zh") == "a better 经商环境"
    bad = tmp_path / "bad.tsv"
    bad.write_text("only one column\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.tsv, line 1"):
        load_glossary(str(bad))
    with pytest.raises(InputError, match="not found"):
        load_glossary(str(tmp_path / "nope.tsv"))
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes("caf\xe9\tcafé".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_glossary(str(latin1))
    assert Settings.load(environ={"RAG_GLOSSARY": str(own)}).glossary == str(own)


def test_every_bundled_line_parses_with_two_columns():
    g = load_glossary()
    assert len(g.terms) > 100 and all(t.en and t.zh for t in g.terms)
    assert parse("a\tb|c", "x") == [Term(("a",), ("b", "c"))]


def test_an_outlet_is_named_by_any_form_or_its_pinyin_spelling():
    from rag.chunking import outlet_names

    g = load_glossary()
    assert g.named("Zheng Quan Ri Bao").zh[0] == "证券日报" and g.named("zhengquan ribao").zh[0] == "证券日报"
    assert g.named("XINHUA").zh[0] == "新华社" and g.named("证券时报").en[0] == "Securities Times"
    assert g.named("Some Blog") is None and g.named("") is None and g.named("Ri Bao") is None
    assert outlet_names("Zheng Quan Ri Bao") == "Zheng Quan Ri Bao（证券日报 / Securities Daily）"
    assert outlet_names("Some Blog") == "Some Blog"
