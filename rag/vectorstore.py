"""Where the index lives, behind one small interface: FAISS + bm25s files on this disk (``store``,
the default) or Milvus (``milvus``: Milvus Lite on a file, or a server or cluster).

``RAG_STORE`` picks one; nothing above this module knows which. The interface is what the two
backends and their callers need and no more:

* a ``VectorStore`` writes: ``upsert`` (a document's chunks replace its old ones), ``delete`` (by
  document), under ``lock``, and reads the ``manifest`` (which documents, which model);
* an opened ``Searchable`` reads: ``count``, ``dense_search``, ``bm25_search``, ``hybrid_search``
  and ``similarities``, each with an optional ``Where`` filter by document id and language, and
  ``chunks[key]`` for the records the keys name.

Keys are integers: a FAISS index's are positions, Milvus's its primary keys.
"""

from __future__ import annotations

from typing import Any, Collection, ContextManager, Protocol, Sequence

import numpy as np

from . import store
from .config import Settings
from .embedding import ModelIdentity
from .records import Chunk, Where
from .store import Manifest


class Searchable(Protocol):
    """An opened index: what retrieval reads."""

    manifest: Manifest
    #: Chunk records by key: ``chunks[key]``, ``len(chunks)``, ``chunks.items()`` (every (key,
    #: chunk)) and ``chunks.langs[key]``.
    chunks: Any

    def count(self) -> int: ...
    def dense_search(self, query: np.ndarray, k: int, where: Where | None = None) -> list[tuple[int, float]]: ...
    def bm25_search(self, query: str, k: int, where: Where | None = None) -> list[tuple[int, float]]: ...
    def hybrid_search(self, query: str, vector: np.ndarray, k: int, where: Where | None = None,
                      rrf_k: int = 60) -> list[tuple[int, float]]: ...
    def similarities(self, query: np.ndarray, keys: list[int]) -> dict[int, float]: ...


class VectorStore(Protocol):
    """Where an index is kept, and how it is changed."""

    #: Where the index is, for messages ("index" or "milvus://…").
    location: str

    def exists(self) -> bool: ...
    def read_manifest(self) -> Manifest: ...
    def lock(self) -> ContextManager[None]: ...
    def open(self, identity: ModelIdentity | None = None) -> Searchable: ...
    def upsert(self, manifest: Manifest, chunks: Sequence[Chunk], vectors: np.ndarray,
               current: Searchable | None, replace: Collection[str] = (), progress: bool = False) -> int: ...
    def delete(self, doc_ids: Collection[str], manifest: Manifest, current: Searchable) -> int: ...
    def close(self) -> None: ...


class FaissStore:
    """The default store: generations of FAISS + bm25s files under ``Settings.index_dir`` (``store``).

    A change writes a whole new generation and swaps it in atomically, so ``upsert`` and ``delete``
    copy the kept vectors of ``current`` (memory-mapped) next to the new ones.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir = settings.index_dir
        self.location = str(settings.index_dir)

    def exists(self) -> bool:
        return store.exists(self.index_dir)

    def read_manifest(self) -> Manifest:
        return store.read_manifest(self.index_dir)

    def lock(self) -> ContextManager[None]:
        return store.write_lock(self.index_dir)

    def open(self, identity: ModelIdentity | None = None) -> store.IndexData:
        return store.open_index(self.index_dir, identity)

    def upsert(self, manifest: Manifest, chunks: Sequence[Chunk], vectors: np.ndarray,
               current: Searchable | None, replace: Collection[str] = (), progress: bool = False) -> int:
        """Write ``chunks`` (with ``vectors``), dropping the old chunks of their documents and of
        ``replace``; with ``current`` ``None`` the index holds only these. Returns the chunk count."""
        gone = set(replace) | {c.doc_id for c in chunks}
        kept_chunks: list[Chunk] = []
        kept = np.zeros((0, manifest.dimension), np.float32)
        if current is not None:
            keep = [i for i, c in current.chunks.items() if c.doc_id not in gone]
            kept_chunks = [current.chunks[i] for i in keep]
            kept = np.asarray(current.vectors[keep]) if keep else kept  # type: ignore[attr-defined]
        all_chunks = kept_chunks + list(chunks)
        all_vectors = np.vstack([kept, vectors]) if len(kept) else np.asarray(vectors, np.float32)
        store.write_index(self.index_dir, manifest, all_chunks, all_vectors, ann_threshold=self.settings.ann_threshold,
                          progress=progress)
        return len(all_chunks)

    def delete(self, doc_ids: Collection[str], manifest: Manifest, current: Searchable) -> int:
        """Remove the chunks of ``doc_ids``; returns the chunk count left."""
        return self.upsert(manifest, [], np.zeros((0, manifest.dimension), np.float32), current, replace=doc_ids)

    def close(self) -> None:
        """Nothing to release: files are opened per generation."""


def open_store(settings: Settings) -> VectorStore:
    """The store ``Settings.store`` names."""
    if settings.store == "milvus":
        from .milvus import MilvusStore

        return MilvusStore(settings)
    return FaissStore(settings)

