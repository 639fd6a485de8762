"""SIGKILL a real `rag index` process at several moments of a build (start-up, embedding, the
write phase) and check that the index it leaves is always complete: the old document set or the
whole new one, never a mixture, still searchable, and repaired by the next normal run.

The write phase is observed from outside through the names the store uses in the index folder
(``.gen-*.tmp`` being filled, ``gen-*`` renamed into place, ``.CURRENT.tmp`` swapped onto
``CURRENT``); nothing depends on the file names inside a generation. The sub-millisecond moment
between the generation rename and the ``CURRENT`` swap is hit by a busy poll most of the time, and
exactly by a case in which strace kills the process on entry to that rename (another kills it at the
first deletion in the old generation, after the swap).

Each kill's landing phase is read back from the folder afterwards (the dead process cannot change
it) and listed at the end of the module's run; ``FAULT_SEED`` varies the random delays. The strace
cases also check strace's own record: that it attached to the build and that the SIGKILL landed on
entry to the intended system call on the intended path (a build that finishes first is retried, and
fails the test after a few tries)."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from rag import store
from rag.chunking import chunk_document
from rag.documents import load_documents
from rag.factory import open_retriever
from rag.indexer import default_documents, index_documents
from tests.conftest import ROOT

SEED = int(os.environ.get("FAULT_SEED", "20250527"))
HITS: list[tuple[str, str]] = []  # (intended moment, where the kill landed), printed at module end

# 5 bilingual documents x 8 paragraphs = 40 new chunks: enough that embedding lasts seconds and
# BM25 has real Chinese to segment in the write phase (that phase also loads jieba's dictionary,
# about half a second here), few enough that the builds below stay within about two minutes.
N_DOCS, N_PARAS = 5, 8
DISTINCT = "The Linyi bonded depot stored 4,321 cold-chain pallets in March 2024."


def _write_new_docs(folder: Path) -> None:
    folder.mkdir(parents=True)
    for i in range(N_DOCS):
        paras = [f"# Logistics note {i}"]
        for j in range(N_PARAS):
            if j % 2:
                paras.append(f"第{i}号物流园区第{j}段：该园区{2020 + j}年处理了{i * 100 + j}万件快递，"
                             f"并新建了{j + 2}座冷库，推动跨境电商与多式联运发展。")
            else:
                paras.append(f"Paragraph {j} of logistics note {i}: warehouse {i}-{j} shipped {i * 37 + j} "
                             f"containers by rail and sea, and added {j + 3} loading docks.")
        if i == 0:
            paras[1] = DISTINCT
        (folder / f"logistics-{i}.md").write_text("\n\n".join(paras) + "\n", encoding="utf-8")


def _chunk_ids(docs) -> set[str]:
    return {c.chunk_id for d in docs for c in chunk_document(d)}


@pytest.fixture(scope="module")
def base(settings, embedder, tmp_path_factory):
    """An index of the bundled corpus (copied for each case) and the new documents to add."""
    home = tmp_path_factory.mktemp("faults")
    s = dataclasses.replace(settings, index_dir=home / "index0")
    old_docs = default_documents(s)
    index_documents(old_docs, s, embedder=embedder, progress=False)
    new_dir = home / "new"
    _write_new_docs(new_dir)
    new_docs = load_documents([new_dir])
    return {"index": s.index_dir, "new_dir": new_dir, "old_ids": _chunk_ids(old_docs),
            "new_ids": _chunk_ids(old_docs) | _chunk_ids(new_docs),
            "old_docs": {d.doc_id for d in old_docs}, "new_docs": {d.doc_id for d in old_docs + new_docs}}


@pytest.fixture(scope="module", autouse=True)
def report_phases(request):
    yield
    tr = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if tr and capture and HITS:
        with capture.global_and_fixture_disabled():
            tr.write_line("")
            tr.write_line(f"SIGKILL landing phases (FAULT_SEED={SEED}):")
            for intended, landed in HITS:
                tr.write_line(f"  {intended:28} -> {landed}")


def _names(index_dir: Path) -> list[str]:
    try:
        return [e.name for e in os.scandir(index_dir)]
    except FileNotFoundError:
        return []


def _tmp_gens(index_dir: Path) -> list[str]:
    return [n for n in _names(index_dir) if n.startswith(".gen-") and n.endswith(".tmp")]


def _gens(index_dir: Path) -> list[str]:
    return [n for n in _names(index_dir) if n.startswith("gen-")]


def _entries(folder: Path) -> int:
    try:
        return sum(1 for _ in os.scandir(folder))
    except FileNotFoundError:  # renamed or removed between two looks
        return 0


def _start(index_dir: Path, paths: list[Path], log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "rag.cli", "--index-dir", str(index_dir), "index", *map(str, paths)]
    # stderr to a file, not a pipe: an unread pipe would block the build on its progress output.
    return subprocess.Popen(cmd, cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def _wait(proc: subprocess.Popen, condition: Callable[[], bool], interval: float, timeout: float = 240) -> bool:
    """Poll until ``condition()`` holds (True) or ``proc`` exits by itself (False)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if condition():
            return True
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the build neither reached the kill point nor finished in time")
        if interval:
            time.sleep(interval)
    return False


