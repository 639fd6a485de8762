"""Assemble pipeline objects from ``Settings`` (one place that knows how the parts fit)."""

from __future__ import annotations

from . import store
from .config import Settings
from .embedding import Embedder, model_identity
from .indexer import ensure_index
from .retrieval import Retriever


def open_retriever(settings: Settings, progress: bool = True, embedder: Embedder | None = None) -> Retriever:
    """Load the embedding model, build the index from the bundled corpus on first use, open it."""
    if store.exists(settings.index_dir):  # fail fast on a mismatch, before loading the model
        store.check_model(store.read_manifest(settings.index_dir), model_identity(settings), settings.index_dir)
    embedder = embedder or Embedder(settings, progress=progress)
    ensure_index(settings, embedder=embedder, progress=progress)
    index = store.open_index(settings.index_dir, embedder.identity)
    return Retriever(index, embedder, settings)


def make_answerer(settings: Settings, name: str | None = None):
    """The answerer named by ``name`` or ``settings.answerer``: extractive, llm or http."""
    from .errors import InputError
    from .extractive import ExtractiveAnswerer

    name = name or settings.answerer
    if name == "extractive":
        return ExtractiveAnswerer()
    if name == "llm":
        from .llm import LocalLLMAnswerer

        return LocalLLMAnswerer(settings)
    if name == "http":
        from .llm import HTTPAnswerer

        return HTTPAnswerer(settings)
    raise InputError(f"unknown answerer {name!r}", "use extractive, llm or http")


def open_pipeline(settings: Settings, answerer: str | None = None, progress: bool = True):
    """Retriever + answerer, ready to ``ask``."""
    from .pipeline import Pipeline

    answerer_obj = make_answerer(settings, answerer)  # fail on a bad name before loading models
    return Pipeline(open_retriever(settings, progress=progress), answerer_obj, settings)
