"""Index build, incremental update, removal, atomicity and model mismatch, on the real model and FAISS."""

import dataclasses
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import store
from rag.documents import load_documents, parse_news_summary
from rag.errors import IndexError_
from rag.factory import open_retriever
from rag.indexer import default_documents, index_documents, remove_documents
from tests.conftest import CORPUS_FILE, ROOT

RAW = CORPUS_FILE.read_text(encoding="utf-8")


def write_doc(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def test_manifest_records_model_and_documents(corpus_index, embedder):
    m = store.read_manifest(corpus_index.index_dir)
    assert m.model["name"] == "embeddinggemma-300m" and m.model["fingerprint"] == embedder.identity.fingerprint
    assert m.dimension == 768 and m.normalized and m.chunk_count == 6
    doc = m.documents["etdz-reform-2025-05-27"]
    assert doc["chunks"] == 6 and len(doc["content_hash"]) == 64 and doc["date"] == "2025-05-27 16:17"
    assert set(m.checksums) == {"vectors.npy", "chunks.jsonl", "chunks.offsets.npy", "chunks.lang.npy"}
    assert m.search == {"kind": "exact"}


def test_incremental_add_update_remove(fresh_settings, embedder, tmp_path):
    s = fresh_settings
    r = index_documents(default_documents(s), s, embedder=embedder, progress=False)
    assert r.added == ["etdz-reform-2025-05-27"] and r.embedded == 6
    gen1 = store.current_generation(s.index_dir)
    # Same document again: nothing embedded, index untouched.
    r = index_documents(default_documents(s), s, embedder=embedder, progress=False)
    assert r.unchanged == ["etdz-reform-2025-05-27"] and r.embedded == 0 and not r.changed
    assert store.current_generation(s.index_dir) == gen1
    # Indexed by an older chunker (no "chunking" in its entry): re-chunked and re-embedded once.
    manifest_path = gen1 / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["documents"]["etdz-reform-2025-05-27"]["chunking"]
    manifest_path.write_text(json.dumps(manifest))
    r = index_documents(default_documents(s), s, embedder=embedder, progress=False)
    assert r.updated == ["etdz-reform-2025-05-27"] and r.embedded == 6
    headline = next(c.text for c in store.open_index(s.index_dir).chunks[:] if c.chunk_id.endswith("#headline"))
    assert "发布媒体" in headline and "证券日报" in headline  # the outlet's Chinese name, from the glossary
    r = index_documents(default_documents(s), s, embedder=embedder, progress=False)
    assert r.unchanged == ["etdz-reform-2025-05-27"] and r.embedded == 0
    # A new document: only its chunks are embedded; old vectors are kept bit for bit.
    docs = tmp_path / "docs"
    write_doc(docs, "green.md", "# 绿色低碳\n\n经开区将建设碳足迹管理体系，支持重点行业减污降碳标准。\n\n第二段：推动清洁能源使用。\n")
    old = store.open_index(s.index_dir)
    r = index_documents(load_documents([docs]), s, embedder=embedder, progress=False)
    assert r.added == ["green"] and r.embedded == 2 and r.chunks == 8
    new = store.open_index(s.index_dir)
    assert (new.all_vectors()[:6] == old.all_vectors()).all()
    # A copy under another name is a duplicate, not a second document.
    write_doc(tmp_path / "copy", "green-copy.md", (docs / "green.md").read_text(encoding="utf-8"))
    r = index_documents(load_documents([tmp_path / "copy"]), s, embedder=embedder, progress=False)
    assert r.duplicates == {"green-copy": "green"} and r.embedded == 0
    # Changing the document re-embeds it alone.
    write_doc(docs, "green.md", "# 绿色低碳\n\n只有一段新的内容。\n")
    r = index_documents(load_documents([docs]), s, embedder=embedder, progress=False)
    assert r.updated == ["green"] and r.embedded == 1 and r.chunks == 7
    # Removal.
    r = remove_documents(["green"], s)
    assert r.removed == ["green"] and r.chunks == 6
    assert set(store.read_manifest(s.index_dir).documents) == {"etdz-reform-2025-05-27"}
    with pytest.raises(IndexError_, match="no document with id 'nope'"):
        remove_documents(["nope"], s)
    retr = open_retriever(s, progress=False, embedder=embedder)
    assert all(h.chunk.doc_id == "etdz-reform-2025-05-27" for h in retr.search("碳足迹管理体系", 6).hits)


def test_failed_write_leaves_previous_index(fresh_settings, embedder, monkeypatch):
    s = fresh_settings
    index_documents(default_documents(s), s, embedder=embedder, progress=False)
    before = store.current_generation(s.index_dir)
    doc = parse_news_summary(RAW.replace("$27.2 billion", "$99.9 billion"), "changed")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(store.LexicalIndex, "build", boom)
    with pytest.raises(OSError):
        index_documents([doc], s, embedder=embedder, progress=False)
    monkeypatch.undo()
    assert store.current_generation(s.index_dir) == before
    assert [p.name for p in s.index_dir.iterdir() if "gen-" in p.name] == [before.name]
    assert set(store.open_index(s.index_dir).manifest.documents) == {"etdz-reform-2025-05-27"}


def test_killed_build_leaves_old_index_working(fresh_settings, embedder, tmp_path):
    """SIGKILL a real `rag index` process while it embeds: the old index still opens and answers."""
    s = fresh_settings
    index_documents(default_documents(s), s, embedder=embedder, progress=False)
    big = tmp_path / "big"
    for i in range(40):
        write_doc(big, f"doc{i:02d}.txt", "\n\n".join(f"Paragraph {j} of document {i} about port logistics and "
                                                      f"shipping volumes in region {i}-{j}." for j in range(10)))
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "--index-dir", str(s.index_dir), "index", str(big)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    line = ""
    while time.time() < deadline and "embedding" not in line:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
    assert "embedding 400 chunks" in line, line
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    data = store.open_index(s.index_dir, embedder.identity)
    assert set(data.manifest.documents) == {"etdz-reform-2025-05-27"} and len(data.chunks) == 6
    retr = open_retriever(s, progress=False, embedder=embedder)
    assert retr.search("foreign investment 2024").hits[0].chunk.chunk_id.endswith("#g1")
    # The next build cleans up the orphan and succeeds.
    index_documents(load_documents([big / "doc00.txt"]), s, embedder=embedder, progress=False)
    assert [p.name for p in s.index_dir.iterdir() if "gen-" in p.name] == [store.current_generation(s.index_dir).name]


def test_model_mismatch_is_a_clear_error(corpus_index):
    other = dataclasses.replace(corpus_index, embed_dim=256)  # a Matryoshka truncation makes other vectors
    with pytest.raises(IndexError_) as e:
        open_retriever(other, progress=False)
    msg = str(e.value)
    assert "built with embedding model 'embeddinggemma-300m'" in msg and "rag index --rebuild" in msg


def test_corrupt_index_files_are_detected(fresh_settings, embedder):
    s = fresh_settings
    index_documents(default_documents(s), s, embedder=embedder, progress=False)
    gen = store.current_generation(s.index_dir)
    (gen / "chunks.jsonl").write_text('{"broken": ', encoding="utf-8")
    with pytest.raises(IndexError_, match="rebuild"):
        store.open_index(s.index_dir)
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["format_version"] = 99
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexError_, match="format 99"):
        store.read_manifest(s.index_dir)


