"""Assemble pipeline objects from ``Settings`` (one place that knows how the parts fit)."""

from __future__ import annotations

from typing import Callable

from . import store
from .config import Settings
from .embedding import Embedder, model_identity
from .glossary import load_glossary
from .indexer import ensure_index
from .rendering import Renderer, RenderingStore, RenderReport, statement_jobs
from .retrieval import Retriever
from .vectorstore import open_store


def open_retriever(settings: Settings, progress: bool = True, embedder: Embedder | None = None) -> Retriever:
    """Load the embedding model, build the index from the bundled corpus on first use, open it."""
    vs = open_store(settings)
    if vs.exists():  # fail fast on a mismatch, before loading the model
        store.check_model(vs.read_manifest(), model_identity(settings), vs.location)
    embedder = embedder or Embedder(settings, progress=progress)
    ensure_index(settings, embedder=embedder, progress=progress)
    index = vs.open(embedder.identity)
    return Retriever(index, embedder, settings, renderings=RenderingStore(settings.index_dir))


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


def make_renderer(settings: Settings, retriever: Retriever, answerer: object) -> Renderer | None:
    """A renderer that writes with ``answerer``'s model, or ``None`` when renderings are off or the
    answerer has no model (the extractive one)."""
    if settings.render == "off" or retriever.renderings is None or not hasattr(answerer, "translate"):
        return None
    return Renderer(answerer, retriever.embedder, retriever.renderings, settings.render_min_similarity,  # type: ignore[arg-type]
                    glossary=load_glossary(settings.glossary), max_omission=settings.render_max_omission)


def render_documents(settings: Settings, retriever: Retriever, renderer: Renderer, doc_ids: set[str] | None = None,
                     progress: bool = True, pause: Callable[[], None] | None = None) -> RenderReport:
    """Render at index time the statements of the index's documents (or of ``doc_ids``): under
    ``auto`` only documents with at most ``Settings.render_eager_max`` statements (longer ones are
    rendered lazily, statement by statement, when questions need them), under ``eager`` all, under
    ``lazy`` or ``off`` none. ``pause`` is called before each statement (``Renderer.render_all``)."""
    if settings.render not in ("auto", "eager"):
        return RenderReport()
    by_doc: dict[str, list] = {}
    for c in retriever.index.chunks:
        if doc_ids is None or c.doc_id in doc_ids:
            by_doc.setdefault(c.doc_id, []).append(c)
    jobs = []
    for chunks in by_doc.values():
        doc_jobs = statement_jobs(chunks)
        if settings.render == "eager" or len(doc_jobs) <= settings.render_eager_max:
            jobs += doc_jobs
    return renderer.render_all(jobs, progress=progress, pause=pause)


def open_pipeline(settings: Settings, answerer: str | None = None, progress: bool = True):
    """Retriever + answerer (+ renderer), ready to ``ask``."""
    from .pipeline import Pipeline

    answerer_obj = make_answerer(settings, answerer)  # fail on a bad name before loading models
    retriever = open_retriever(settings, progress=progress)
    return Pipeline(retriever, answerer_obj, settings, renderer=make_renderer(settings, retriever, answerer_obj))
