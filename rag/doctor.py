"""`rag doctor`: check model weights, index integrity, index/model match and free disk; say what to do."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from . import store
from .config import Settings
from .embedding import model_identity
from .errors import RagError
from .weights import SOURCES, artefact_path, is_ready, model_dir

#: Below this much free space an index build or a model fetch may fail half-way.
MIN_FREE_BYTES = 3 * 1024**3


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_models(settings: Settings, deep: bool = False) -> list[Check]:
    """Pinned weights: present and verified; with ``deep``, a GGUF file is re-hashed in full."""
    checks = []
    for name in dict.fromkeys([settings.embed_model.lower(), settings.llm_model.lower()]):
        source = SOURCES.get(name)
        if source is None:
            where = Path(name).expanduser()
            ok = where.exists()
            checks.append(Check(f"model {name}", ok, "local path found" if ok else "not a pinned name nor an existing path",
                                "" if ok else "set RAG_EMBED_MODEL / RAG_LLM_MODEL to a pinned name or a real path"))
            continue
        if not is_ready(source, settings.cache_dir):
            checks.append(Check(f"model {name}", False, f"not assembled in {model_dir(source, settings.cache_dir)}",
                                f"run `rag fetch-models {name}`"))
            continue
        detail = "verified when assembled"
        if deep and source.layout == "file":
            ok = store.sha256_file(artefact_path(source, settings.cache_dir)) == source.sha256
            if not ok:
                checks.append(Check(f"model {name}", False, "file does not match its sha256 (corrupt or altered)",
                                    f"delete {model_dir(source, settings.cache_dir)} and run `rag fetch-models {name}`"))
                continue
            detail = "sha256 re-checked"
        checks.append(Check(f"model {name}", True, detail))
    return checks


def check_index(settings: Settings) -> list[Check]:
    """The index opens, its files match their checksums, and it was built with the configured model."""
    if settings.store != "faiss":
        return _check_remote_index(settings)
    if not store.exists(settings.index_dir):
        return [Check("index", False, f"no index in {settings.index_dir}", "run `rag index`")]
    try:
        data = store.open_index(settings.index_dir, verify=True)
    except RagError as e:
        return [Check("index", False, e.problem, e.hint or "run `rag index --rebuild`")]
    checks = [Check("index", True, f"{len(data.manifest.documents)} documents, {len(data.chunks)} chunks, checksums match")]
    try:
        store.check_model(data.manifest, model_identity(settings), settings.index_dir)
        checks.append(Check("index/model match", True, f"built with {data.manifest.model.get('name')}"))
    except RagError as e:
        checks.append(Check("index/model match", False, e.problem, e.hint))
    return checks


def _check_remote_index(settings: Settings) -> list[Check]:
    """A store elsewhere (Milvus): reachable, its chunk count matches its manifest, and the model matches."""
    from .vectorstore import open_store

    try:
        vs = open_store(settings)
        if not vs.exists():
            return [Check("index", False, f"no index in {vs.location}", "run `rag index`")]
        data = vs.open()
        count = data.count()
    except RagError as e:
        return [Check("index", False, e.problem, e.hint or "run `rag index --rebuild`")]
    ok = count == data.manifest.chunk_count
    checks = [Check("index", ok, f"{vs.location}: {len(data.manifest.documents)} documents, {count} chunks"
                    + ("" if ok else f", but the manifest says {data.manifest.chunk_count}"),
                    "" if ok else "run `rag index --rebuild`")]
    try:
        store.check_model(data.manifest, model_identity(settings), vs.location)
        checks.append(Check("index/model match", True, f"built with {data.manifest.model.get('name')}"))
    except RagError as e:
        checks.append(Check("index/model match", False, e.problem, e.hint))
    return checks


def check_disk(settings: Settings) -> list[Check]:
    """Free space where the index and the cache live."""
    checks = []
    for label, path in (("disk (index)", settings.index_dir), ("disk (cache)", settings.cache_dir)):
        probe = path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        free = shutil.disk_usage(probe).free
        ok = free >= MIN_FREE_BYTES
        checks.append(Check(label, ok, f"{free / 1024**3:.1f} GiB free at {probe}",
                            "" if ok else "free some space: builds and model fetches need about 3 GiB"))
    return checks


def run_doctor(settings: Settings, deep: bool = False) -> list[Check]:
    """Every check, in the order a user would fix them."""
    return check_models(settings, deep) + check_index(settings) + check_disk(settings)
