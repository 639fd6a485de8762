"""The index on disk: FAISS vectors, chunk records (JSONL), BM25 and a manifest, written atomically.

Layout of ``index_dir``::

    CURRENT          name of the live generation (replaced atomically with os.replace)
    gen-<id>/        manifest.json; vectors.npy (float32, memory-mapped); chunks.jsonl with
                     chunks.offsets.npy (byte offsets) and chunks.lang.npy; bm25/; ann.faiss
                     (only above the approximate-search threshold)
    .lock            held (flock) while a writer builds a new generation
    .embed-<plan>/   vectors of an unfinished build, so an interrupted build resumes (indexer)

A writer builds a complete new generation folder, fsyncs it, then swaps ``CURRENT``. A reader
follows ``CURRENT``, so it sees the old index or the new one, never a mixture; a killed build
leaves only an orphan folder that the next writer removes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import shutil
import sys
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence, overload

import numpy as np

from .ann import build_ann, open_search_index
from .embedding import ModelIdentity
from .errors import IndexError_
from .fusion import rrf_fuse
from .lexical import LexicalIndex
from .records import Chunk, Where

FORMAT_VERSION = 2
_FILES = ("vectors.npy", "chunks.jsonl", "chunks.offsets.npy", "chunks.lang.npy")
#: Recall@10 against exact search that an approximate index must reach before it is used.
ANN_MIN_RECALL = 0.98


@dataclass
class Manifest:
    """What an index holds and how it was made."""

    model: dict[str, Any]
    dimension: int
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    chunk_count: int = 0
    #: "exact" (inner product over all vectors) or an approximate index, with its measured recall.
    search: dict[str, Any] = field(default_factory=lambda: {"kind": "exact"})
    normalized: bool = True
    metric: str = "inner_product"
    format_version: int = FORMAT_VERSION
    created: str = ""
    checksums: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Manifest":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


class ChunkStore(Sequence[Chunk]):
    """Chunk records read on demand from ``chunks.jsonl`` through a memory map and a byte-offset
    table, so an index of a million chunks opens without a million Python objects. Recently read
    chunks are kept in a small cache."""

    def __init__(self, folder: Path, cache_size: int = 4096) -> None:
        self._offsets = np.load(folder / "chunks.offsets.npy", mmap_mode="r")
        self.langs = np.load(folder / "chunks.lang.npy", mmap_mode="r")
        size = (folder / "chunks.jsonl").stat().st_size
        if len(self._offsets) != len(self.langs) + 1 or (len(self._offsets) and int(self._offsets[-1]) != size):
            raise ValueError("chunk offsets do not match chunks.jsonl")
        with open(folder / "chunks.jsonl", "rb") as fh:
            self._data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.langs)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...

    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        with self._lock:
            hit = self._cache.get(i)
            if hit is not None:
                self._cache.move_to_end(i)
                return hit
        raw = self._data[int(self._offsets[i]):int(self._offsets[i + 1])]
        chunk = Chunk.from_dict(json.loads(raw))
        with self._lock:
            self._cache[i] = chunk
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return chunk

    def items(self) -> Iterator[tuple[int, Chunk]]:
        """(key, chunk) pairs of every chunk; a FAISS index's keys are positions."""
        return enumerate(self)


