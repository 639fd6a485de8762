"""See where ``RAG_RENDER_MAX_OMISSION`` (the renderings' coverage check) should sit.

Renders statements with the local model the way ``rag index`` does, with the coverage check
switched off (so every rendering is a first or retried attempt of the other checks alone), and
prints for each the gain of its best "source without one phrase" over the whole source: a
rendering that left a phrase out is closer to the source without it. Statements, not questions:
the bundled document's 16 and a seeded sample of the document corpus's (PDF, Word, slides, web
page, spreadsheet; eval/documents), so no gold question is fitted. Read the table, mark the
renderings that really leave something out, and put the margin between them and the rest.

    .venv/bin/python eval/fit_coverage.py [--sample 40] [--seed 0] [--out coverage.jsonl]
        [--rescore coverage.jsonl]

About 5 minutes on 2 cores with the defaults; ``--rescore`` scores saved renderings again (after a
change to how statements divide into phrases) in seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import tempfile
from pathlib import Path

from rag.config import Settings
from rag.embedding import Embedder
from rag.evalrun import corpus_documents
from rag.factory import make_answerer, open_retriever
from rag.indexer import index_documents
from rag.rendering import Renderer, RenderingStore, droppable_phrases, statement_jobs, without


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=40, help="statements drawn from the document corpus")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="write one JSON line per rendering here")
    ap.add_argument("--rescore", type=Path, default=None, help="score the renderings of an earlier --out again")
    args = ap.parse_args()
    settings = dataclasses.replace(Settings.load(), render="off")
    if args.rescore:
        saved = [json.loads(line) for line in args.rescore.read_text(encoding="utf-8").splitlines()]
        embedder = Embedder(settings, progress=False)
        report([score(embedder, r["source"], r["rendering"], r["lang"], r["passed"]) for r in saved], args.out)
        return
    with tempfile.TemporaryDirectory(prefix="rag-coverage-") as tmp:
        settings = dataclasses.replace(settings, index_dir=Path(tmp))
        embedder = Embedder(settings, progress=False)
        index_documents(corpus_documents(settings, "documents"), settings, embedder=embedder, progress=False)
        retriever = open_retriever(settings, progress=False, embedder=embedder)
        chunks = retriever.index.chunks
        bundled = statement_jobs([c for c in chunks if c.doc_id.startswith("etdz-reform")])
        rest = [j for j in statement_jobs([c for c in chunks if not c.doc_id.startswith("etdz-reform")])
                if len(j.source) >= 40]  # a heading or a table cell has no phrase to leave out
        random.Random(args.seed).shuffle(rest)
        chosen = list(dict.fromkeys(bundled + rest[:args.sample]))
        renderer = Renderer(make_answerer(settings, "llm"), embedder, RenderingStore(Path(tmp)),
                            settings.render_min_similarity, max_omission=float("inf"))
        rows = []
        for n, job in enumerate(chosen, 1):
            r = renderer.render(job)
            rows.append(score(embedder, job.source, r.text, job.lang, r.passed))
            print(f"{n}/{len(chosen)} {rows[-1]['gain']:+.3f}", flush=True)
    report(rows, args.out)


def score(embedder: Embedder, source: str, rendering: str, lang: str, ok: bool) -> dict:
    """How much closer ``rendering`` is to ``source`` without its best phrase than to all of it."""
    phrases = droppable_phrases(source)
    vecs = embedder.embed_documents([rendering, source, *(without(source, p) for p in phrases)])
    cos = vecs[1:] @ vecs[0]
    gain, phrase = max(((float(c - cos[0]), p) for c, p in zip(cos[1:], phrases)), default=(float("nan"), ""))
    return {"gain": gain, "phrase": phrase, "passed": ok, "cosine": float(cos[0]), "source": source,
            "rendering": rendering, "lang": lang}


def report(rows: list[dict], out: Path | None) -> None:
    """The renderings, most suspect first (those with no phrase to leave out last)."""
    rows = sorted(rows, key=lambda r: -r["gain"] if r["gain"] == r["gain"] else 1)
    for r in rows:
        print(f"{r['gain']:+.3f} {'pass' if r['passed'] else 'FAIL'} cos {r['cosine']:.3f} | without: {r['phrase']}\n"
              f"    {r['source']}\n    {r['rendering']}")
    if out:
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
