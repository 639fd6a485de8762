"""Readers for PDF, Word, web pages, slides and spreadsheets: the real libraries on real files
(tests/samples, see its README) and on files made here; clean-up rules; bad input."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from rag.chunking import chunk_document, estimate_tokens
from rag.documents import load_documents, load_file
from rag.errors import DocumentError
from rag.readers.clean import clean_line, fix_radicals, heading_level, join_lines, running_lines, strip_running

SAMPLES = Path(__file__).parent / "samples"


# ---- clean-up -----------------------------------------------------------------------------------

def test_look_alike_radicals_become_ordinary_characters_and_punctuation_stays_full_width():
    assert fix_radicals("⼈⼯智能⼤模型，⻓期⻚⾯⺠⽣⻢⻄") == "人工智能大模型，长期页面民生马西"
    assert clean_line("2023 年 营收 16616 万元，同比增长 12.5%。") == "2023年营收16616万元，同比增长12.5%。"
    assert clean_line("AI 模型 and GPT-4  models") == "AI 模型 and GPT-4 models"


def test_broken_lines_join_without_spaces_in_chinese_and_with_spaces_in_english():
    assert join_lines(["国家级经开区实际使用外资", "272亿美元，进出口总额", "10.7万亿元。"]) == \
        "国家级经开区实际使用外资272亿美元，进出口总额10.7万亿元。"
    assert join_lines(["The zones used foreign", "investment of $27.2 bil-", "lion in 2024."]) == \
        "The zones used foreign investment of $27.2 billion in 2024."


def test_running_headers_footers_and_page_numbers_are_dropped():
    bodies = ["经开区实际使用外资272亿美元。", "进出口总额10.7万亿元。", "外贸企业9.9万家。", "高新技术企业5.1万家。",
              "工业增加值增长6.8%。"]
    pages = [["某研究院 2024 年度报告", body, f"- {i} -"] for i, body in enumerate(bodies, start=1)]
    running = running_lines(pages)
    assert [strip_running(p, running) for p in pages] == [[b] for b in bodies]
    assert running_lines(pages[:1]) == set()  # one page cannot show what repeats
    assert len(running_lines(pages[:2])) == 2  # both of two pages: header and page number


@pytest.mark.parametrize("line, level", [
    ("第二章 主要任务", 1), ("第三节 资金保障", 2), ("一、总体要求", 2), ("（二）重点项目", 3),
    ("第十二条 本办法自发布之日起施行", 4), ("2.1 Scope of the programme", 3), ("3. Budget", 2),
    ("1. The zones used $27.2 billion of foreign investment.", 0), ("一、二、三级指标均已完成，共计16616项。", 0),
    ("国家级经开区实际使用外资272亿美元", 0), ("附录一 2024年大事记", 1), ("附件2", 1), ("Appendix B Glossary", 1),
    ("附录中列出了全部项目。", 0),
])
def test_heading_levels(line: str, level: int):
    assert heading_level(line) == level


def test_token_estimate_is_close_to_the_embedders_tokenizer(embedder):
    texts = ["国家级经开区实际使用外资272亿美元，进出口总额10.7万亿元，占全国的23.4%和24.5%。" * 3,
             "The 232 national-level development zones used $27.2 billion of foreign investment in 2024." * 3]
    for text, real in zip(texts, embedder.token_lengths(texts)):
        assert abs(estimate_tokens(text) - real) / real < 0.25, (text[:20], estimate_tokens(text), real)


# ---- the sample files ---------------------------------------------------------------------------

def test_scanned_pdf_warns_and_keeps_only_its_text_layer():
    doc = load_file(SAMPLES / "chatchat-ocr-test.pdf")[0]
    assert doc.doc_id == "chatchat-ocr-test.pdf" and doc.kind == "pdf" and doc.pages == 1
    assert [b.text for b in doc.blocks] == ["我是文字"]
    assert len(doc.warnings) == 1 and "page(s) 1" in doc.warnings[0] and "OCR" in doc.warnings[0]
    (chunk,) = chunk_document(doc)
    assert chunk.pages == (1,) and chunk.statements[0].page == 1 and chunk.file.endswith("chatchat-ocr-test.pdf")


def test_scanned_pdf_page_is_read_by_ocr_when_asked():
    pytest.importorskip("rapidocr")
    doc = load_file(SAMPLES / "chatchat-ocr-test.pdf", ocr=True)[0]
    text = " ".join(b.text for b in doc.blocks)
    # The image's horizontal and vertical text boxes and its English line, beside the text layer.
    for words in ("我是文字", "横向文本框", "竖向文本框", "English text"):
        assert words in text, text
    assert len(doc.warnings) == 1 and "read by OCR" in doc.warnings[0] and "page(s) 1" in doc.warnings[0]
    (chunk,) = chunk_document(doc)
    assert chunk.pages == (1,) and all(s.page == 1 for s in chunk.statements)


def test_ocr_setting_takes_only_off_or_on(tmp_path):
    from tests.conftest import run_cli

    r = run_cli("--index-dir", str(tmp_path / "index"), "index", str(SAMPLES / "chatchat-ocr-test.pdf"),
                env={"RAG_OCR": "yes"})
    assert r.returncode != 0 and "RAG_OCR" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_word_paragraphs_and_tables_come_in_body_order():
    doc = load_file(SAMPLES / "chatchat-ocr-test.docx")[0]
    assert [b.kind for b in doc.blocks] == ["text", "table"]
    assert doc.blocks[0].text == "我是文字"
    assert "| 我是表格1 | 我是表格2 |" in doc.blocks[1].text and "| 我是表格3 | 我是表格4 |" in doc.blocks[1].text
    assert "image" in doc.warnings[0]


def test_slide_tables_and_text_boxes_are_read_with_the_slide():
    doc = load_file(SAMPLES / "chatchat-ocr-test.pptx")[0]
    text = "\n".join(b.text for b in doc.blocks)
    for cell in ("我是文字", "我是表格1", "我是表格5", "我是表格3", "我是表格4"):
        assert cell in text
    assert {b.place for b in doc.blocks} == {"Slide 1"} and doc.pages == 1
    (chunk,) = chunk_document(doc)
    assert chunk.place == "Slide 1"


def test_spreadsheet_rows_become_tables_under_the_sheet_name_with_the_header_repeated():
    doc = load_file(SAMPLES / "chatchat-issues-open.xlsx")[0]
    assert doc.blocks[0].kind == "heading" and doc.blocks[0].text == "Sheet1"
    table = doc.blocks[1]
    assert table.kind == "table" and table.header.startswith("|  | title | file | url | detail | id |")
    assert table.text.count("\n") >= 323  # header, rule and 323 data rows; line breaks inside cells flattened
    chunks = chunk_document(doc)
    assert len(chunks) > 5 and all(c.place == "Sheet: Sheet1" for c in chunks)
    assert all(c.text.split("\n")[1].startswith("|  | title |") for c in chunks)  # every piece keeps the header
    assert all(estimate_tokens(c.text) < 1500 for c in chunks)
    first = chunks[0].statements[0].text
    assert first.startswith("0 · title: 效果如何优化") and "url: https://github.com/" in first


def test_web_page_main_text_without_navigation_and_title_from_metadata():
    doc = load_file(SAMPLES / "haystack-what-is-haystack.html")[0]
    text = "\n".join(b.text for b in doc.blocks)
    assert doc.title == "What is Haystack?"
    assert "Haystack is the open source Python framework by deepset" in text
    assert "Building with Haystack" in [b.text for b in doc.blocks if b.kind == "heading"]
    assert len(text) < 8000  # the main text is about 5.7 KB of the 58 KB page
    chunks = chunk_document(doc)
    assert any(c.section == "What is Haystack? › Building with Haystack" for c in chunks)


def test_web_page_without_an_article_falls_back_to_its_text(tmp_path: Path):
    f = tmp_path / "tiny.html"
    f.write_text("<html><head><title>小页面</title></head><body><nav>首页 | 关于</nav>"
                 "<p>营收16616万元</p></body></html>", encoding="utf-8")
    doc = load_file(f)[0]
    assert "营收16616万元" in " ".join(b.text for b in doc.blocks)
    assert "首页" not in " ".join(b.text for b in doc.blocks)


# ---- bad input ----------------------------------------------------------------------------------

def _docx_bytes() -> bytes:
    return (SAMPLES / "chatchat-ocr-test.docx").read_bytes()


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (80 * 1024 * 1024))  # 80 MB of zeros: about 80 KB packed
    return buf.getvalue()


@pytest.mark.parametrize("name, content, needle", [
    ("locked.pdf", (SAMPLES / "encrypted.pdf").read_bytes(), "encrypted"),
    ("cut.pdf", (SAMPLES / "chatchat-ocr-test.pdf").read_bytes()[:5000], "not a readable PDF"),
    ("cut.docx", _docx_bytes()[:3000], "corrupt or truncated"),
    ("bomb.docx", None, "zip bomb"),
    ("report.pdf", _docx_bytes(), "the file is a zip archive"),
    ("report.docx", (SAMPLES / "chatchat-ocr-test.pdf").read_bytes(), "the file is a PDF"),
    ("sheet.xlsx", _docx_bytes(), "the file is a Word file (.docx)"),
    ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "encrypted (password-protected) or old binary"),
    ("page.html", b"\x89PNG\r\n\x1a\n\0\0\0", "the file is binary data"),
    ("empty.pptx", b"", "the file is empty"),
])
def test_bad_files_get_one_line_naming_the_file_and_the_problem(tmp_path: Path, name: str, content: bytes | None,
                                                                needle: str):
    f = tmp_path / name
    f.write_bytes(_bomb() if content is None else content)
    with pytest.raises(DocumentError) as e:
        load_file(f, max_bytes=1024 * 1024)
    msg = str(e.value)
    assert needle in msg and name in msg and "\n" not in msg, msg


def test_page_limit(tmp_path: Path):
    with pytest.raises(DocumentError, match="1 pages is over the 0-page limit"):
        load_file(SAMPLES / "chatchat-ocr-test.pdf", max_pages=0)


def test_a_pdf_with_no_text_at_all_is_refused_not_indexed_empty(tmp_path: Path):
    import pypdfium2 as pdfium

    blank = pdfium.PdfDocument.new()
    blank.new_page(595, 842)
    f = tmp_path / "blank.pdf"
    blank.save(f)
    with pytest.raises(DocumentError, match="blank.pdf: no readable text"):
        load_file(f)


def test_a_folder_with_one_bad_file_loads_nothing(tmp_path: Path):
    shutil.copy(SAMPLES / "chatchat-ocr-test.docx", tmp_path / "good.docx")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7\n")
    with pytest.raises(DocumentError, match="bad.pdf"):
        load_documents([tmp_path])


# ---- end to end: the real CLI, the real model, a real index ---------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "eval" / "documents"


@pytest.mark.slow
def test_cli_indexes_a_pdf_lists_its_pages_and_cites_the_page(tmp_path: Path):
    import json

    from tests.conftest import run_cli

    index = tmp_path / "index"
    r = run_cli("--index-dir", str(index), "-q", "index", str(DOCS / "zh-annual-report.pdf"), "--no-render")
    assert r.returncode == 0, r.stderr[-2000:]
    listing = run_cli("--index-dir", str(index), "docs").stdout
    row = next(line for line in listing.splitlines() if line.startswith("zh-annual-report.pdf"))
    assert row.split()[1:3] == ["pdf", "zh"] and row.split()[3] == "13", row  # kind, language, pages
    r = run_cli("--index-dir", str(index), "ask", "--json", "--answerer", "extractive",
                "青漪市公共数据开放平台到 2024 年底一共开放了多少个数据集？")
    answer = json.loads(r.stdout)
    assert "16616" in answer["answer"], answer["answer"]  # the figure as printed, not 1.6616万
    cited = [c for c in answer["citations"] if "16616" in c["text"]]
    assert cited and cited[0]["page"] == 8 and cited[0]["file"].endswith("zh-annual-report.pdf")
    assert cited[0]["section"].startswith("第五章")
    # A bad file beside a good one: one line naming it, and the index stays as it was.
    before = (index / "CURRENT").read_text()
    bad = tmp_path / "scan.pdf"
    bad.write_bytes((SAMPLES / "chatchat-ocr-test.docx").read_bytes())
    r = run_cli("--index-dir", str(index), "index", str(DOCS / "en-policy-brief.docx"), str(bad), "--no-render")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "scan.pdf: the extension says .pdf but the file is a zip archive" in r.stderr
    assert (index / "CURRENT").read_text() == before


def test_table_rows_name_their_columns_and_carry_the_labels_units():
    from rag.chunking import _row_statement
    from rag.readers.pdf import _fit_columns

    assert _row_statement("| 项目名称 | 总预算（万元） |\n|---|---|", "| 算力调度 | 5,620 |") == \
        "项目名称: 算力调度 · 总预算（万元）: 5,620万元"
    assert _row_statement("| 指标 | 基准情景 | TIDE-2 |\n|---|---|---|", "| 年调峰成本/万元 | 10,230 | 7,490 |") == \
        "指标: 年调峰成本/万元 · 基准情景: 10,230万元 · TIDE-2: 7,490万元"
    assert _row_statement("| District | Population (2024) | Area (km²) | Budget ($ thousand) |",
                          "| Donggang | 412300 | 58.4 | 1,250 |") == \
        "District: Donggang · Population (2024): 412300 · Area (km²): 58.4 km² · Budget ($ thousand): $1,250 thousand"
    # A caption's unit ("表7-1 …（单位：万元）") reaches the bare numbers of every row.
    from rag.chunking import chunk_document
    from rag.records import Block, Document

    assert _row_statement("| 项目 | 2024年 | 同比增减 |\n|---|---|---|", "| 财政拨款收入 | 16,450 | 4.1% |", "万元") == \
        "项目: 财政拨款收入 · 2024年: 16,450万元 · 同比增减: 4.1%"
    table = "| 项目 | 2024年 |\n|---|---|\n| 财政拨款收入 | 16,450 |"
    doc = Document(doc_id="r.pdf", title="年度报告", lang="zh", kind="pdf", path="r.pdf",
                   blocks=(Block("表7-1 2024年度收支情况（单位：万元）"), Block(table, "table", header=table.split("\n")[0])))
    rows = [s.text for c in chunk_document(doc) for s in c.statements]
    assert "项目: 财政拨款收入 · 2024年: 16,450万元" in rows, rows
    assert _fit_columns([["编号", "负责人", "预算"], ["QY-01", "顾", "盼", "1,275"], ["QY-02", "沈知远", "4,860"]]) == \
        [["编号", "负责人", "预算"], ["QY-01", "顾盼", "1,275"], ["QY-02", "沈知远", "4,860"]]