def _kill_when(proc: subprocess.Popen, condition: Callable[[], bool], interval: float) -> None:
    """SIGKILL ``proc`` as soon as ``condition()`` holds; return early if it exits by itself."""
    if _wait(proc, condition, interval):
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


def _after(event: Callable[[], bool], delay: float) -> Callable[[], bool]:
    """A condition that holds ``delay`` seconds after ``event()`` first held."""
    seen: list[float] = []

    def condition() -> bool:
        if not seen and event():
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] >= delay
    return condition


def _landed(index_dir: Path, old_gen: str, proc: subprocess.Popen, log: Path) -> str:
    """Where the kill landed, read from what the dead process left in the folder."""
    if proc.returncode == 0:
        return "missed: the build had finished"
    current = (index_dir / "CURRENT").read_text().strip()
    gens, tmps = _gens(index_dir), _tmp_gens(index_dir)
    if current != old_gen:
        return ("after the CURRENT swap, old generation not yet removed" if old_gen in gens
                else "after the CURRENT swap and clean-up")
    if len(gens) > 1:
        pointer = " (.CURRENT.tmp written)" if (index_dir / ".CURRENT.tmp").exists() else ""
        return f"new generation renamed in, CURRENT not swapped{pointer}"
    if tmps:
        return f"filling .gen-*.tmp ({_entries(index_dir / tmps[0])} entries)"
    return "embedding" if "embedding" in log.read_text(errors="replace") else "start-up (before embedding)"


CASES = ["start-up", "embedding", ".gen-*.tmp created", "file inside .gen-*.tmp", "new gen-* / .CURRENT.tmp",
         "CURRENT swap (strace)", "old generation removal (strace)"]


