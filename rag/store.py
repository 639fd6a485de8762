"""The index on disk: FAISS vectors, chunk records (JSONL), BM25 and a manifest, written atomically.

Layout of ``index_dir``::

    CURRENT          name of the live generation (replaced atomically with os.replace)
    gen-<id>/        manifest.json, vectors.faiss, chunks.jsonl, bm25/
    .lock            held (flock) while a writer builds a new generation

A writer builds a complete new generation folder, fsyncs it, then swaps ``CURRENT``. A reader
follows ``CURRENT``, so it sees the old index or the new one, never a mixture; a killed build
leaves only an orphan folder that the next writer removes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .embedding import ModelIdentity
from .errors import IndexError_
from .lexical import LexicalIndex
from .records import Chunk

FORMAT_VERSION = 1
_FILES = ("vectors.faiss", "chunks.jsonl")


@dataclass
class Manifest:
    """What an index holds and how it was made."""

    model: dict[str, Any]
    dimension: int
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    chunk_count: int = 0
    faiss_index: str = "IndexFlatIP"
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


@dataclass
class IndexData:
    """An opened index: everything retrieval needs, in the same chunk order everywhere."""

    manifest: Manifest
    chunks: list[Chunk]
    vectors: "Any"  # faiss.Index
    lexical: LexicalIndex
    path: Path

    def all_vectors(self) -> np.ndarray:
        n = self.vectors.ntotal
        return self.vectors.reconstruct_n(0, n) if n else np.zeros((0, self.manifest.dimension), np.float32)


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


def check_model(manifest: Manifest, identity: ModelIdentity, index_dir: Path) -> None:
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
    import faiss

    gen = current_generation(index_dir)  # resolved once: a writer may swap CURRENT meanwhile
    manifest = read_manifest(index_dir, gen)
    if identity is not None:
        check_model(manifest, identity, index_dir)
    assert gen is not None
    if verify is None:
        verify = sum((gen / n).stat().st_size for n in manifest.checksums if (gen / n).exists()) < VERIFY_ON_OPEN_BYTES
    if verify:
        for name, expected in manifest.checksums.items():
            if not (gen / name).exists():
                raise IndexError_(f"{gen / name} is missing", "run `rag index --rebuild`")
            if sha256_file(gen / name) != expected:
                raise IndexError_(f"{gen / name} does not match its checksum (corrupt or altered)",
                                  "run `rag index --rebuild`")
    try:
        vectors = faiss.read_index(str(gen / "vectors.faiss"))
        chunks = [Chunk.from_dict(json.loads(line)) for line in
                  (gen / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        lexical = LexicalIndex.load(gen / "bm25", len(chunks))
    except Exception as e:  # faiss raises RuntimeError, JSON ValueError, bm25s various: all mean corrupt
        raise IndexError_(f"{gen} cannot be read ({type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})",
                          "run `rag index --rebuild`") from None
    if vectors.ntotal != len(chunks) or len(chunks) != manifest.chunk_count:
        raise IndexError_(f"{gen}: {vectors.ntotal} vectors but {len(chunks)} chunks (manifest: {manifest.chunk_count})",
                          "run `rag index --rebuild`")
    return IndexData(manifest=manifest, chunks=chunks, vectors=vectors, lexical=lexical, path=gen)


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


def write_index(index_dir: Path, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray) -> Path:
    """Write a complete new generation and make it live atomically. Call under ``write_lock``."""
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".{name}.tmp"
    tmp.mkdir()
    try:
        flat = faiss.IndexFlatIP(manifest.dimension)
        if len(vectors):
            flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
        faiss.write_index(flat, str(tmp / "vectors.faiss"))
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        LexicalIndex.build([c.text for c in chunks]).save(tmp / "bm25")
        manifest.chunk_count = len(chunks)
        manifest.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        manifest.checksums = {f: sha256_file(tmp / f) for f in _FILES}
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