@pytest.mark.parametrize("damage", ["truncate-vectors", "alter-chunks", "delete-bm25"])
def test_damaged_index_is_detected_and_rebuild_recovers_documents(fresh_settings, embedder, tmp_path, damage):
    from tests.conftest import run_cli

    s = fresh_settings
    extra = tmp_path / "extra.md"
    extra.write_text("# Port\n\nThe Ningbo port opened two berths in 2024.\n", encoding="utf-8")
    index_documents(default_documents(s) + load_documents([extra]), s, embedder=embedder, progress=False)
    gen = store.current_generation(s.index_dir)
    if damage == "truncate-vectors":
        data = (gen / "vectors.npy").read_bytes()
        (gen / "vectors.npy").write_bytes(data[: len(data) // 2])
    elif damage == "alter-chunks":
        text = (gen / "chunks.jsonl").read_text(encoding="utf-8")
        (gen / "chunks.jsonl").write_text(text.replace("27.2 billion", "99.9 billion"), encoding="utf-8")
    else:
        import shutil
        shutil.rmtree(gen / "bm25")
    out = run_cli("--index-dir", str(s.index_dir), "search", "foreign investment")
    assert out.returncode == 2 and "rag index --rebuild" in out.stderr and "Traceback" not in out.stderr
    doctor = run_cli("--index-dir", str(s.index_dir), "doctor")
    assert doctor.returncode == 1 and "BAD  index" in doctor.stdout
    out = run_cli("--index-dir", str(s.index_dir), "-q", "index", "--rebuild")
    assert out.returncode == 0, out.stderr
    data = store.open_index(s.index_dir, embedder.identity)
    assert set(data.manifest.documents) == {"etdz-reform-2025-05-27", "extra"}
    assert "99.9" not in (store.current_generation(s.index_dir) / "chunks.jsonl").read_text(encoding="utf-8")
