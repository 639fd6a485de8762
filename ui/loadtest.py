"""Load test for the chat server: simulated users ask gold-set questions at once through the HTTP
API and every answer is checked for the session it reaches.

Each user is one ``gradio_client.Client`` (its own session) in its own thread, asking its share of
the questions through ``/ask`` with ``submit()`` and polling the job's status for its queue rank.
A global deadline stops the run by itself. Recorded: errors, answers delivered to the wrong
session (the record's question is not the one that user sent) or implausible for the question
(empty, wrong language, citation markers that resolve to nothing), different answers to the same
question from a deterministic answerer, queue rank and size, latency per question, throughput,
p50/p95, and the server's resident memory (before and after a warm-up question, peak, end, and the
kernel's high-water mark since the server started).

    python -m ui.loadtest --users 20 --questions 200 --answerer extractive
    python -m ui.loadtest --users 4 --questions 16 --answerer llm --json load-llm.json
    python -m ui.loadtest --url http://127.0.0.1:7860 --pid 12345 --users 8 --questions 40

Without ``--url`` it starts ``python -m ui.app`` on a free 127.0.0.1 port over a fresh index of
the bundled corpus (or ``--index-dir``) and stops it at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from rag.documents import REF_MARKER
from rag.errors import RagError
from rag.evaluation import GOLD_PATH, load_gold

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Question:
    """One gold-set question as a user will send it."""

    id: str
    question: str
    lang: str


@dataclass
class Sample:
    """What one user saw for one question."""

    user: int
    question_id: str
    question: str
    latency_s: float = 0.0
    max_rank: int | None = None  # Gradio's 0-based place in the queue; None = never queued behind others
    max_queue_size: int | None = None
    answer: str = ""
    refused: bool = False
    language: str = ""
    error: str = ""
    problems: list[str] = field(default_factory=list)  # routing and plausibility failures


@dataclass
class Report:
    """The figures of one run."""

    url: str
    answerer: str
    users: int
    planned: int
    answered: int
    skipped: int
    errors: int
    wrong_session: int
    implausible: int
    inconsistent: int
    duration_s: float
    throughput_qps: float
    latency_p50_s: float
    latency_p95_s: float
    latency_max_s: float
    max_rank: int | None
    max_queue_size: int | None
    rss_mb: dict[str, float] = field(default_factory=dict)
    cpus: int = field(default_factory=lambda: os.cpu_count() or 0)
    samples: list[Sample] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.errors or self.wrong_session or self.implausible or self.inconsistent or self.skipped)


def load_questions(path: Path = GOLD_PATH) -> list[Question]:
    """The gold set's questions (both languages and mixed ones)."""
    return [Question(g.id, g.question, g.lang) for g in load_gold(path)]


def plan(questions: list[Question], total: int, users: int, seed: int) -> list[list[Question]]:
    """``total`` questions drawn from a seeded shuffle of the gold set (cycling through it, so
    repeats are spread over users), dealt round-robin to ``users``."""
    order = list(questions)
    random.Random(seed).shuffle(order)
    drawn = [order[i % len(order)] for i in range(total)]
    return [drawn[u::users] for u in range(users)]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen | None, timeout: float) -> None:
    """Wait until ``url`` answers 200; raise ``RuntimeError`` if ``proc`` exits or time runs out."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before answering")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def start_server(index_dir: Path, port: int, answerer: str, log: Path, env: dict[str, str] | None = None,
                 timeout: float = 300) -> subprocess.Popen:
    """Start ``python -m ui.app`` on 127.0.0.1:``port`` and wait until it serves the page."""
    full_env = {**os.environ, "RAG_ANSWERER": answerer, "RAG_FEEDBACK": str(log.parent / "feedback.jsonl"),
                **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "ui.app", "--port", str(port), "--index-dir", str(index_dir)],
                            cwd=ROOT, env=full_env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", proc, timeout)
    except RuntimeError as e:
        stop_server(proc)
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or [""]
        raise RuntimeError(f"{e}; its log ends: {tail[0][:300]}") from None
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    """Terminate the server, then kill it if it does not stop within 30 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def rss_mb(pid: int, field_name: str = "VmRSS") -> float | None:
    """A process's resident memory (``VmRSS``) or its high-water mark (``VmHWM``) in MB, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class RssSampler(threading.Thread):
    """Samples a process's resident memory every ``interval`` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = rss_mb(pid) or 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            value = rss_mb(self.pid)
            if value is not None:
                self.peak = max(self.peak, value)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak


