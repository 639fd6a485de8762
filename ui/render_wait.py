"""How long chat questions wait while the chat renders a document in the background.

Copies the index to a scratch folder without its renderings, starts the chat service with
background rendering (as ``make run`` does on a new document), asks Chinese questions about the
bundled corpus while it renders, then again once it has finished, and prints each question's first
token and total time. With ``--first``, the renderings are kept and the questions are asked the
moment the service is up, as a reader does who opens a fresh chat. With ``--fresh``, the chat
starts on an empty index folder, as the first ``make run`` of a new clone does: it builds and
renders the bundled corpus before it is up. A benchmark that prints figures; nothing here asserts
a time.

    python -m ui.render_wait [--answerer llm] [--first | --fresh]
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from rag.answer import Answer
from rag.config import Settings
from rag.rendering import FILE as RENDERINGS_FILE

from .app import ChatService

QUESTIONS = ["国务院强调要完善哪些方面的支持政策？", "2024年经开区实际使用外资多少？",
             "碳足迹管理体系要与什么标准接轨？", "经开区有多少家外贸企业？"]


def ask(service: ChatService, question: str, answerer: str) -> tuple[float, float, str]:
    """(first token s, total s, answer) of one question through the chat service."""
    t0, first, answer = time.perf_counter(), 0.0, ""
    for piece in service.stream(question, [], answerer, 5):
        if isinstance(piece, Answer):
            answer = piece.answer
        elif not first:
            first = time.perf_counter() - t0
    return first, time.perf_counter() - t0, answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answerer", default="llm")
    parser.add_argument("--first", action="store_true",
                        help="keep the renderings and ask the moment the chat service is up")
    parser.add_argument("--fresh", action="store_true",
                        help="start on an empty index folder, as a new clone's first `make run` does")
    args = parser.parse_args(argv)
    settings = Settings.load()
    at_once = args.first or args.fresh
    with tempfile.TemporaryDirectory(prefix="render-wait-") as tmp:
        index = Path(tmp) / "index"
        if not args.fresh:
            shutil.copytree(settings.index_dir, index)
        if not at_once:
            (index / RENDERINGS_FILE).unlink(missing_ok=True)
        t0 = time.perf_counter()
        service = ChatService(dataclasses.replace(settings, index_dir=index), progress=False, render_in_background=True)
        print(f"chat service up in {time.perf_counter() - t0:.1f} s", flush=True)
        if not at_once:
            time.sleep(3)  # the background thread is under way
        for phase in (("fresh chat",) if at_once else ("while rendering", "after rendering")):
            if phase == "after rendering" and service.render_thread is not None:
                service.render_thread.join()
            firsts = []
            for q in QUESTIONS:
                first, total, answer = ask(service, q, args.answerer)
                firsts.append(first)
                print(f"{phase}: first token {first:5.1f} s, total {total:5.1f} s | {q} → {answer[:40]}", flush=True)
            print(f"{phase}: first token p50 {statistics.median(firsts):.1f} s, max {max(firsts):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
