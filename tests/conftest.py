"""Shared fixtures. The embedding model is real (EmbeddingGemma from the per-user cache) and loaded
once per test session; indexes are real FAISS + BM25 folders under pytest's tmp dirs."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import Settings
from rag.documents import bundled_corpus
from ui.loadtest import free_port, wait_until_up  # noqa: F401  (free_port: shared with the test modules)

ROOT = Path(__file__).resolve().parent.parent
CORPUS_FILE = bundled_corpus() / "etdz-reform-2025-05-27.txt"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # Only the model cache and the embedding's precision and batch size come from the environment
    # (RAG_EMBED_PRECISION=fp32|bf16 and RAG_EMBED_BATCH_SIZE run the suite with bf16 forced off or
    # on and other batch shapes; the CLI processes the tests start read the same variables).
    return Settings.load({"index_dir": tmp_path_factory.mktemp("index")}, environ={
        k: v for k, v in os.environ.items() if k in ("RAG_CACHE_DIR", "RAG_EMBED_PRECISION", "RAG_EMBED_BATCH_SIZE")})


@pytest.fixture(scope="session")
def embedder(settings: Settings):
    from rag.embedding import Embedder

    return Embedder(settings, progress=False)


@pytest.fixture(scope="session")
def corpus_index(settings: Settings, embedder) -> Settings:
    """The bundled corpus, indexed once for the session (read-only for tests)."""
    from rag.indexer import default_documents, index_documents

    index_documents(default_documents(settings), settings, embedder=embedder, progress=False)
    return settings


@pytest.fixture(scope="session")
def retriever(corpus_index: Settings, embedder):
    from rag.factory import open_retriever

    return open_retriever(corpus_index, progress=False, embedder=embedder)


@pytest.fixture()
def fresh_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Settings pointing at an empty index folder of the test's own."""
    return dataclasses.replace(settings, index_dir=tmp_path / "index")


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float, log: Path | None = None) -> None:
    """Wait until ``url`` answers 200; fail the test if the server process exits or time runs out."""
    try:
        wait_until_up(url, proc, timeout)
    except RuntimeError as e:
        proc.kill()
        pytest.fail(f"{e}: {log.read_text()[-2000:] if log else ''}")


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run the real `rag` CLI in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout, cwd=ROOT)


@pytest.fixture(scope="session")
def rendered_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled corpus built by the real `rag index`, renderings included: the local
    model renders the 16 statements (about a minute on 2 cores). Read-only for tests: copy it."""
    pytest.importorskip("llama_cpp")
    folder = tmp_path_factory.mktemp("rendered") / "index"
    r = run_cli("--index-dir", str(folder), "index", env={"RAG_RENDER": "auto"}, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "renderings:" in r.stdout and (folder / "renderings.jsonl").exists(), r.stdout
    return folder
