"""Build and update the index: embed only new or changed documents, keep the rest, write atomically."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from . import store
from .chunking import CHUNKING_VERSION, chunk_document
from .config import Settings
from .embedding import Embedder, model_identity
from .errors import IndexError_
from .records import Chunk, Document
from .vectorstore import open_store


@dataclass
class IndexReport:
    """What an index operation changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # new doc id -> existing doc id
    removed: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} skipped as duplicates")
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        return f"{', '.join(parts)}; {self.chunks} chunks in the index ({self.embedded} embedded now)"


def _doc_entry(doc: Document, chunks: list[Chunk]) -> dict[str, object]:
    return {"title": doc.title, "lang": doc.lang, "kind": doc.kind, "source": doc.source, "date": doc.date,
            "path": doc.path, "content_hash": doc.content_hash, "chunks": len(chunks), "chunking": CHUNKING_VERSION,
            "pages": doc.pages, "warnings": list(doc.warnings)}


def index_documents(docs: list[Document], settings: Settings, embedder: Embedder | None = None,
                    rebuild: bool = False, progress: bool = True, ray_address: str | None = None) -> IndexReport:
    """Add or update ``docs`` in the configured store (``vectorstore.open_store``).

    Unchanged documents (same id, content hash and chunking version) are not re-embedded; a
    document whose content equals another indexed document's is skipped as a duplicate. With ``rebuild`` the existing index
    is ignored and replaced (only once the new one is complete). With ``ray_address`` (``""``: a
    local Ray instance) the chunks are embedded on Ray (``ray_embed``) instead of in this process.
    """
    report = IndexReport()
    with contextlib.closing(open_store(settings)) as vs, vs.lock():
        current = None if rebuild or not vs.exists() else vs.open(model_identity(settings))
        manifest = current.manifest if current is not None else None
        known = dict(manifest.documents) if manifest else {}
        by_hash = {v["content_hash"]: k for k, v in known.items()}
        to_embed: list[tuple[Document, list[Chunk]]] = []
        for doc in docs:
            entry = known.get(doc.doc_id)
            if entry and entry["content_hash"] == doc.content_hash and entry.get("chunking", 1) == CHUNKING_VERSION:
                report.unchanged.append(doc.doc_id)
                continue
            twin = by_hash.get(doc.content_hash)
            if twin and twin != doc.doc_id:
                report.duplicates[doc.doc_id] = twin
                continue
            (report.updated if entry else report.added).append(doc.doc_id)
            chunks = chunk_document(doc)
            to_embed.append((doc, chunks))
            by_hash[doc.content_hash] = doc.doc_id
        if not to_embed and current is not None:
            report.chunks = current.count()
            return report
        new_chunks = [c for _, cs in to_embed for c in cs]
        if progress and new_chunks:
            print(f"embedding {len(new_chunks)} chunks from {len(to_embed)} documents"
                  + (" on Ray" if ray_address is not None else ""), file=sys.stderr)
        if ray_address is not None:
            from .ray_embed import embed_on_ray

            identity = model_identity(settings)
            new_vectors = embed_on_ray([c.text for c in new_chunks], settings, ray_address, progress)
            dimension = new_vectors.shape[1]
        else:
            embedder = embedder or Embedder(settings, progress)
            new_vectors = embed_resumable([c.text for c in new_chunks], embedder, settings.index_dir, progress)
            identity, dimension = embedder.identity, embedder.dimension
        manifest = manifest or store.Manifest(model={}, dimension=dimension)
        manifest.model = {"name": identity.name, "fingerprint": identity.fingerprint, "dimension": identity.dimension}
        manifest.dimension = dimension
        for doc, cs in to_embed:
            known[doc.doc_id] = _doc_entry(doc, cs)
        manifest.documents = known
        report.chunks = vs.upsert(manifest, new_chunks, new_vectors, current,
                                  replace={d.doc_id for d, _ in to_embed}, progress=progress)
        _discard_partial_builds(settings.index_dir)
        report.embedded = len(new_chunks)
    return report


#: Chunks embedded between checkpoints of a build (a killed build loses at most this many).
PART_SIZE = 512


