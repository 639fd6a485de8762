"""`rag index --ray`: embedding on Ray Data in local mode gives the vectors of the one-process path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag import store

from .conftest import SHARED, run_cli

pytest.importorskip("ray")
XQUAD = SHARED / "benchmarks" / "xquad"


@pytest.mark.slow
def test_rag_index_on_ray_gives_the_vectors_of_one_process(tmp_path: Path, embedder):
    # A few thousand one-chunk documents: XQuAD questions and paragraph sentences in both languages.
    if not (XQUAD / "xquad.zh.dev.json").is_file():
        pytest.skip(f"no XQuAD files in {XQUAD}")
    from rag.xquad import load_xquad

    from rag.documents import split_sentences

    paragraphs, questions = load_xquad(XQUAD)
    texts = {q.question: q.lang for q in questions}  # one document per distinct text (equal ones are skipped)
    texts.update({s: lang for lang, ps in paragraphs.items() for p in ps for s in split_sentences(p)})
    lines = [json.dumps({"id": f"t-{i}", "title": f"text {i}", "text": t, "lang": lang}, ensure_ascii=False)
             for i, (t, lang) in enumerate(list(texts.items())[:2000])]
    corpus = tmp_path / "questions.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    r = run_cli("--index-dir", str(index_dir), "index", str(corpus), "--no-render", "--ray", timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "on Ray" in r.stderr and "2000 added" in r.stdout
    data = store.open_index(index_dir)
    texts = [c.text for c in data.chunks]
    assert len(texts) >= 2000 and {c.lang for c in data.chunks} == {"en", "zh"}
    one_process = embedder.embed_documents(texts, progress=False)
    cosines = np.sum(one_process * np.asarray(data.vectors), axis=1)
    assert cosines.min() >= 0.999, f"{int((cosines < 0.999).sum())} vectors differ (min cosine {cosines.min():.4f})"


def test_an_existing_path_after_ray_is_a_path_not_an_address(tmp_path: Path):
    from rag.cli import build_parser, ray_and_paths

    args = build_parser().parse_args(["index", "--ray", str(tmp_path)])
    assert ray_and_paths(args.paths, args.ray) == ([tmp_path], "")
    args = build_parser().parse_args(["index", str(tmp_path), "--ray", "ray://head:10001"])
    assert ray_and_paths(args.paths, args.ray) == ([tmp_path], "ray://head:10001")
    args = build_parser().parse_args(["index", str(tmp_path)])
    assert ray_and_paths(args.paths, args.ray) == ([tmp_path], None)
