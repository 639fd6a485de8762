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
