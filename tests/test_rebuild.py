"""`rag index --rebuild` after damage: it rebuilds what it can re-read and says, in one warning
line, which previously indexed documents it cannot bring back (or that their list is unreadable),
instead of dropping them in silence."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from rag import store
from rag.documents import load_documents
from rag.indexer import default_documents, index_documents, rebuild_sources
from tests.conftest import run_cli

BUNDLED = "etdz-reform-2025-05-27"


@pytest.fixture(scope="module")
def built(settings, embedder, tmp_path_factory):
    """An index of the bundled corpus, two documents from a folder outside it and one chat upload."""
    home = tmp_path_factory.mktemp("rebuild")
    s = dataclasses.replace(settings, index_dir=home / "index")
    files = home / "files"
    files.mkdir()
    (files / "ningbo.md").write_text("# Ningbo\n\nThe Ningbo port opened two berths in 2024.\n", encoding="utf-8")
    (files / "rizhao.md").write_text("# Rizhao\n\nThe Rizhao port opened a third ore berth in 2024.\n", encoding="utf-8")
    uploads = s.index_dir / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "upload-note.md").write_text("# Upload\n\n上传的文件：青岛港2024年新增两条航线。\n", encoding="utf-8")
    docs = default_documents(s) + load_documents([files, uploads])
    index_documents(docs, s, embedder=embedder, progress=False)
    return home


@pytest.fixture()
def case(built, settings, tmp_path):
    """A copy of the built index and its source files, for one test to damage."""
    shutil.copytree(built, tmp_path / "home")
    home = tmp_path / "home"
    # The manifest names the source files by their original paths: point it at the copies.
    gen = store.current_generation(home / "index")
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    for d in manifest["documents"].values():
        d["path"] = d["path"].replace(str(built), str(home))
    (gen / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return dataclasses.replace(settings, index_dir=home / "index"), home, gen


def test_nothing_lost_means_no_warning(case):
    s, home, _ = case
    lines: list[str] = []
    paths = rebuild_sources(s, warn=lines.append)
    assert lines == []
    assert {d.doc_id for d in load_documents(paths)} == {BUNDLED, "ningbo", "rizhao", "upload-note"}


def test_documents_whose_files_are_gone_are_named(case):
    s, home, _ = case
    (home / "files" / "rizhao.md").unlink()
    lines: list[str] = []
    paths = rebuild_sources(s, warn=lines.append)
    assert {d.doc_id for d in load_documents(paths)} == {BUNDLED, "ningbo", "upload-note"}
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert "cannot recover 1 previously indexed document" in lines[0] and "rizhao" in lines[0]
    assert "source files are gone" in lines[0] and "ningbo" not in lines[0] and BUNDLED not in lines[0]


def test_unreadable_manifest_names_the_documents_from_the_chunk_records(case):
    s, home, gen = case
    (gen / "manifest.json").write_text('{"documents": {"ningbo": ', encoding="utf-8")
    lines: list[str] = []
    paths = rebuild_sources(s, warn=lines.append)
    # What can be re-read without the manifest is still rebuilt: the bundled corpus and the uploads.
    assert {d.doc_id for d in load_documents(paths)} == {BUNDLED, "upload-note"}
    assert len(lines) == 1 and "\n" not in lines[0], lines
    line = lines[0]
    assert f"{gen.name}/manifest.json is unreadable (JSONDecodeError)" in line
    assert "cannot recover 2 previously indexed document(s)" in line and "ningbo, rizhao" in line
    assert BUNDLED not in line and "upload-note" not in line


@pytest.mark.parametrize("damage", ["manifest-and-chunks", "missing-generation"])
def test_unreadable_document_list_is_said(case, damage):
    s, home, gen = case
    if damage == "manifest-and-chunks":
        (gen / "manifest.json").write_bytes(b"\x00\xff")
        (gen / "chunks.jsonl").write_text('{"broken": ', encoding="utf-8")
        cause = f"{gen.name}/manifest.json is unreadable"
    else:
        shutil.rmtree(gen)
        cause = "CURRENT points to a missing generation"
    lines: list[str] = []
    paths = rebuild_sources(s, warn=lines.append)
    assert {d.doc_id for d in load_documents(paths)} == {BUNDLED, "upload-note"}
    assert len(lines) == 1 and "\n" not in lines[0], lines
    assert cause in lines[0] and "the list of previously indexed documents is unreadable" in lines[0]


def test_cli_rebuild_warns_in_one_line_and_rebuilds_the_rest(case, embedder):
    s, home, gen = case
    (gen / "manifest.json").write_text("not json", encoding="utf-8")
    out = run_cli("--index-dir", str(s.index_dir), "-q", "index", "--rebuild")
    assert out.returncode == 0, out.stderr
    warnings = [ln for ln in out.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1, out.stderr
    assert "manifest.json is unreadable" in warnings[0] and "ningbo, rizhao" in warnings[0]
    assert "rag index PATH" in warnings[0]
    data = store.open_index(s.index_dir, embedder.identity)
    assert set(data.manifest.documents) == {BUNDLED, "upload-note"}