def embed_resumable(texts: list[str], embedder: Embedder, index_dir: Path, progress: bool = True) -> np.ndarray:
    """Embed ``texts`` in parts saved under ``index_dir/.embed-<plan>/``, so a build that is killed
    resumes where it stopped: a rerun with the same texts and model reloads the finished parts.

    Texts are embedded longest first by token count, so each batch holds texts of similar length
    and little padding is computed; the vectors are returned in the original order. (By characters,
    Chinese texts, short in characters but long in tokens, came last and shared batches with shorter
    English ones: the 100,000-chunk build slowed from 22 to 15–19 chunks/s in its second half.)
    """
    if not texts:
        return np.zeros((0, embedder.dimension), np.float32)
    plan = hashlib.sha256(embedder.identity.fingerprint.encode())
    plan.update(str(embedder.dimension).encode())
    plan.update(b"longest first by tokens")  # the order decides which texts each saved part holds
    for t in texts:
        plan.update(hashlib.sha256(t.encode("utf-8")).digest())
    folder = index_dir / f".embed-{plan.hexdigest()[:16]}"
    _discard_partial_builds(index_dir, keep=folder.name)
    folder.mkdir(parents=True, exist_ok=True)
    lengths = embedder.token_lengths(texts)
    order = sorted(range(len(texts)), key=lambda i: -lengths[i])
    out = np.zeros((len(texts), embedder.dimension), np.float32)
    bar = tqdm(total=len(texts), unit="chunk", desc="embedding", disable=not progress or len(texts) <= PART_SIZE,
               file=sys.stderr)
    for p, start in enumerate(range(0, len(order), PART_SIZE)):
        ids = order[start:start + PART_SIZE]
        part = folder / f"part-{p:05d}.npy"
        vecs = _load_part(part, len(ids), embedder.dimension)
        if vecs is None:
            vecs = embedder.embed_documents([texts[i] for i in ids], progress=progress and len(texts) <= PART_SIZE)
            tmp = folder / f".part-{p:05d}.tmp.npy"
            np.save(tmp, vecs)
            os.replace(tmp, part)  # a part is either complete or absent
        out[ids] = vecs
        bar.update(len(ids))
    bar.close()
    return out


def _load_part(path: Path, rows: int, dim: int) -> np.ndarray | None:
    try:
        vecs = np.load(path)
    except (OSError, ValueError):
        return None
    return vecs if vecs.shape == (rows, dim) else None


def _discard_partial_builds(index_dir: Path, keep: str = "") -> None:
    """Remove saved parts of builds other than ``keep`` (finished, or of texts no longer asked for)."""
    if index_dir.is_dir():
        for p in index_dir.glob(".embed-*"):
            if p.name != keep:
                shutil.rmtree(p, ignore_errors=True)


def remove_documents(doc_ids: list[str], settings: Settings) -> IndexReport:
    """Remove documents by id. Unknown ids are an error and nothing is changed."""
    report = IndexReport()
    with contextlib.closing(open_store(settings)) as vs, vs.lock():
        data = vs.open(model_identity(settings))
        unknown = [d for d in doc_ids if d not in data.manifest.documents]
        if unknown:
            raise IndexError_(f"no document with id {', '.join(map(repr, unknown))} in {vs.location}",
                              "see `rag docs` for the ids")
        manifest = data.manifest
        manifest.documents = {k: v for k, v in manifest.documents.items() if k not in doc_ids}
        report.chunks = vs.delete(doc_ids, manifest, data)
        report.removed = list(doc_ids)
    return report


def default_documents(settings: Settings) -> list[Document]:
    """The bundled corpus."""
    from .documents import bundled_corpus, load_documents

    return load_documents([bundled_corpus()], settings.max_file_bytes, settings.max_pages)


def ensure_index(settings: Settings, embedder: Embedder | None = None, progress: bool = True) -> bool:
    """Build the index from the bundled corpus when none exists yet (first run); whether it did."""
    with contextlib.closing(open_store(settings)) as vs:
        missing = not vs.exists()
        location = vs.location
    if missing:
        if progress:
            print(f"no index in {location}: building it from the bundled corpus", file=sys.stderr)
        index_documents(default_documents(settings), settings, embedder=embedder, progress=progress)
    return missing


