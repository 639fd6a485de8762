"""The real chat server under concurrent sessions (ui/loadtest.py with reduced counts), and a
document upload through the HTTP API while other sessions keep chatting. Timings are printed,
never asserted; the full-size runs and their figures are in the README (Reliability)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ui import loadtest

#: Memory growth allowed from the warm server (models loaded) to the peak of a run. Normal growth
#: is per-request buffers, the evidence cache and malloc arenas of the worker threads (about
#: 100-300 MB measured here); a model loaded per session or per request (0.6 GB embedder, 1.1 GB
#: local model) or a per-request leak over the run goes beyond it.
MAX_RSS_GROWTH_MB = 1500

CORPUS_QUESTIONS = [("2024年经开区实际使用外资多少？", "272亿美元"),
                    ("全国共有多少个国家级经开区？", "232"),
                    ("Which ministry supports standards for pollution and carbon reduction?",
                     "Ministry of Ecology and Environment")]
FACT_QUESTION = "How many tonnes of frozen squid did the Zhoushan bonded warehouse store in 2024?"
FACT = "The Zhoushan bonded warehouse stored 8,765 tonnes of frozen squid in 2024."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a free 127.0.0.1 port over its own index (bundled corpus), extractive by default."""
    home = tmp_path_factory.mktemp("load")
    proc = loadtest.start_server(home / "index", loadtest.free_port(), "extractive", home / "app.log")
    url = f"http://127.0.0.1:{proc.args[proc.args.index('--port') + 1]}"
    yield {"url": url, "proc": proc, "index": home / "index", "log": home / "app.log"}
    loadtest.stop_server(proc)


def _run(server, users: int, total: int, answerer: str) -> loadtest.Report:
    report = loadtest.run_load(server["url"], loadtest.load_questions(), users, total, answerer, seed=7,
                               pid=server["proc"].pid, duration=900, timeout=300)
    table = "\n".join(loadtest.format_report(report))
    print("\n" + table)
    assert report.answered == total and report.errors == 0, table
    assert report.wrong_session == 0 and report.implausible == 0 and report.inconsistent == 0, table
    for s in report.samples:  # check_record covers these too; said again for the failure message
        assert s.answer.strip() and not s.problems, (s.question, s.answer, s.problems)
    assert report.rss_mb["peak"] - report.rss_mb["start"] < MAX_RSS_GROWTH_MB, table
    return report


def test_concurrent_sessions_extractive(server):
    # 8 users against a queue that runs 4 at a time: some requests must wait behind others.
    report = _run(server, users=8, total=40, answerer="extractive")
    assert report.max_rank is not None and report.max_rank > 0


def test_concurrent_sessions_local_model(server):
    pytest.importorskip("llama_cpp")
    _run(server, users=2, total=4, answerer="llm")


def _ask(client, question: str) -> dict:
    return client.predict(question, "extractive", 5, api_name="/ask")


def test_upload_while_chatting(server, tmp_path):
    from gradio_client import Client, handle_file

    index_dir: Path = server["index"]
    doc = tmp_path / "warehouse-survey.md"
    # 150 paragraphs: indexing takes 10-20 s here while three sessions chat, long enough to chat through.
    paras = [f"Section {i}: warehouse {i} in district {i % 17} handled {i * 13} pallets of general cargo, "
             f"and its {i % 5 + 2} loading bays ran {i % 3 + 1} shifts." for i in range(150)]
    paras.insert(75, FACT)
    doc.write_text("# Warehouse survey\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
    old_gen = (index_dir / "CURRENT").read_text().strip()

    uploader = Client(server["url"], verbose=False)
    for q, expected in CORPUS_QUESTIONS:  # the answers the chatting sessions must keep getting
        assert expected in _ask(uploader, q)["answer"]
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"%PDF-1.4")  # truncated: the header and nothing else
    refused = uploader.predict(handle_file(str(bad)), api_name="/add_document")
    assert refused.startswith("error:") and "not a readable PDF" in refused and "\n" not in refused

    result: dict = {}

    def upload() -> None:
        try:
            result["summary"] = uploader.predict(handle_file(str(doc)), api_name="/add_document")
        except Exception as e:  # reported by the assertion below; the chatting threads must still stop
            result["summary"] = f"{type(e).__name__}: {e}"
        finally:
            result["done"] = time.monotonic()

    during: list[tuple[str, dict, bool]] = []  # (question, record, CURRENT still old once the answer was in)
    failures: list[str] = []

    def chat(n: int) -> None:
        client = Client(server["url"], verbose=False)
        i = n
        while "done" not in result:
            q = FACT_QUESTION if i % 3 == 2 else CORPUS_QUESTIONS[i % 3][0]
            i += 1
            try:
                record = _ask(client, q)
            except Exception as e:  # any client error is a failure of the server under upload
                failures.append(f"{q}: {type(e).__name__}: {e}")
                continue
            # Read after the answer arrived: if CURRENT is still old now, the answer was computed
            # before the new generation went live, so it must come from the old documents.
            during.append((q, record, (index_dir / "CURRENT").read_text().strip() == old_gen))

    chatters = [threading.Thread(target=chat, args=(n,)) for n in range(3)]
    up = threading.Thread(target=upload)
    started = time.monotonic()
    up.start()
    for t in chatters:
        t.start()
    up.join(timeout=600)
    for t in chatters:
        t.join(timeout=300)
    assert not up.is_alive() and "1 added" in result["summary"], result
    assert not failures, failures
    for q, record, before_swap in during:
        assert not record.get("error") and record["question"] == q, record
        expected = dict(CORPUS_QUESTIONS).get(q)
        if expected:
            assert expected in record["answer"], record
        elif before_swap:
            assert all(c["doc_id"] != "warehouse-survey" for c in record["citations"]), record
    answered_before = [r for q, r, before in during if before]
    print(f"\nupload took {result['done'] - started:.1f} s; {len(during)} answers meanwhile, "
          f"{len(answered_before)} before the new generation was live")
    assert any(q == FACT_QUESTION for q, _, before in during if before)  # the window was really exercised
    after = _ask(Client(server["url"], verbose=False), FACT_QUESTION)
    assert "8,765" in after["answer"] and after["citations"][0]["doc_id"] == "warehouse-survey", after
