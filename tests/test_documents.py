import json
from pathlib import Path

import pytest

from rag.chunking import chunk_document
from rag.documents import load_documents, load_file, parse_jsonl, parse_news_summary, parse_text
from rag.errors import DocumentError
from tests.conftest import CORPUS_FILE

RAW = CORPUS_FILE.read_text(encoding="utf-8")


def one_bullet_per_line(raw: str) -> str:
    """The same content, one bullet per line, headers on their own lines."""
    summary, headline, source = raw.strip().splitlines()
    import re
    text = re.sub(r"\s+(Group \d+:)", r"\n\1", summary)
    text = re.sub(r"(?<=\])\s+-\s+", "\n- ", text)
    text = re.sub(r"^(Core Viewpoint|Group \d+: [^-\n]+?)\s+-\s+", r"\1\n- ", text, flags=re.M)
    return f"{text}\n\n{headline}\n{source}\n"


def test_bundled_document_fields():
    doc = parse_news_summary(RAW, "etdz")
    assert doc.title == "三部门详解深化国家级经开区改革创新有关举措 支持发展新质生产力等多项配套措施将出台"
    assert doc.source == "Zheng Quan Ri Bao"
    assert doc.date == "2025-05-27 16:17"
    assert [g.number for g in doc.groups] == [0, 1, 2, 3, 4]
    assert [g.title for g in doc.groups[1:]] == [
        "Strengthening Investment Attraction", "Supporting New Quality Productivity Development",
        "Optimizing Business Environment", "Promoting Green and Low-Carbon Development"]
    assert [len(g.statements) for g in doc.groups] == [1, 3, 3, 3, 3]
    g1 = doc.groups[1].statements
    assert g1[0].refs == (2,) and "$27.2 billion" in g1[0].text and "[2]" not in g1[0].text
    assert g1[1].refs == (2, 3)
    # A hyphen inside a bullet is not a bullet boundary.
    assert '"Invest in China - Choose Development Zone" brand' in g1[1].text
    assert doc.groups[2].statements[2].refs == (5, 6)


def test_one_bullet_per_line_layout_parses_the_same():
    alt = one_bullet_per_line(RAW)
    assert alt.count("\n- ") >= 10
    a, b = parse_news_summary(RAW, "x"), parse_news_summary(alt, "x")
    assert a.groups == b.groups
    assert (a.title, a.source, a.date) == (b.title, b.source, b.date)


def test_chunks_by_group_with_stable_ids():
    doc = parse_news_summary(RAW, "etdz")
    chunks = chunk_document(doc)
    assert [c.chunk_id for c in chunks] == ["etdz#core", "etdz#g1", "etdz#g2", "etdz#g3", "etdz#g4", "etdz#headline"]
    assert chunk_document(parse_news_summary(RAW, "etdz")) == chunks
    g1 = chunks[1]
    assert (g1.group, g1.group_title, g1.lang, g1.source, g1.date) == (
        1, "Strengthening Investment Attraction", "en", "Zheng Quan Ri Bao", "2025-05-27 16:17")
    assert g1.statements[1].refs == (2, 3)
    head = chunks[-1]
    assert head.group == -1 and head.lang == "zh" and "Zheng Quan Ri Bao" in head.text and "2025-05-27" in head.text


def test_plain_text_and_markdown_paragraphs(tmp_path: Path):
    (tmp_path / "notes.md").write_text("# 绿色发展\n\n经开区将推进减污降碳。第二句。\n\n## More\n\nCarbon footprint rules [3].\n",
                                       encoding="utf-8")
    (tmp_path / "plain.txt").write_text("First paragraph. Second sentence.\n\nSecond paragraph.\n", encoding="utf-8")
    docs = {d.doc_id: d for d in load_documents([tmp_path])}
    md = docs["notes"]
    assert md.kind == "markdown" and md.title == "绿色发展" and md.lang == "zh"
    chunks = chunk_document(md)
    assert [c.chunk_id for c in chunks] == ["notes#p1", "notes#p2"]
    assert chunks[1].statements[0].refs == (3,)
    plain = chunk_document(docs["plain"])
    assert len(plain) == 2 and [s.text for s in plain[0].statements] == ["First paragraph.", "Second sentence."]


def test_jsonl_documents(tmp_path: Path):
    f = tmp_path / "docs.jsonl"
    lines = [{"id": "a1", "title": "标题", "text": "中文段落。", "lang": "zh", "source": "新华社", "date": "2025-01-01"},
             {"id": "b2", "title": "News", "text": RAW, "lang": "en"}]
    f.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    a, b = load_file(f)
    assert (a.doc_id, a.source, a.date, a.lang, a.kind) == ("a1", "新华社", "2025-01-01", "zh", "jsonl")
    assert b.title == "News" and len(b.groups) == 5  # a news summary inside JSONL keeps its groups


@pytest.mark.parametrize("name,content,needle", [
    ("bad.jsonl", b'{"id": "a", "title": "t", "text": "x", "lang": "en"}\n{broken\n', "bad.jsonl:2: not valid JSON"),
    ("miss.jsonl", b'{"id": "a", "title": "t", "lang": "en"}\n', "miss.jsonl:1: missing or empty field(s) text"),
    ("gbk.txt", "经开区".encode("gb18030"), "not UTF-8"),
    ("empty.txt", b"  \n", "empty"),
    ("blob.txt", b"abc\x00def", "binary"),
    ("doc.rtf", b"{\\rtf1 hello}", "unsupported file type '.rtf'"),
    ("doc.pdf", b"%PDF-1.4", "not a readable PDF"),
])
def test_bad_files_give_one_line_naming_the_file(tmp_path: Path, name: str, content: bytes, needle: str):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(DocumentError) as e:
        load_file(f)
    msg = str(e.value)
    assert needle in msg and name in msg and "\n" not in msg


def test_oversized_file_is_refused(tmp_path: Path):
    f = tmp_path / "big.txt"
    f.write_text("x" * 2000)
    with pytest.raises(DocumentError, match="over the 1,000-byte limit"):
        load_file(f, max_bytes=1000)


def test_malformed_news_summary():
    with pytest.raises(DocumentError, match="repeat"):
        parse_text("Core Viewpoint - a [1] Group 1: T - b [2] Group 1: U - c [3]", "x")
    with pytest.raises(DocumentError):
        parse_jsonl('{"id": "x", "title": "t", "text": "y", "lang": "fr"}')


@pytest.mark.parametrize("text,expected", [
    ("Exports grew 5%.[2] Imports rose. Exports fell [3].", ["Exports grew 5%.[2]", "Imports rose.", "Exports fell [3]."]),
    ("增长。[2]进口增加。“好。”然后", ["增长。[2]", "进口增加。", "“好。”", "然后"]),
    ("It was $27.2 billion in 2024. Next one [1][2]", ["It was $27.2 billion in 2024.", "Next one [1][2]"]),
    ("e.g. this is fine. Next.", ["e.g. this is fine.", "Next."]),
])
def test_sentences_keep_their_refs_and_decimals(text, expected):
    from rag.documents import split_sentences

    assert split_sentences(text) == expected


def test_markdown_without_heading_keeps_every_line(tmp_path: Path):
    f = tmp_path / "memo.md"
    f.write_text("First line of a memo.\nSecond line of it.\n", encoding="utf-8")
    (chunk,) = chunk_document(load_file(f)[0])
    assert [s.text for s in chunk.statements] == ["First line of a memo.", "Second line of it."]


def test_crlf_news_summary_with_leading_blank_line():
    from rag.documents import is_news_summary

    assert is_news_summary("\r\n" + RAW.replace("\n", "\r\n"))