def rebuild_sources(settings: Settings, warn: Callable[[str], None] | None = None) -> list[Path]:
    """What `rag index --rebuild` re-reads when given no paths: the bundled corpus, the chat's
    uploads, and every indexed document whose source file still exists (read from the manifest
    when it is readable), so a rebuild after corruption loses nothing that can be re-read.

    Whatever it cannot bring back is said in one ``warning:`` line (through ``warn``, by default
    on stderr): the ids of previously indexed documents that the rebuild will not contain (source
    file gone, or the manifest unreadable and only the chunk records still naming them), or, when
    neither the manifest nor the chunk records can be read, that their list was unreadable."""
    from .documents import bundled_corpus

    paths: list[Path] = [bundled_corpus()]
    uploads = settings.index_dir / "uploads"
    if uploads.is_dir():
        paths.append(uploads)
    previous, problem = _previous_documents(settings)
    paths += [Path(p) for p in previous.values() if p and Path(p).is_file()] if previous else []
    seen: set[Path] = set()
    out = []
    for p in paths:
        r = p.resolve()
        if r not in seen and not any(parent in seen for parent in r.parents):
            seen.add(r)
            out.append(p)
    line = _rebuild_loss(previous, problem, out, settings)
    if line:
        (warn or _warn)(line)
    return out


def _warn(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr)


def _previous_documents(settings: Settings) -> tuple[dict[str, str] | None, str]:
    """The indexed documents as ``{doc_id: source path}`` and, when the manifest could not be read,
    why. With an unreadable manifest the ids come from the chunk records (paths unknown, ``""``);
    ``None`` when neither can be read. No index at all is no problem: ``({}, "")``."""
    index_dir = settings.index_dir
    if settings.store != "faiss":
        try:
            with contextlib.closing(open_store(settings)) as vs:
                documents = vs.read_manifest().documents if vs.exists() else {}
            return {str(k): str(v.get("path") or "") for k, v in documents.items()}, ""
        except IndexError_ as e:
            return None, e.problem
    try:
        gen = store.current_generation(index_dir)
    except IndexError_ as e:
        return None, e.problem
    if gen is None:
        return {}, ""
    try:
        # Read as plain JSON, not through read_manifest, so an index of an older format still
        # tells the rebuild where its documents came from.
        documents = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))["documents"]
        return {str(k): str(v.get("path") or "") for k, v in documents.items()}, ""
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        problem = f"{gen.name}/manifest.json is unreadable ({type(e).__name__})"
    try:
        with open(gen / "chunks.jsonl", encoding="utf-8") as fh:
            return {str(json.loads(line)["doc_id"]): "" for line in fh if line.strip()}, problem
    except (OSError, ValueError, KeyError, TypeError):
        return None, problem


#: At most this many ids are named in the warning line; the rest are counted.
_NAMED = 20


def _rebuild_loss(previous: dict[str, str] | None, problem: str, sources: list[Path], settings: Settings) -> str:
    """The warning line for documents a rebuild from ``sources`` will not bring back ("" if none)."""
    from .documents import load_documents
    from .errors import RagError

    hint = "index their files again with `rag index PATH` after the rebuild"
    if previous is None:
        return (f"{problem}; the list of previously indexed documents is unreadable, so the rebuild "
                f"re-reads only the bundled corpus, the uploads and nothing else — {hint}")
    if not previous:
        return ""
    try:
        recovered = {d.doc_id for d in load_documents(sources, settings.max_file_bytes, settings.max_pages,
                                                      ocr=settings.reads_scans)}
    except RagError:
        return ""  # the rebuild stops on this file with its own error before replacing anything
    lost = sorted(set(previous) - recovered)
    if not lost:
        return ""
    names = ", ".join(lost[:_NAMED]) + (f" and {len(lost) - _NAMED} more" if len(lost) > _NAMED else "")
    why = f"{problem}, so their source files are unknown" if problem else "their source files are gone"
    return f"the rebuild cannot recover {len(lost)} previously indexed document(s) ({why}): {names} — {hint}"