@dataclass
class IndexData:
    """An opened index: everything retrieval needs, in the same chunk order everywhere."""

    manifest: Manifest
    chunks: ChunkStore
    vectors: np.ndarray  # (n, dimension) float32, memory-mapped
    search_index: "Any"  # a faiss index over the same vectors (exact, or approximate above the threshold)
    lexical: LexicalIndex
    path: Path
    _doc_of: np.ndarray | None = field(default=None, repr=False)

    def all_vectors(self) -> np.ndarray:
        return self.vectors

    def count(self) -> int:
        """Number of chunks."""
        return len(self.chunks)

    def dense_search(self, query: np.ndarray, k: int, where: Where | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (position, inner product) for one normalised query vector."""
        n = len(self.vectors)
        if n == 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if where:
            # A filtered search scores the allowed vectors exactly: filters name a document or a
            # language, and the approximate index's lists are not partitioned by either.
            allowed = np.flatnonzero(self._mask(where))
            scores = np.asarray(self.vectors[allowed]) @ q[0]
            top = np.argsort(-scores, kind="stable")[:k]
            return [(int(allowed[i]), float(scores[i])) for i in top]
        scores, ids = self.search_index.search(q, min(k, n))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def bm25_search(self, query: str, k: int, where: Where | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (position, BM25 score) with a positive score."""
        return self.lexical.search(query, k, self._mask(where).astype(np.float32) if where else None)

    def hybrid_search(self, query: str, vector: np.ndarray, k: int, where: Where | None = None,
                      rrf_k: int = 60) -> list[tuple[int, float]]:
        """Dense and BM25 results fused by plain reciprocal rank fusion (retrieval weights its own)."""
        fused = rrf_fuse({"dense": self.dense_search(vector, k, where), "bm25": self.bm25_search(query, k, where)}, rrf_k)
        return [(p, score) for p, score, _ in fused[:k]]

    def similarities(self, query: np.ndarray, keys: list[int]) -> dict[int, float]:
        """Exact cosine of ``query`` to the given chunks."""
        if not keys:
            return {}
        ordered = sorted(keys)  # increasing offsets: one forward pass over the memory map
        vecs = np.asarray(self.vectors[ordered])
        return dict(zip(ordered, (vecs @ np.asarray(query, dtype=np.float32).reshape(-1)).tolist()))

    def _mask(self, where: Where) -> np.ndarray:
        mask = np.ones(len(self.chunks), dtype=bool)
        if where.lang:
            mask &= np.asarray(self.chunks.langs) == where.lang
        if where.doc_ids:
            if self._doc_of is None:  # read once per opened index, and only when a filter names documents
                self._doc_of = np.array([c.doc_id for c in self.chunks], dtype=object)
            mask &= np.isin(self._doc_of, list(where.doc_ids))
        return mask


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or ``None`` when no index was built yet."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    gen = index_dir / name
    if not name.startswith("gen-") or not gen.is_dir():
        raise IndexError_(f"{index_dir}: CURRENT points to a missing generation {name!r}",
                          "run `rag index --rebuild`")
    return gen


def exists(index_dir: Path) -> bool:
    """True when ``index_dir`` holds a built index."""
    return (index_dir / "CURRENT").is_file()


def read_manifest(index_dir: Path, gen: Path | None = None) -> Manifest:
    """Read the live manifest, or that of generation ``gen`` (cheap: no vectors loaded)."""
    gen = gen or current_generation(index_dir)
    if gen is None:
        raise IndexError_(f"no index in {index_dir}", "build one with `rag index`")
    try:
        data = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexError_(f"{gen / 'manifest.json'} is unreadable ({type(e).__name__})",
                          "run `rag index --rebuild`") from None
    if data.get("format_version") != FORMAT_VERSION:
        raise IndexError_(f"{index_dir} has index format {data.get('format_version')}, this version reads {FORMAT_VERSION}",
                          "run `rag index --rebuild`")
    return Manifest.from_dict(data)


def check_model(manifest: Manifest, identity: ModelIdentity, index_dir: Path | str) -> None:
    """Refuse an index whose vectors came from a different model or dimension."""
    built = manifest.model
    if built.get("fingerprint") != identity.fingerprint or built.get("dimension", 0) != identity.dimension:
        raise IndexError_(
            f"{index_dir} was built with embedding model {built.get('name')!r} (dim {built.get('dimension') or 'full'}), "
            f"but the configured model is {identity.name!r} (dim {identity.dimension or 'full'})",
            f"run `rag index --rebuild` to re-embed, or set RAG_EMBED_MODEL={built.get('name')}")


#: Indexes whose files total less than this are checksum-verified on every open (a few ms per MB);
#: larger ones by `rag doctor`.
VERIFY_ON_OPEN_BYTES = 200 * 1024**2


def open_index(index_dir: Path, identity: ModelIdentity | None = None, verify: bool | None = None) -> IndexData:
    """Open the live index. With ``identity``, refuse a model mismatch. ``verify`` checks file hashes
    (default: when the index is small enough, see ``VERIFY_ON_OPEN_BYTES``)."""
    gen = current_generation(index_dir)  # resolved once: a writer may swap CURRENT meanwhile
    manifest = read_manifest(index_dir, gen)
    if identity is not None:
        check_model(manifest, identity, index_dir)
    assert gen is not None
    for name in manifest.checksums:
        if not (gen / name).exists():
            raise IndexError_(f"{gen / name} is missing", "run `rag index --rebuild`")
    if verify is None:
        verify = sum((gen / n).stat().st_size for n in manifest.checksums) < VERIFY_ON_OPEN_BYTES
    if verify:
        for name, expected in manifest.checksums.items():
            if sha256_file(gen / name) != expected:
                raise IndexError_(f"{gen / name} does not match its checksum (corrupt or altered)",
                                  "run `rag index --rebuild`")
    try:
        vectors = np.load(gen / "vectors.npy", mmap_mode="r")
        chunks = ChunkStore(gen)
        lexical = LexicalIndex.load(gen / "bm25", len(chunks))
        if vectors.ndim != 2 or vectors.shape[1] != manifest.dimension:
            raise ValueError(f"vectors have shape {vectors.shape}, manifest says dimension {manifest.dimension}")
        search_index = open_search_index(gen, vectors, manifest.search)
    except Exception as e:  # numpy, faiss, JSON and bm25s raise various types: all mean corrupt
        raise IndexError_(f"{gen} cannot be read ({type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})",
                          "run `rag index --rebuild`") from None
    if len(vectors) != len(chunks) or len(chunks) != manifest.chunk_count or search_index.ntotal != len(chunks):
        raise IndexError_(f"{gen}: {len(vectors)} vectors but {len(chunks)} chunks (manifest: {manifest.chunk_count})",
                          "run `rag index --rebuild`")
    return IndexData(manifest=manifest, chunks=chunks, vectors=vectors, search_index=search_index,
                     lexical=lexical, path=gen)


@contextlib.contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """Serialise writers; a second writer waits rather than interleaving generations."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_index(index_dir: Path, manifest: Manifest, chunks: Sequence[Chunk], vectors: np.ndarray,
                ann_threshold: int = 0, progress: bool = False) -> Path:
    """Write a complete new generation and make it live atomically. Call under ``write_lock``.

    With ``ann_threshold`` > 0 and at least that many vectors, an approximate index is built too
    (see ``ann``); below it, searches are exact.
    """
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".{name}.tmp"
    tmp.mkdir()
    try:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, manifest.dimension)
        np.save(tmp / "vectors.npy", vectors)
        offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
        langs = []
        with open(tmp / "chunks.jsonl", "wb") as fh:
            for i, c in enumerate(chunks):
                fh.write((json.dumps(c.to_dict(), ensure_ascii=False) + "\n").encode("utf-8"))
                offsets[i + 1] = fh.tell()
                langs.append(c.lang)
        np.save(tmp / "chunks.offsets.npy", offsets)
        np.save(tmp / "chunks.lang.npy", np.array(langs, dtype="<U8"))
        if progress and len(chunks) > 10_000:
            print(f"building the BM25 index over {len(chunks):,} chunks", file=sys.stderr)
        LexicalIndex.build([c.text for c in chunks]).save(tmp / "bm25")
        files = list(_FILES)
        manifest.search = {"kind": "exact"}
        if ann_threshold and len(vectors) >= ann_threshold:
            if progress:
                print(f"building an approximate index over {len(vectors):,} vectors", file=sys.stderr)
            ann, manifest.search = build_ann(vectors, ANN_MIN_RECALL)
            faiss.write_index(ann, str(tmp / "ann.faiss"))
            files.append("ann.faiss")
        manifest.chunk_count = len(chunks)
        manifest.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        manifest.checksums = {f: sha256_file(tmp / f) for f in files}
        (tmp / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        _fsync_tree(tmp)
        os.replace(tmp, index_dir / name)
        pointer_tmp = index_dir / ".CURRENT.tmp"
        pointer_tmp.write_text(name + "\n")
        _fsync_file(pointer_tmp)
        os.replace(pointer_tmp, index_dir / "CURRENT")
        _fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_stale(index_dir, keep=name)
    return index_dir / name


def _remove_stale(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.is_dir() and p.name != keep and (p.name.startswith("gen-") or p.name.startswith(".gen-")):
            shutil.rmtree(p, ignore_errors=True)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file():
            _fsync_file(p)
    for d in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        _fsync_dir(d)