@pytest.mark.parametrize("moment", CASES)
def test_kill_leaves_a_complete_index(moment, base, settings, embedder, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(base["index"], index_dir)
    old_gen = (index_dir / "CURRENT").read_text().strip()
    log = tmp_path / "build.log"
    rng = random.Random(f"{SEED}-{moment}")
    if "strace" in moment:
        _require_strace_attach()
        proc = _strace_kill(moment, index_dir, old_gen, base, log, tmp_path)
        HITS.append((moment, _landed(index_dir, old_gen, proc, log)))
        _check_complete(index_dir, old_gen, base, settings, embedder, proc, log)
        return
    proc = _start(index_dir, [base["new_dir"]], log)

    if moment == "start-up":
        time.sleep(rng.uniform(0.3, 5.0))  # imports and model load take several seconds here
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    elif moment == "embedding":
        # The line comes before the first batch; a random delay lands the kill among the batches.
        _kill_when(proc, _after(lambda: "embedding" in log.read_text(errors="replace"), rng.uniform(0.2, 1.5)), 0.05)
    elif moment == ".gen-*.tmp created":
        _kill_when(proc, lambda: bool(_tmp_gens(index_dir)), 0.001)
    elif moment == "file inside .gen-*.tmp":
        # A random delay spreads the kill over the fill phase (vectors and chunks, BM25, manifest).
        _kill_when(proc, _after(lambda: any(_entries(index_dir / t) for t in _tmp_gens(index_dir)),
                                rng.uniform(0.0, 0.3)), 0.001)
    elif moment == "new gen-* / .CURRENT.tmp":
        # Rename, pointer swap and clean-up take about a millisecond: once the temporary folder
        # exists, poll without sleeping (the write phase is short, so the busy loop is too).
        _wait(proc, lambda: bool(_tmp_gens(index_dir)), 0.001)
        _kill_when(proc, lambda: len(_gens(index_dir)) > 1 or (index_dir / ".CURRENT.tmp").exists()
                   or (index_dir / "CURRENT").read_text().strip() != old_gen, 0)
    HITS.append((moment, _landed(index_dir, old_gen, proc, log)))
    _check_complete(index_dir, old_gen, base, settings, embedder, proc, log)


#: Builds a strace case may start before the kill lands (a build that finishes before strace has
#: attached is a miss: rare, since attaching takes milliseconds and the write phase half a second).
STRACE_TRIES = 3
#: Where each strace case must stop the build: the traced path, the calls traced (and killed on
#: entry), and the phase the folder must show afterwards.
STRACE_TARGETS = {
    "CURRENT swap (strace)": (".CURRENT.tmp", "rename,renameat,renameat2",
                              "new generation renamed in, CURRENT not swapped (.CURRENT.tmp written)"),
    "old generation removal (strace)": ("{old_gen}", "rmdir,unlink,unlinkat",
                                        "after the CURRENT swap, old generation not yet removed"),
}


def _require_strace_attach() -> None:
    """Skip (with the reason) where strace cannot attach to a running process: not installed, or
    ptrace not permitted (containers without CAP_SYS_PTRACE, Yama's ptrace_scope)."""
    if not shutil.which("strace"):
        pytest.skip("strace is needed to stop the build at one system call (make browser-deps installs it)")
    sleeper = subprocess.Popen(["sleep", "1"])  # a sibling, as the build will be
    probe = subprocess.run(["strace", "-o", "/dev/null", "-e", "trace=none", "-p", str(sleeper.pid)],
                           capture_output=True, text=True, timeout=30)  # ends when the sleep does
    sleeper.wait()
    if f"Process {sleeper.pid} attached" not in probe.stderr:
        pytest.skip(f"strace cannot attach to a running process here: {probe.stderr.strip()[:200]}")


def _strace_kill(moment: str, index_dir: Path, old_gen: str, base, log: Path, tmp_path: Path) -> subprocess.Popen:
    """Run the build and let strace kill it on entry to one system call: the rename of .CURRENT.tmp
    onto CURRENT (new generation complete and renamed in, CURRENT still old), or the first deletion
    inside the old generation (CURRENT swapped, clean-up not begun). strace attaches once the write
    phase has begun, since tracing the whole build would triple its time (``--seccomp-bpf``, which
    would make that cheap, works only for a process strace starts, and strace 6.1 injected no
    signal there when tried). Its record (``-o``) and its messages are kept and checked: it
    attached, and the build died on the intended call and path."""
    target_name, calls, phase = STRACE_TARGETS[moment]
    target = str(index_dir / target_name.format(old_gen=old_gen))
    misses = []
    for attempt in range(1, STRACE_TRIES + 1):
        if attempt > 1:  # start again from the untouched copy of the old index
            shutil.rmtree(index_dir)
            shutil.copytree(base["index"], index_dir)
        proc = _start(index_dir, [base["new_dir"]], log)
        _wait(proc, lambda: bool(_tmp_gens(index_dir)), 0.001)
        record, messages = tmp_path / f"strace-{attempt}.out", tmp_path / f"strace-{attempt}.err"
        with open(messages, "w") as err:
            tracer = subprocess.Popen(["strace", "-f", "-y", "-o", str(record), "-p", str(proc.pid), "-P", target,
                                       "-e", f"trace={calls}", "-e", f"inject={calls}:signal=SIGKILL"],
                                      stdout=subprocess.DEVNULL, stderr=err)
            proc.wait(timeout=300)
            tracer.wait(timeout=60)
        said = messages.read_text(errors="replace").strip()
        if proc.returncode == 0:  # the build finished: strace attached too late, or not at all
            misses.append(f"try {attempt}: the build finished; strace said {said[-300:]!r}")
            continue
        assert re.search(rf"^strace: Process {proc.pid} attached", said, re.M), \
            f"strace did not attach to the build (pid {proc.pid}): {said[-500:]!r}"
        _assert_killed_on(record, proc.pid, calls.split(","), target)
        assert _landed(index_dir, old_gen, proc, log) == phase
        return proc
    pytest.fail(f"{moment}: strace did not stop the build in {STRACE_TRIES} tries, each build finished: {misses}")


def _assert_killed_on(record: Path, pid: int, calls: list[str], target: str) -> None:
    """strace's record shows the build (its main thread, ``pid``) dying by SIGKILL on entry to one
    of ``calls`` on ``target``, and no traced call before it. With ``-y`` descriptors are printed
    with their paths, so the first deletion in the old generation, ``unlinkat(3</…/gen-…>,
    "vectors.npy", 0)``, names the generation too."""
    lines = record.read_text(errors="replace").splitlines()
    text = "\n".join(lines[-20:])
    traced = [ln for ln in lines if re.match(r"^\d+\s+\w+\(", ln)]
    assert len(traced) == 1, f"expected one traced call, the killed one; strace recorded:\n{text}"
    # With other threads running, the call may be split: "N call(args <unfinished ...>" and later
    # "N <... call resumed>) = ?".
    m = re.match(r"^(\d+)\s+(\w+)\((.*?)(?:\)\s+= (.*)| <unfinished \.\.\.>)$", traced[0])
    assert m and m.group(2) in calls and int(m.group(1)) == pid, \
        f"the build was not stopped on entry to {calls}:\n{text}"
    result = m.group(4)
    if result is None:
        resumed = [r for ln in lines if (r := re.match(rf"^{pid}\s+<\.\.\. {m.group(2)} resumed>.*\)\s+= (.*)$", ln))]
        result = resumed[0].group(1) if resumed else "(never resumed)"
    assert result.strip() == "?", f"{m.group(2)} returned {result!r} instead of being killed on entry:\n{text}"
    assert target in m.group(3), f"the kill landed on another path than {target}:\n{text}"
    assert any(re.match(rf"^{pid}\s+\+\+\+ killed by SIGKILL \+\+\+$", ln) for ln in lines), \
        f"strace did not record the SIGKILL:\n{text}"


def _check_complete(index_dir: Path, old_gen: str, base, settings, embedder, proc: subprocess.Popen,
                    log: Path) -> None:
    # Killed by us, or finished (a missed kill point): anything else is a crash of the build.
    assert proc.returncode in (0, -signal.SIGKILL), log.read_text(errors="replace")[-2000:]
    data = store.open_index(index_dir, embedder.identity)
    docs = set(data.manifest.documents)
    ids = {c.chunk_id for c in data.chunks}
    swapped = data.path.name != old_gen
    assert swapped or proc.returncode != 0, "the build finished but CURRENT still names the old generation"
    # Never a mixture: exactly the old set or exactly the complete new one, matching CURRENT.
    if swapped:
        assert docs == base["new_docs"] and ids == base["new_ids"]
    else:
        assert docs == base["old_docs"] and ids == base["old_ids"]
    assert len(data.chunks) == data.manifest.chunk_count == len(ids)
    assert data.manifest.chunk_count == sum(d["chunks"] for d in data.manifest.documents.values())
    s = dataclasses.replace(settings, index_dir=index_dir)
    retr = open_retriever(s, progress=False, embedder=embedder)
    assert retr.search("foreign investment 2024").hits[0].chunk.chunk_id.endswith("#g1")
    hits = [h.chunk.doc_id for h in retr.search("How many cold-chain pallets did the Linyi bonded depot store?").hits]
    assert (hits[0] == "logistics-0") == swapped
    # The next normal build succeeds and leaves one generation and no temporary folders.
    extra = index_dir.parent / "extra"
    extra.mkdir()
    (extra / "extra.md").write_text("# Extra\n\nThe Rizhao port opened a third ore berth in 2024.\n", encoding="utf-8")
    report = index_documents(load_documents([extra]), s, embedder=embedder, progress=False)
    assert report.added == ["extra"]
    current = store.current_generation(index_dir)
    assert _gens(index_dir) == [current.name] and not _tmp_gens(index_dir)
    assert not (index_dir / ".CURRENT.tmp").exists()
    assert set(store.open_index(index_dir, embedder.identity).manifest.documents) == docs | {"extra"}
