"""The ``rag`` command line. Every failure the user can cause ends in one ``error:`` line, exit 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from .chunking import chunk_label, group_label, location_label
from .config import Settings, feedback_path
from .errors import InputError, RagError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse prints usage + exits 2; we want one line
        raise InputError(message, f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rag", description="Bilingual (Chinese + English) retrieval-augmented Q&A over your documents.")
    p.add_argument("--index-dir", type=Path, help="index folder (default: index/, or RAG_INDEX_DIR)")
    p.add_argument("--embed-model", help="sentence-transformers name or folder (RAG_EMBED_MODEL)")
    p.add_argument("--store", choices=("faiss", "milvus"), help="where the index is kept (RAG_STORE; default faiss)")
    p.add_argument("--milvus-uri", help="Milvus Lite .db path or http://host:19530 (RAG_MILVUS_URI)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    s = sub.add_parser("index", help="index files or folders (default: the bundled corpus)")
    s.add_argument("paths", nargs="*", type=Path)
    s.add_argument("--rebuild", action="store_true", help="discard the existing index and build anew")
    s.add_argument("--no-render", action="store_true",
                   help="skip the renderings of statements in the other language (RAG_RENDER=off does too)")
    s.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="embed on Ray Data: a local Ray instance, or the cluster at ADDRESS (needs the scale extra)")

    sub.add_parser("docs", help="list indexed documents")

    s = sub.add_parser("remove", help="remove documents by id")
    s.add_argument("doc_ids", nargs="+")

    s = sub.add_parser("search", help="hybrid search; no query opens an interactive prompt")
    s.add_argument("query", nargs="?")
    s.add_argument("-k", type=int, default=None, help="number of results (default 5, RAG_TOP_K)")
    s.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid")
    s.add_argument("--json", action="store_true", help="JSON output")
    s.add_argument("--batch", type=Path, help='JSONL file of {"id", "question"} lines ("-" = stdin)')
    s.add_argument("--doc", action="append", default=[], metavar="DOC_ID",
                   help="search only this document (repeatable; ids from `rag docs`)")
    s.add_argument("--lang", choices=("zh", "en"), help="search only chunks in this language")

    s = sub.add_parser("ask", help="answer a question with citations; no question opens an interactive prompt")
    s.add_argument("question", nargs="?")
    s.add_argument("--answerer", choices=("llm", "extractive", "http"), help="default: RAG_ANSWERER or llm (the local model)")
    s.add_argument("--json", action="store_true", help="JSON output")
    s.add_argument("--batch", type=Path, help='JSONL file of {"id", "question"} lines ("-" = stdin)')

    s = sub.add_parser("eval", help="evaluate on a gold set (or `rag eval xquad`)")
    s.add_argument("gold", nargs="?", default=None,
                   help="gold JSONL (default: the bundled eval/gold.jsonl); 'xquad' for the XQuAD benchmark; 'feedback' to summarise the chat's votes")
    s.add_argument("--feedback", type=Path, default=None, help="feedback log (eval feedback; default index/feedback.jsonl)")
    s.add_argument("--answerer", choices=("llm", "extractive", "http"), default=None)
    s.add_argument("--out", type=Path, default=Path("eval/reports"), help="report folder")
    s.add_argument("--data", type=Path, default=Path("../shared/benchmarks/xquad"), help="XQuAD folder (xquad only)")
    s.add_argument("--answers", type=int, default=50,
                   help="xquad only: questions answered per language, the same ones in both (default 50)")
    s.add_argument("--limit", type=int, default=0, help="questions (0 = all; xquad: per language, default 300)")
    s.add_argument("--calibrate", action="store_true", help="print the refusal thresholds that the tune split supports (RAG_REFUSE_BELOW; with --answerer llm also RAG_LLM_REFUSE_ABOVE)")
    s.add_argument("--split", choices=("all", "tune", "test"), default="all",
                   help="gold questions to ask: tune (rules may be fitted to it), test (frozen) or all (default)")
    s.add_argument("--corpus", choices=("bundled", "distractors", "documents"), default="bundled",
                   help="bundled: the index in use; distractors: the bundled document among 72 others (eval/distractors); documents: PDF, Word, web, slide and sheet files (eval/documents)")
    s.add_argument("--rescore", type=Path, default=None, metavar="REPORT",
                   help="score the answers saved in an earlier report (gold-*.json) again with today's metrics")

    s = sub.add_parser("chat", help="start the chat page (http://127.0.0.1:7860)")
    s.add_argument("--host", help="address to bind (default 127.0.0.1, RAG_HOST); others need RAG_AUTH")
    s.add_argument("--port", type=int, help="port (default 7860, RAG_PORT)")

    s = sub.add_parser("doctor", help="check models, index integrity, index/model match and disk space")
    s.add_argument("--deep", action="store_true", help="re-hash the GGUF model files too (slow)")

    s = sub.add_parser("bench", help="measure speed and memory (prints figures; see README, Performance)")
    s.add_argument("what", nargs="*", default=["build", "search", "dense", "ask", "startup", "peer", "extract", "store", "ray"],
                   help="any of build, search, dense, ask, startup, peer, extract, store, ray (default: all)")
    s.add_argument("--sizes", default="1000,10000,100000", help="chunk counts for build and search")
    s.add_argument("--dense-size", type=int, default=1_000_000, help="synthetic vectors for `dense`")
    s.add_argument("--peer-size", type=int, default=1000, help="chunks for the LangChain comparison")
    s.add_argument("--store-size", type=int, default=20_000, help="chunks for the FAISS / Milvus comparison")
    s.add_argument("--ray-size", type=int, default=512, help="chunks for the Ray / one-process embedding comparison")
    s.add_argument("--runs", type=int, default=50, help="measured repetitions per figure, after warm-up")
    s.add_argument("--work", type=Path, help="folder for the benchmark indexes (default: <cache>/bench; reused)")
    s.add_argument("--xquad", type=Path, default=Path("../shared/benchmarks/xquad"), help="XQuAD folder")
    s.add_argument("--out", type=Path, help="also write the figures as JSON")

    s = sub.add_parser("fetch-models", help="download and verify model weights into the cache")
    s.add_argument("names", nargs="*", help="model names (default: the configured embedding model)")

    return p


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    return Settings.load({"index_dir": args.index_dir, "embed_model": args.embed_model, "store": args.store,
                          "milvus_uri": args.milvus_uri, **extra})


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False))


def ray_and_paths(paths: list[Path], ray: str | None) -> tuple[list[Path], str | None]:
    """``--ray`` takes an optional address, so in `rag index --ray docs/` argparse reads the path as
    the address: a value that exists on disk is a path, and Ray starts locally."""
    if ray and Path(ray).exists():
        return [*paths, Path(ray)], ""
    return paths, ray


def cmd_index(args: argparse.Namespace) -> int:
    from .documents import load_documents
    from .indexer import default_documents, index_documents, rebuild_sources

    settings = _settings(args)
    args.paths, args.ray = ray_and_paths(args.paths, args.ray)
    if args.paths:
        docs = load_documents(args.paths, settings.max_file_bytes, settings.max_pages, ocr=settings.reads_scans)
    elif args.rebuild:
        docs = load_documents(rebuild_sources(settings), settings.max_file_bytes, settings.max_pages,
                              ocr=settings.reads_scans)
    else:
        docs = default_documents(settings)
    for doc in docs:
        for line in doc.warnings:
            print(f"warning: {line}", file=sys.stderr)
    render = not args.no_render and settings.render in ("auto", "eager")
    # Rendering opens the index with the embedder (for the similarity check): load it once for both
    # steps. Without rendering, indexing loads it only if there is something new to embed.
    embedder = None
    if render and args.ray is None:
        from .embedding import Embedder

        embedder = Embedder(settings, progress=not args.quiet)
    report = index_documents(docs, settings, embedder=embedder, rebuild=args.rebuild, progress=not args.quiet,
                             ray_address=args.ray)
    for new, old in report.duplicates.items():
        print(f"skipped {new}: same content as {old}", file=sys.stderr)
    print(report.summary())
    if render:
        print(render_index(settings, progress=not args.quiet, embedder=embedder))
    return 0


def render_index(settings: Settings, progress: bool = True, embedder: Any = None) -> str:
    """Render the index's statements with the configured model (``factory.render_documents``); the
    summary line. Resumable: statements already tried are skipped."""
    from .errors import ModelError
    from .factory import make_answerer, make_renderer, open_retriever, render_documents

    retriever = open_retriever(settings, progress=progress, embedder=embedder)
    try:
        answerer = make_answerer(settings)
    except ModelError as e:
        return f"renderings skipped: {e}"
    renderer = make_renderer(settings, retriever, answerer)
    if renderer is None:
        return f"renderings skipped: the {settings.answerer} answerer has no model to write them"
    return render_documents(settings, retriever, renderer, progress=progress).summary()


def cmd_docs(args: argparse.Namespace) -> int:
    from .vectorstore import open_store

    settings = _settings(args)
    manifest = open_store(settings).read_manifest()
    print(f"{'id':40} {'kind':12} {'lang':4} {'pages':>5} {'chunks':>6}  {'date':16}  title")
    for doc_id, d in sorted(manifest.documents.items()):
        pages = d.get("pages") or ""
        print(f"{doc_id[:40]:40} {d.get('kind', '')[:12]:12} {d['lang']:4} {pages:>5} {d['chunks']:>6}  "
              f"{d.get('date', '')[:16]:16}  {d['title']}")
        for line in d.get("warnings", ()):
            print(f"{'':40} warning: {line}")
    print(f"{len(manifest.documents)} documents, {manifest.chunk_count} chunks; model {manifest.model.get('name')}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from .indexer import remove_documents

    print(remove_documents(args.doc_ids, _settings(args)).summary())
    return 0


def _read_batch(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """Yield (line number, request or None, error) for each non-blank line of a batch file."""
    if str(path) == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{path}: cannot read the batch file ({type(e).__name__})",
                             "pass a UTF-8 JSONL file of {\"id\", \"question\"} lines") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
                raise ValueError("needs a string 'question'")
            yield n, obj, ""
        except ValueError as e:
            yield n, None, f"{path}:{n}: {e}"


def run_batch(path: Path, handle: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """One JSON line out per input line, same order; a bad line gives an ``error`` line, not a crash."""
    failures = 0
    for n, req, err in _read_batch(path):
        if req is None:
            _print_json({"id": None, "line": n, "error": err})
            failures += 1
            continue
        try:
            _print_json(handle(req))
        except RagError as e:
            _print_json({"id": req.get("id"), "error": str(e)})
            failures += 1
        sys.stdout.flush()
    return 1 if failures else 0


def _print_hits(result: Any) -> None:
    lang = result.language
    print(f"question language: {lang.code}" + (f" (mostly {lang.dominant})" if lang.code == "mixed" else ""))
    for h in result.hits:
        c = h.chunk
        by = ", ".join(f"{k} #{v.rank} ({v.score:.3f})" for k, v in h.retrievers.items())
        print(f"\n[{h.rank}] {c.title[:60]} — {chunk_label(c)}   "
              f"score {h.score:.4f}  [{by}]")
        for s in c.statements:
            refs = "".join(f"[{r}]" for r in s.refs)
            print(f"    - {s.text} {refs}".rstrip())


def cmd_search(args: argparse.Namespace) -> int:
    from .factory import open_retriever
    from .records import Where
    from .retrieval import clean_question

    settings = _settings(args)
    if args.k is not None and args.k < 1:
        raise InputError(f"-k must be at least 1, not {args.k}", "pass a positive number of results")
    if args.batch and args.query:
        raise InputError("give either a query or --batch, not both", "see `rag search --help`")
    if args.query is not None:  # reject a bad question before spending seconds on loading the model
        clean_question(args.query, settings.max_question_chars)
    retriever = open_retriever(settings, progress=not args.quiet)
    where = Where(doc_ids=tuple(args.doc), lang=args.lang or "")
    unknown = [d for d in where.doc_ids if d not in retriever.index.manifest.documents]
    if unknown:
        raise InputError(f"no document with id {', '.join(map(repr, unknown))} in the index", "see `rag docs` for the ids")
    if args.batch:
        return run_batch(args.batch, lambda r: retriever.search(r["question"], args.k, args.mode, id=r.get("id"),
                                                                where=where).to_dict())
    if args.query is not None:
        result = retriever.search(args.query, args.k, args.mode, where=where)
        _print_json(result.to_dict()) if args.json else _print_hits(result)
        return 0
    return _repl(lambda q: (lambda r: _print_json(r.to_dict()) if args.json else _print_hits(r))(
        retriever.search(q, args.k, args.mode, where=where)))


def _repl(handle: Callable[[str], None]) -> int:
    """Read questions until an empty line or end of input; an error is printed and the loop goes on."""
    print("Ask in Chinese or English (empty line or Ctrl-D to quit).", file=sys.stderr)
    while True:
        try:
            q = input("? ")
        except EOFError:
            return 0
        if not q.strip():
            return 0
        try:
            handle(q)
        except RagError as e:
            print(f"error: {e}", file=sys.stderr)


def _print_answer(answer: Any) -> None:
    print(answer.answer)
    for c in answer.citations:
        refs = "".join(f"[{r}]" for r in c.refs)
        where = (location_label(c.file, c.page, c.pages, c.place, c.section) if c.file
                 else group_label(c.group, c.group_title, c.chunk_id))
        print(f"  [{c.n}] {c.title[:40]} — {where} {refs}\n      {c.text}")


def cmd_ask(args: argparse.Namespace) -> int:
    from .factory import open_pipeline
    from .retrieval import clean_question

    settings = _settings(args)
    if args.batch and args.question:
        raise InputError("give either a question or --batch, not both", "see `rag ask --help`")
    if args.question is not None:
        clean_question(args.question, settings.max_question_chars)
    pipeline = open_pipeline(settings, args.answerer, progress=not args.quiet)
    if args.batch:
        return run_batch(args.batch, lambda r: pipeline.ask(r["question"], id=r.get("id")).to_dict())
    if args.question is not None:
        answer = pipeline.ask(args.question)
        _print_json(answer.to_dict()) if args.json else _print_answer(answer)
        return 0
    history: list[tuple[str, str]] = []

    def handle(q: str) -> None:
        answer = pipeline.ask(q, history=history)
        _print_json(answer.to_dict()) if args.json else _print_answer(answer)
        history.append((answer.question, answer.answer))

    return _repl(handle)


def cmd_eval(args: argparse.Namespace) -> int:
    from .evalrun import eval_gold, eval_xquad

    settings = _settings(args)
    if args.gold == "feedback":
        from .evalrun import eval_feedback

        return eval_feedback(args.feedback or feedback_path(settings))
    if args.gold == "xquad":
        eval_xquad(settings, args.data, args.limit or 300, args.out, progress=not args.quiet,
                   answerer=args.answerer or "extractive", answers_per_language=args.answers)
        return 0
    from .evaluation import GOLD_PATH

    return eval_gold(settings, Path(args.gold) if args.gold else GOLD_PATH, args.answerer, args.out, args.limit, args.calibrate,
                     progress=not args.quiet, split=args.split, corpus=args.corpus,
                     rescore_report=args.rescore)


def cmd_chat(args: argparse.Namespace) -> int:
    from ui.app import main as chat_main

    extra = ["--index-dir", str(args.index_dir)] if args.index_dir else []
    extra += ["--embed-model", args.embed_model] if args.embed_model else []
    extra += ["--host", args.host] if args.host else []
    extra += ["--port", str(args.port)] if args.port else []
    return chat_main(extra)


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor

    checks = run_doctor(_settings(args), deep=args.deep)
    for c in checks:
        print(f"{'ok ' if c.ok else 'BAD'}  {c.name:28} {c.detail}" + (f"\n     → {c.fix}" if c.fix else ""))
    bad = sum(not c.ok for c in checks)
    print(f"{len(checks) - bad} ok, {bad} to fix")
    return 1 if bad else 0


def cmd_fetch_models(args: argparse.Namespace) -> int:
    from .weights import SOURCES, ensure_weights, resolve_source

    settings = _settings(args)
    names = args.names or [settings.embed_model]
    for name in names:
        source = resolve_source(name)
        if source is None:
            raise InputError(f"no pinned weights named {name!r}", f"choose from {', '.join(SOURCES)}")
        print(ensure_weights(source, settings.cache_dir, progress=not args.quiet))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_benchmarks

    settings = _settings(args)
    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--sizes {args.sizes!r} is not a list of numbers", "e.g. --sizes 1000,10000") from None
    if args.runs < 1 or any(n < 1 for n in sizes):
        raise InputError("--runs and --sizes must be positive", "e.g. --runs 50 --sizes 1000,10000")
    run_benchmarks(settings, args.what, sizes, args.dense_size, args.peer_size, args.runs,
                   args.work or settings.cache_dir / "bench", args.xquad, args.out, args.store_size, args.ray_size)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "index": cmd_index, "docs": cmd_docs, "remove": cmd_remove, "search": cmd_search,
    "ask": cmd_ask, "eval": cmd_eval, "chat": cmd_chat, "doctor": cmd_doctor, "fetch-models": cmd_fetch_models,
    "bench": cmd_bench,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rag``; returns the exit status."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 0
        return COMMANDS[args.command](args)
    except RagError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