def check_record(sent: str, record: Any) -> list[str]:
    """Why an answer record does not belong to question ``sent`` or is not a plausible answer to it."""
    from rag.answer import framing_language
    from rag.language import detect_language, language_neutral

    if not isinstance(record, dict):
        return [f"not an answer record: {type(record).__name__}"]
    problems = []
    if " ".join(str(record.get("question", "")).split()) != " ".join(sent.split()):
        problems.append(f"wrong session: asked {sent[:60]!r}, got the answer to {str(record.get('question'))[:60]!r}")
    answer = str(record.get("answer") or "")
    if not answer.strip():
        problems.append("empty answer")
        return problems
    expected, got = detect_language(sent).dominant, framing_language(answer)
    if got != expected and not language_neutral(answer):  # "2025-05-27 [1]" reads alike in both
        problems.append(f"answer in {got}, question in {expected}")
    numbers = {c.get("n") for c in record.get("citations") or []}
    if not record.get("refused") and not numbers:
        problems.append("an answer without citations")
    unresolved = {int(n) for n in REF_MARKER.findall(answer)} - numbers
    if unresolved:
        problems.append(f"markers {sorted(unresolved)} resolve to no citation")
    return problems


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:200] if text else ''}"


def ask_one(client: Any, user: int, q: Question, answerer: str, passages: int, timeout: float,
            poll: float = 0.01) -> Sample:
    """Submit one question, poll its queue status until it finishes, and check the answer record."""
    sample = Sample(user=user, question_id=q.id, question=q.question)
    t0 = time.perf_counter()
    try:
        job = client.submit(q.question, answerer, passages, api_name="/ask")
        while not job.done():
            status = job.status()
            if status.rank is not None and status.code.name in ("IN_QUEUE", "JOINING_QUEUE", "STARTING"):
                sample.max_rank = max(sample.max_rank if sample.max_rank is not None else -1, status.rank)
            if status.queue_size is not None:
                sample.max_queue_size = max(sample.max_queue_size or 0, status.queue_size)
            if time.perf_counter() - t0 > timeout:
                job.cancel()
                raise TimeoutError(f"no answer within {timeout:.0f} s")
            time.sleep(poll)
        record = job.result(timeout=30)
    except Exception as e:  # a client library raises many types; each is one recorded error
        sample.latency_s = time.perf_counter() - t0
        sample.error = _first_line(e)
        return sample
    sample.latency_s = time.perf_counter() - t0
    if isinstance(record, dict):
        sample.error = str(record.get("error") or "")
        sample.answer, sample.refused = str(record.get("answer") or ""), bool(record.get("refused"))
        sample.language = str(record.get("language") or "")
    if not sample.error:
        sample.problems = check_record(q.question, record)
    return sample


