"""Gradio chat over the index: streaming cited answers, source cards, documents panel, settings,
retrieval view and feedback. ``ChatService`` holds the loaded models and index; the Gradio
callbacks are thin wrappers around it, so the same logic serves the page and the HTTP API."""

# No `from __future__ import annotations`: Gradio finds the gr.LikeData parameter by its real annotation.
import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from rag.answer import Answer
from rag.config import Settings, feedback_path
from rag.documents import SUPPORTED_SUFFIXES, load_file
from rag.embedding import Embedder
from rag.errors import InputError, RagError
from rag.readers import STRUCTURED_SUFFIXES
from rag.evidence import EvidenceRanker
from rag.factory import make_answerer, make_renderer, render_documents
from rag.indexer import ensure_index, index_documents, remove_documents
from rag.pipeline import Pipeline
from rag.rendering import Renderer, RenderingStore
from rag.retrieval import Retriever
from rag.vectorstore import open_store

from .render import answer_html, retrieval_rows

EXAMPLES = ["2024年经开区实际使用外资多少？", "How much foreign investment did the development zones attract in 2024?",
            "生态环境部将在绿色低碳发展方面做什么？", "Which outlet published the article, and when?"]
ANSWERERS = ["llm", "extractive", "http"]
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

CSS = """
body, .gradio-container, .gradio-container * { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
  "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif; }
.answer { font-size: 1.02em; line-height: 1.6; }
.answer.refused { color: #8a5a00; }
.answer-meta { font-size: .8em; color: #666; margin: .3em 0 .5em; }
a.cite { font-weight: 600; text-decoration: none; color: #1f5fbf; }
.source-card { border: 1px solid #d0d7e2; border-radius: 8px; padding: .45em .7em; margin: .35em 0; background: #f7f9fc; }
.source-card:target { border-color: #1f5fbf; box-shadow: 0 0 0 2px #1f5fbf44; }
.source-head { font-weight: 600; } .source-n { color: #1f5fbf; }
.source-where { font-size: .8em; color: #555; } .source-text { margin-top: .25em; }
.source-rendering { margin-top: .3em; padding-top: .25em; border-top: 1px dashed #c5cdd9; }
.rendering-label { font-size: .75em; color: #8a5a00; margin-right: .4em; }
"""


class QuestionsFirst:
    """Questions before background model work: the background renderer waits (``wait``) while any
    question is being answered (``answering``). Both share the one model on 2 cores: asked while
    the bundled corpus rendered, four questions waited 32–57 s for their first token, 9–40 s with
    this gate (``python -m ui.render_wait``). A rendering already under way finishes first:
    llama.cpp cannot be interrupted mid-prompt."""

    def __init__(self) -> None:
        self._idle = threading.Condition()
        self._answering = 0

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        with self._idle:
            self._answering += 1
        try:
            yield
        finally:
            with self._idle:
                self._answering -= 1
                self._idle.notify_all()

    def wait(self) -> None:
        """Return once no question is being answered."""
        with self._idle:
            self._idle.wait_for(lambda: self._answering == 0)


