"""The chat service behind the page: uploads are checked on the server too, never written outside the
app's data folder, and a bad upload leaves the index as it was."""

from pathlib import Path

import pytest

from rag import store
from rag.errors import RagError
from ui.app import ChatService, parse_auth


@pytest.fixture()
def service(fresh_settings, embedder):
    return ChatService(fresh_settings, progress=False, embedder=embedder)


def test_upload_names_cannot_escape_the_data_folder(service, tmp_path):
    src = tmp_path / "src.md"
    src.write_text("# Note\n\nThe Tianjin port opened a new berth in 2024.\n", encoding="utf-8")
    for name in ("../../evil.md", "/etc/evil.md", "..\\..\\evil.md"):
        assert "added" in service.add_file(str(src), name) or "unchanged" in service.add_file(str(src), name)
    written = [p for p in service.uploads.parent.rglob("evil.md")]
    assert written == [service.uploads / "evil.md"]
    assert not (tmp_path.parent / "evil.md").exists()


@pytest.mark.parametrize("name,content,needle", [
    ("a.exe", b"MZ", "unsupported file type"),
    (".hidden.md", b"x", "unusable file name"),
    ("broken.jsonl", b'{"id": "a", "title": "t", "text": "x", "lang": "en"}\n{oops\n', "broken.jsonl:2"),
    ("latin1.txt", "café".encode("latin-1"), "not UTF-8"),
    ("locked.pdf", (Path(__file__).parent / "samples" / "encrypted.pdf").read_bytes(), "encrypted"),
    ("sheet.xlsx", (Path(__file__).parent / "samples" / "chatchat-ocr-test.docx").read_bytes(), "is a Word file"),
    ("cut.pptx", (Path(__file__).parent / "samples" / "chatchat-ocr-test.pptx").read_bytes()[:4000], "corrupt or truncated"),
])
def test_bad_uploads_leave_the_index_unchanged(service, tmp_path, name, content, needle):
    before = store.current_generation(service.settings.index_dir)
    f = tmp_path / "upload.bin"
    f.write_bytes(content)
    with pytest.raises(RagError, match=needle):
        service.add_file(str(f), name)
    assert store.current_generation(service.settings.index_dir) == before
    assert [d[0] for d in service.documents()] == ["etdz-reform-2025-05-27"]


def test_upload_then_remove_changes_what_is_answered(service, tmp_path):
    f = tmp_path / "port.md"
    f.write_text("# 港口\n\n2024年青岛港冷藏集装箱吞吐量为770万标箱。\n", encoding="utf-8")
    service.add_file(str(f), "port.md")
    answers = list(service.stream("2024年青岛港冷藏集装箱吞吐量是多少？", [], "extractive", 5))
    assert answers[-1].citations[0].doc_id == "port" and "770万" in answers[-1].answer
    service.remove("port")
    answers = list(service.stream("2024年青岛港冷藏集装箱吞吐量是多少？", [], "extractive", 5))
    assert all(c.doc_id != "port" for c in answers[-1].citations)


def test_word_upload_is_cited_with_its_file_and_section(service):
    brief = Path(__file__).resolve().parent.parent / "eval" / "documents" / "en-policy-brief.docx"
    assert "1 added" in service.add_file(str(brief), brief.name)
    answer = list(service.stream("What is the maximum support a learner on the Career Changers Bursary can get?",
                                 [], "extractive", 5))[-1]
    assert "3,200" in answer.answer
    cited = next(c for c in answer.citations if "3,200" in c.text)
    assert cited.doc_id == "en-policy-brief.docx" and cited.file == str(service.uploads / "en-policy-brief.docx")
    assert cited.section and cited.page == 0  # Word has headings, not pages
    assert str(service.uploads.resolve()) in service.indexed_files()


def test_auth_setting():
    assert parse_auth("") is None and parse_auth("ann:s3cret") == ("ann", "s3cret")
    with pytest.raises(RagError):
        parse_auth("no-colon")


def test_background_rendering_waits_while_a_question_is_answered(service):
    """The background renderer's pause (``QuestionsFirst.wait``) holds while an answer streams and
    lets go once it has ended: a rendering must not share the 2 cores with a question."""
    import threading

    stream = service.stream("2024年经开区实际使用外资多少？", [], "extractive", 5)
    next(stream)  # the answer has begun
    waiter = threading.Thread(target=service.questions_first.wait, daemon=True)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()
    pieces = list(stream)
    assert pieces and "272" in str(pieces[-1].answer)
    waiter.join(5)
    assert not waiter.is_alive()


def test_a_first_start_renders_the_bundled_corpus_before_the_chat_opens(fresh_settings, embedder):
    """The first ``make run`` builds the bundled corpus's index and renders it before the page opens,
    so the first question neither waits for a rendering nor is answered before the renderings it
    needs exist (``python -m ui.render_wait --fresh``: first token 8.5–28.5 s before, 2.1–2.7 s after)."""
    from rag.rendering import statement_jobs

    service = ChatService(fresh_settings, progress=False, embedder=embedder, render_in_background=True)
    assert service.render_thread is None  # nothing left to render behind the page
    jobs = statement_jobs(service._retriever.index.chunks)
    assert len(jobs) >= 10
    assert all(service.renderings.settled(job.source, job.lang) is not None for job in jobs)
    passed = [service.renderings.verified(job.source, job.lang) for job in jobs]
    assert sum(map(bool, passed)) >= 0.8 * len(jobs)