def run_user(url: str, user: int, questions: list[Question], answerer: str, passages: int, deadline: float,
             timeout: float, out: list[Sample], lock: threading.Lock) -> None:
    """One simulated user: its own client (session), its questions in turn, until the deadline."""
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
    except Exception as e:  # cannot connect: every question of this user counts as an error
        with lock:
            out.extend(Sample(user=user, question_id=q.id, question=q.question, error=_first_line(e)) for q in questions)
        return
    for q in questions:
        if time.monotonic() >= deadline:
            return
        sample = ask_one(client, user, q, answerer, passages, min(timeout, max(1.0, deadline - time.monotonic())))
        with lock:
            out.append(sample)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation), 0 for no values."""
    if not values:
        return 0.0
    v = sorted(values)
    pos = (len(v) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def inconsistent_repeats(samples: list[Sample]) -> int:
    """Questions that got different answers from different asks (with a deterministic answerer,
    an answer routed to the wrong session shows up here even if it echoed the right question)."""
    answers: dict[str, set[str]] = {}
    for s in samples:
        if not s.error:
            answers.setdefault(s.question, set()).add(s.answer)
    return sum(1 for a in answers.values() if len(a) > 1)


def run_load(url: str, questions: list[Question], users: int, total: int, answerer: str, passages: int = 5,
             duration: float = 900, timeout: float = 300, seed: int = 0, pid: int | None = None,
             deterministic: bool | None = None) -> Report:
    """Run the users against ``url`` and summarise. ``pid`` (the server's) enables memory figures.
    One warm-up question first loads the answerer's model, so memory growth is measured from a
    warm server. ``deterministic`` (default: extractive) counts differing answers to one question."""
    from gradio_client import Client

    rss: dict[str, float] = {}
    if pid:
        rss["before_warmup"] = rss_mb(pid) or 0.0
    warm = ask_one(Client(url, verbose=False), -1, questions[0], answerer, passages, timeout)
    if warm.error:
        raise RuntimeError(f"the warm-up question failed: {warm.error}")
    sampler = None
    if pid:
        rss["start"] = rss_mb(pid) or 0.0
        sampler = RssSampler(pid)
        sampler.start()
    shares = plan(questions, total, users, seed)
    samples: list[Sample] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    deadline = t0 + duration
    threads = [threading.Thread(target=run_user, args=(url, u, shares[u], answerer, passages, deadline, timeout,
                                                       samples, lock), daemon=True) for u in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + timeout + 60)
    elapsed = time.monotonic() - t0
    if sampler is not None and pid:
        rss["peak"] = sampler.stop()
        rss["end"] = rss_mb(pid) or 0.0
        rss["high_water"] = rss_mb(pid, "VmHWM") or 0.0
    with lock:
        done = list(samples)
    ok = [s for s in done if not s.error]
    lat = [s.latency_s for s in ok]
    ranks = [s.max_rank for s in done if s.max_rank is not None]
    sizes = [s.max_queue_size for s in done if s.max_queue_size is not None]
    deterministic = answerer == "extractive" if deterministic is None else deterministic
    return Report(
        url=url, answerer=answerer, users=users, planned=total, answered=len(ok), skipped=total - len(done),
        errors=len(done) - len(ok), wrong_session=sum(any(p.startswith("wrong session") for p in s.problems) for s in ok),
        implausible=sum(bool(s.problems) for s in ok), inconsistent=inconsistent_repeats(ok) if deterministic else 0,
        duration_s=elapsed, throughput_qps=len(ok) / elapsed if elapsed else 0.0,
        latency_p50_s=percentile(lat, 50), latency_p95_s=percentile(lat, 95), latency_max_s=max(lat, default=0.0),
        max_rank=max(ranks) if ranks else None, max_queue_size=max(sizes) if sizes else None, rss_mb=rss,
        samples=sorted(done, key=lambda s: (s.user, s.question_id)))


def format_report(r: Report) -> Iterator[str]:
    """The short table printed at the end of a run."""
    yield f"load test: {r.users} users, {r.planned} questions, answerer {r.answerer}, {r.url} ({r.cpus} CPUs)"
    rows = [("answered", f"{r.answered} / {r.planned} ({r.skipped} not asked before the deadline)"),
            ("errors", str(r.errors)),
            ("wrong session", str(r.wrong_session)),
            ("implausible answers", str(r.implausible)),
            ("inconsistent repeats", str(r.inconsistent)),
            ("throughput", f"{r.throughput_qps:.2f} questions/s over {r.duration_s:.1f} s"),
            ("latency p50 / p95 / max", f"{r.latency_p50_s:.2f} / {r.latency_p95_s:.2f} / {r.latency_max_s:.2f} s"),
            ("max queue rank (0 = next)", f"{r.max_rank if r.max_rank is not None else '-'} "
                                          f"(queue size up to {r.max_queue_size if r.max_queue_size is not None else '-'})")]
    if r.rss_mb:
        m = r.rss_mb
        rows.append(("server RSS MB", f"before warm-up {m.get('before_warmup', 0):.0f}, warm {m.get('start', 0):.0f}, "
                                      f"peak {m.get('peak', 0):.0f}, end {m.get('end', 0):.0f} "
                                      f"(high-water since its start {m.get('high_water', 0):.0f})"))
    for name, value in rows:
        yield f"  {name:26} {value}"
    for s in [s for s in r.samples if s.error or s.problems][:10]:
        yield f"  ! user {s.user} {s.question_id}: {s.error or '; '.join(s.problems)}"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, like the rag CLI, instead of usage + error
        print(f"error: {message} — see `{self.prog} --help`", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m ui.loadtest", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=8, help="simulated users, each its own session (default 8)")
    p.add_argument("--questions", type=int, default=40, help="questions in all, shared among users (default 40)")
    p.add_argument("--answerer", choices=("extractive", "llm", "http"), default="extractive")
    p.add_argument("--passages", type=int, default=5, help="passages retrieved per question (default 5)")
    p.add_argument("--url", help="target a running app instead of starting one")
    p.add_argument("--pid", type=int, help="with --url: the server's process id, for its memory figures")
    p.add_argument("--index-dir", type=Path, help="index for the started app (default: a fresh one, bundled corpus)")
    p.add_argument("--gold", type=Path, default=GOLD_PATH, help="questions (default eval/gold.jsonl)")
    p.add_argument("--duration", type=float, default=900, help="global deadline in seconds (default 900)")
    p.add_argument("--timeout", type=float, default=300, help="seconds one question may take (default 300)")
    p.add_argument("--seed", type=int, default=0, help="shuffle seed for the questions (default 0)")
    p.add_argument("--json", type=Path, help="also write the report with every sample as JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run a load test; 0 when every question was answered, routed and plausible, 1 otherwise, 2 on bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.users < 1 or args.questions < 1 or args.duration <= 0 or args.timeout <= 0:
        parser.error("--users, --questions, --duration and --timeout must be positive")
    try:
        questions = load_questions(args.gold)
    except RagError as e:  # load_gold names the file and line and what to do
        print(f"error: {e}", file=sys.stderr)
        return 2
    proc, home = None, None
    try:
        if args.url:
            url, pid = args.url, args.pid
            try:
                wait_until_up(url, None, 10)
            except RuntimeError as e:
                print(f"error: {e} — start the app or check --url", file=sys.stderr)
                return 2
        else:
            home = tempfile.TemporaryDirectory(prefix="rag-loadtest-")
            port = free_port()
            index_dir = args.index_dir or Path(home.name) / "index"
            print(f"starting the app on 127.0.0.1:{port} over {index_dir} …", file=sys.stderr)
            try:
                proc = start_server(index_dir, port, args.answerer, Path(home.name) / "app.log")
            except RuntimeError as e:
                print(f"error: {e} — run `rag doctor`", file=sys.stderr)
                return 2
            url, pid = f"http://127.0.0.1:{port}", proc.pid
        try:
            report = run_load(url, questions, args.users, args.questions, args.answerer, args.passages, args.duration,
                              args.timeout, args.seed, pid)
        except RuntimeError as e:
            print(f"error: {e} — see the app's log", file=sys.stderr)
            return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if proc is not None:
            stop_server(proc)
        if home is not None:
            home.cleanup()
    for line in format_report(report):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(dataclasses.asdict(report), ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