class ChatService:
    """Loaded models, the open index and the feedback log; safe to share between sessions.

    The index is reopened after every upload or removal; a chat already running keeps the
    retriever it started with, so it answers from the old index until the new one is complete.
    """

    def __init__(self, settings: Settings, progress: bool = True, embedder: Embedder | None = None,
                 render_in_background: bool = False) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings, progress=progress)
        self.store = open_store(settings)
        first_start = ensure_index(settings, embedder=self.embedder, progress=progress)
        #: Shared by every retriever this service opens, so renderings made in the background or
        #: at question time are seen by all sessions at once.
        self.renderings = RenderingStore(settings.index_dir)
        self._render_in_background = render_in_background
        self._renderers: dict[str, Renderer | None] = {}
        self._index_lock = threading.Lock()  # one index write at a time; chats never wait on it
        self._answerer_lock = threading.Lock()  # loading a model once, even if two sessions ask
        self._feedback_lock = threading.Lock()
        self._retriever = self._open()
        self._answerers: dict[str, Any] = {}
        self._ranker = EvidenceRanker(self.embedder)  # shared, so statement vectors stay cached
        self.uploads = settings.index_dir / "uploads"  # the app's data folder; generations never touch it
        self.feedback_path = feedback_path(settings)
        self.render_thread: threading.Thread | None = None
        self.questions_first = QuestionsFirst()
        if render_in_background and first_start:
            # The bundled corpus was just built: render it before the page opens (about 74 s on 2
            # cores, once). Rendered behind the page instead, a reader's first question waited for
            # the statement being rendered (8.7 s to its first token) and was answered before the
            # renderings it needed existed.
            if progress:
                print("rendering the bundled corpus in the other language (first start only)…", file=sys.stderr)
            self.render_now(progress=progress)
        if render_in_background:
            self.warm_up()
        if not first_start:
            self.render_in_background()

    def warm_up(self) -> float:
        """Load the configured answerer's model and evaluate its system prompts before the chat takes
        questions; returns the seconds it took. Done in the background, the first question of a fresh
        chat waited for the model to load and for its prompts (9.1 s to its first token in a
        reader's check; ``python -m ui.render_wait --first``)."""
        t0 = time.perf_counter()
        try:
            warm_up = getattr(self.answerer(self.settings.answerer), "warm_up", None)
            if warm_up is not None:
                warm_up()
        except RagError as e:  # a missing model must not take the chat down: the question will say so
            print(f"warning: model warm-up skipped: {e}", file=sys.stderr)
        return time.perf_counter() - t0

    def _open(self) -> Retriever:
        return Retriever(self.store.open(self.embedder.identity), self.embedder, self.settings,
                         renderings=self.renderings)

    def renderer(self, answerer: str) -> Renderer | None:
        """The renderer writing with the ``answerer`` model (``None`` for the extractive one)."""
        if answerer not in self._renderers:
            self._renderers[answerer] = make_renderer(self.settings, self._retriever, self.answerer(answerer))
        return self._renderers[answerer]

    def render_now(self, doc_ids: set[str] | None = None, pause: Callable[[], None] | None = None,
                   progress: bool = False) -> None:
        """Render the statements of ``doc_ids`` (default: every document) before returning, with the
        configured answerer's model; a missing model is a warning, not an error. ``pause`` is called
        before each statement."""
        try:
            renderer = self.renderer(self.settings.answerer)
            if renderer is not None:  # render_documents itself skips lazy mode
                render_documents(self.settings, self._retriever, renderer, doc_ids, pause=pause,
                                 progress=progress)
        except RagError as e:  # a missing model must not take the chat down
            print(f"warning: rendering skipped: {e}", file=sys.stderr)

    def render_in_background(self, doc_ids: set[str] | None = None) -> None:
        """Render the statements of ``doc_ids`` (default: every document) in a background thread,
        with the configured answerer's model: a new document is searchable at once, and its
        renderings fill in. Then the model's system prompts are evaluated again (``warm_up``), so
        the next question does not pay for them. Only when the service was made with
        ``render_in_background``."""
        if not self._render_in_background:
            return

        def work() -> None:
            self.render_now(doc_ids, pause=self.questions_first.wait)
            self.questions_first.wait()
            self.warm_up()  # a rendering evicts the prompts evaluated before it

        self.render_thread = threading.Thread(target=work, name="render", daemon=True)
        self.render_thread.start()

    def answerer(self, name: str) -> Any:
        if name not in ANSWERERS:
            raise InputError(f"unknown answerer {name!r}", "choose llm, extractive or http")
        if name in self._answerers:
            return self._answerers[name]
        with self._answerer_lock:
            if name not in self._answerers:
                self._answerers[name] = make_answerer(self.settings, name)
            return self._answerers[name]

    def pipeline(self, answerer: str, passages: int) -> Pipeline:
        passages = int(passages)
        if not 1 <= passages <= 10:
            raise InputError(f"number of passages must be 1–10, not {passages}", "move the slider")
        s = dataclasses.replace(self.settings, top_k=passages)
        return Pipeline(self._retriever, self.answerer(answerer), s, ranker=self._ranker, renderer=self.renderer(answerer))

    def stream(self, question: str, history: list[tuple[str, str]], answerer: str, passages: int) -> Iterator[str | Answer]:
        with self.questions_first.answering():
            yield from self.pipeline(answerer, passages).stream(question, history=history)

    # -- documents ------------------------------------------------------------------------------
    def documents(self) -> list[list[Any]]:
        m = self.store.read_manifest()
        return [[doc_id, d["title"], d["lang"], d.get("date", ""), d["chunks"], d.get("pages") or ""]
                for doc_id, d in sorted(m.documents.items())]

    def indexed_files(self) -> list[str]:
        """The files of indexed structured documents that still exist: the chat serves exactly these
        (source cards link to them), nothing else on the disk."""
        m = self.store.read_manifest()
        files = {str(Path(d["path"]).resolve()) for d in m.documents.values()
                 if d.get("path", "").lower().endswith(STRUCTURED_SUFFIXES) and Path(d["path"]).is_file()}
        self.uploads.mkdir(parents=True, exist_ok=True)  # files uploaded later are served from here
        return sorted(files | {str(self.uploads.resolve())})

    def add_file(self, tmp_path: str, original_name: str) -> str:
        """Validate, copy into the uploads folder (by base name only) and index one uploaded file."""
        name = Path(original_name.replace("\\", "/")).name  # "../../x.md" or "/etc/x.md" -> "x.md"
        if not name or name.startswith("."):
            raise InputError(f"unusable file name {original_name!r}", "rename the file")
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise InputError(f"{name}: unsupported file type", f"upload one of {', '.join(SUPPORTED_SUFFIXES)}")
        size = Path(tmp_path).stat().st_size
        if size > self.settings.max_file_bytes:
            raise InputError(f"{name}: {size:,} bytes is over the {self.settings.max_file_bytes:,}-byte limit",
                             "split the file")
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / name
            shutil.copyfile(tmp_path, staged)
            # Parse fully before touching the index; the documents name the file where it will be kept.
            docs = [dataclasses.replace(d, path=str(self.uploads / name))
                    for d in load_file(staged, self.settings.max_file_bytes, self.settings.max_pages,
                                       ocr=self.settings.reads_scans)]
            with self._index_lock:
                report = index_documents(docs, self.settings, embedder=self.embedder, progress=False)
                self.uploads.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(staged, self.uploads / name)
                self._retriever = self._open()
        self.render_in_background({d.doc_id for d in docs})
        return " ".join([report.summary(), *(f"⚠️ {w}" for d in docs for w in d.warnings)])

    def remove(self, doc_id: str) -> str:
        if not doc_id:
            raise InputError("no document chosen", "pick a document id to remove")
        with self._index_lock:
            report = remove_documents([doc_id], self.settings)
            self._retriever = self._open()
        return report.summary()

    # -- feedback -------------------------------------------------------------------------------
    def record_feedback(self, answer: dict[str, Any], vote: str) -> None:
        row = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "vote": vote, "question": answer.get("question"),
               "answer": answer.get("answer"), "citations": answer.get("citations"), "answerer": answer.get("answerer")}
        self.feedback_path.parent.mkdir(parents=True, exist_ok=True)
        with self._feedback_lock, open(self.feedback_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def build_app(service: ChatService):
    """The Gradio Blocks app around a ``ChatService``."""
    import gradio as gr

    def history_pairs(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return [(r["question"], r["answer"]) for r in records if not r.get("error")]

    def respond(message: str, chat: list[dict[str, Any]], records: list[dict[str, Any]], answerer: str, passages: int):
        chat, records = list(chat or []), list(records or [])
        chat.append({"role": "user", "content": message})
        chat.append({"role": "assistant", "content": "…"})
        turn = len(records)
        try:
            text = ""
            for piece in service.stream(message, history_pairs(records), answerer, passages):
                if isinstance(piece, Answer):
                    chat[-1] = {"role": "assistant", "content": answer_html(piece, turn)}
                    records.append(piece.to_dict())
                    lang = {"zh": "中文 (zh)", "en": "English (en)", "mixed": "mixed 中英"}.get(piece.language, piece.language)
                    yield chat, records, "", f"Detected question language: **{lang}**", retrieval_rows(piece)
                    return
                text += piece
                chat[-1] = {"role": "assistant", "content": text}
                yield chat, records, "", gr.skip(), gr.skip()
        except RagError as e:
            chat[-1] = {"role": "assistant", "content": f"⚠️ error: {e}"}
            records.append({"question": message, "answer": "", "error": str(e)})
            keep = message if len(message) <= service.settings.max_question_chars else ""
            yield chat, records, keep, f"⚠️ {e}", []

    def retry(chat: list[dict[str, Any]], records: list[dict[str, Any]], answerer: str, passages: int):
        if not records:
            yield chat, records, "", "Nothing to retry yet.", []
            return
        last = records[-1]["question"]
        yield from respond(last, list(chat)[:-2], list(records)[:-1], answerer, passages)

    def on_like(records: list[dict[str, Any]], data: gr.LikeData) -> str:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = int(index) // 2
        if not 0 <= turn < len(records) or records[turn].get("error"):
            return "Nothing to rate there."
        vote = "up" if data.liked else "down"
        service.record_feedback(records[turn], vote)
        return f"Thanks — feedback ({vote}) saved to {service.feedback_path}."

    def upload(files: list[str] | None, progress=gr.Progress()):
        if not files:
            return f"Choose a file first ({', '.join(SUPPORTED_SUFFIXES)}).", gr.skip(), gr.skip()
        notes = []
        for i, f in enumerate(files):
            progress((i, len(files)), desc=f"Indexing file {i + 1} of {len(files)}", unit="files")
            path = f if isinstance(f, str) else f.name
            original = getattr(f, "orig_name", None) or Path(path).name
            try:
                notes.append(f"✅ {Path(original).name}: {service.add_file(path, original)}")
            except RagError as e:
                notes.append(f"⚠️ {e}")
        docs = service.documents()
        return "\n\n".join(notes), docs, gr.update(choices=[d[0] for d in docs], value=None)

    def remove(doc_id: str | None):
        try:
            msg = f"🗑️ {service.remove(doc_id or '')}"
        except RagError as e:
            msg = f"⚠️ {e}"
        docs = service.documents()
        return msg, docs, gr.update(choices=[d[0] for d in docs], value=None)

    def api_ask(question: str, answerer: str = "extractive", passages: float = 5) -> dict[str, Any]:
        """HTTP API: one question in, the answer record (JSON) out."""
        try:
            final = None
            for piece in service.stream(question, [], answerer, int(passages)):
                if isinstance(piece, Answer):
                    final = piece
            return final.to_dict() if final else {"error": "no answer"}
        except RagError as e:
            return {"question": question, "error": str(e)}

    def api_add_document(file: str | None) -> str:
        """HTTP API: index one file (gradio_client's handle_file); the summary, or "error: …"."""
        if not file:
            return "error: no file given — pass a .txt, .md or .jsonl file"
        try:
            return service.add_file(file, Path(file).name)  # Gradio keeps the uploaded file's own name
        except RagError as e:
            return f"error: {e}"

    with gr.Blocks(title="Bilingual RAG · 中英文问答") as demo:
        records = gr.State([])
        gr.Markdown("## 中英文文档问答 · Bilingual document Q&A\nAsk in Chinese or English; answers cite the "
                    "statements they use. 用中文或英文提问，答案会标注引用来源。")
        with gr.Tabs():
            with gr.Tab("Chat · 对话"):
                chatbot = gr.Chatbot(height=520, label="Chat", elem_id="chat", sanitize_html=True,
                                     render_markdown=False, buttons=["copy"])
                lang_note = gr.Markdown("", elem_id="lang-note")
                with gr.Row():
                    box = gr.Textbox(placeholder="输入问题 / Type a question…", show_label=False, scale=8,
                                     elem_id="question", max_lines=6)
                    send = gr.Button("Ask · 提问", variant="primary", scale=1, elem_id="ask")
                with gr.Row():
                    retry_btn = gr.Button("Retry · 重试", elem_id="retry")
                    clear_btn = gr.Button("Clear · 清空", elem_id="clear")
                gr.Examples(EXAMPLES, inputs=box, label="Examples · 示例")
                feedback_note = gr.Markdown("", elem_id="feedback-note")
            with gr.Tab("Documents · 文档"):
                docs = gr.Dataframe(value=service.documents(), headers=["id", "title", "lang", "date", "chunks", "pages"],
                                    interactive=False, elem_id="docs", wrap=True)
                files = gr.File(file_count="multiple", file_types=list(SUPPORTED_SUFFIXES), label="Upload .txt .md .jsonl .pdf .docx .html .pptx .xlsx",
                                elem_id="upload")
                index_btn = gr.Button("Index uploaded files · 建立索引", elem_id="index-btn")
                with gr.Row():
                    doc_pick = gr.Dropdown(choices=[d[0] for d in service.documents()], label="Document id",
                                           elem_id="doc-pick")
                    remove_btn = gr.Button("Remove · 删除", variant="stop", elem_id="remove-btn")
                doc_status = gr.Markdown("", elem_id="doc-status")
            with gr.Tab("Settings · 设置"):
                answerer = gr.Radio(ANSWERERS, value=service.settings.answerer if service.settings.answerer in ANSWERERS
                                    else "llm", label="Answerer: local model, extractive, HTTP endpoint",
                                    elem_id="answerer")
                passages = gr.Slider(1, 10, value=service.settings.top_k, step=1, label="Passages retrieved",
                                     elem_id="passages")
                gr.Markdown("### Retrieval view (last question)")
                retrieval = gr.Dataframe(headers=["rank", "chunk", "group", "fused", "dense rank", "dense score",
                                                  "BM25 rank", "BM25 score"], interactive=False, elem_id="retrieval")

        outputs = [chatbot, records, box, lang_note, retrieval]
        send.click(respond, [box, chatbot, records, answerer, passages], outputs, api_name=False)
        box.submit(respond, [box, chatbot, records, answerer, passages], outputs, api_name=False)
        retry_btn.click(retry, [chatbot, records, answerer, passages], outputs, api_name=False)
        clear_btn.click(lambda: ([], [], "", "", []), None, outputs, api_name=False)
        chatbot.like(on_like, [records], feedback_note, api_name=False)
        index_btn.click(upload, files, [doc_status, docs, doc_pick], api_name=False)
        remove_btn.click(remove, doc_pick, [doc_status, docs, doc_pick], api_name=False)
        # The HTTP API (gradio_client): predict(question, answerer, passages, api_name="/ask").
        api_in = [gr.Textbox(visible=False), gr.Textbox(visible=False), gr.Number(visible=False)]
        api_btn = gr.Button(visible=False)
        api_btn.click(api_ask, api_in, gr.JSON(visible=False), api_name="ask")
        # predict(handle_file(path), api_name="/add_document"); chats keep answering meanwhile.
        api_doc_btn = gr.Button(visible=False)
        api_doc_btn.click(api_add_document, gr.File(visible=False, type="filepath"), gr.Textbox(visible=False),
                          api_name="add_document")
    return demo


def parse_auth(value: str) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise InputError("RAG_AUTH must look like user:password", "set RAG_AUTH=user:password")
    return user, password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rag chat", description="Start the chat page.")
    parser.add_argument("--host", default=os.environ.get("RAG_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", "7860")))
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--embed-model")
    args = parser.parse_args(argv)
    try:
        settings = Settings.load({"index_dir": args.index_dir, "embed_model": args.embed_model})
        auth = parse_auth(os.environ.get("RAG_AUTH", ""))
        if args.host not in LOCAL_HOSTS and auth is None:
            raise InputError(f"binding {args.host} exposes the chat beyond this machine",
                             "set RAG_AUTH=user:password (Gradio login) or use --host 127.0.0.1")
        print("loading models and index (first start builds them)…", file=sys.stderr)
        service = ChatService(settings, render_in_background=True)
        demo = build_app(service)
    except RagError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    demo.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, auth=auth, css=CSS, show_error=True,
        max_file_size=settings.max_file_bytes, footer_links=["api"], allowed_paths=service.indexed_files())
    return 0


if __name__ == "__main__":
    sys.exit(main())
