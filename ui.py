"""The chat web page (Gradio): streamed, cited answers; sources you can check; your own documents.

Run: `make run` (or `.venv/bin/python ui.py`). It listens on 127.0.0.1:7860; GRADIO_SERVER_PORT changes
the port, GRADIO_SERVER_NAME the address (another address without QA_UI_USERNAME/QA_UI_PASSWORD
prints a warning).
"""
from __future__ import annotations

import html
import os
import re
import shutil
import sys
import threading
import unicodedata
import uuid
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no network calls

import gradio as gr  # noqa: E402

from qa.answer import Answer  # noqa: E402
from qa.text import MARKER, marker_numbers  # noqa: E402
from qa.api import Assistant  # noqa: E402
from qa.documents import load_document  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.settings import Settings  # noqa: E402

EXAMPLES = [
    "What is Korea's robot density?",
    "How many high-performance GPUs is South Korea getting?",
    "Where was the first presentation of the national AI models held?",
    "국가 AI 모델 프로젝트 첫 발표회는 어디서 열렸어?",
]
CSS = """
.qa-card { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 8px 0; background: #fff; }
.qa-card h4 { margin: 0 0 4px 0; font-size: 0.95em; }
.qa-card .qa-score { color: #57606a; font-weight: normal; font-size: 0.85em; }
.qa-card .qa-text { white-space: pre-wrap; font-size: 0.9em; line-height: 1.4; }
.qa-card mark { background: #fff3b0; padding: 0 1px; }
.qa-refusal { border-left: 4px solid #d29922; padding: 4px 10px; background: #fff8e5; }
"""


class App:
    """One loaded pipeline shared by every visitor; per-visitor state lives in Gradio's session state."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        self.assistant = Assistant(settings=self.settings)
        self.ready = threading.Event()
        self.load_error: str | None = None
        self._upload_lock = threading.Lock()
        threading.Thread(target=self._warm_up, daemon=True).start()

    def _warm_up(self) -> None:
        """Load the generator and the embedder in the background: the page is usable meanwhile."""
        try:
            self.assistant.generator()
            self.assistant.search("warm up", k=1)
        except Exception as e:  # shown in the page's status line
            self.load_error = f"{type(e).__name__}: {e}"
        finally:
            self.ready.set()

    def status(self) -> str:
        if not self.ready.is_set():
            return "Loading the language model… you can already browse and upload documents."
        if self.load_error:
            return f"**The language model could not be loaded:** {html.escape(self.load_error)}"
        return f"Ready — generator `{self.settings.generator}` on `{self.settings.backend}`."

    # --- chat -----------------------------------------------------------------------------------

    def chat(self, message: str, chat: list, pairs: list, k: int, generator: str):
        """Stream an answer: partial text first, then the verified answer and its sources."""
        message = (message or "").strip()
        if not message:
            yield "", chat, pairs, gr.skip()
            return
        chat = list(chat or []) + [{"role": "user", "content": html.escape(message)},
                                   {"role": "assistant", "content": "…"}]
        yield "", chat, pairs, "<p><i>Searching the documents…</i></p>"
        turn = uuid.uuid4().hex[:6]
        streamed = ""
        try:
            for item in self.assistant.ask_stream(message, history=pairs or None, k=int(k), generator=generator):
                if isinstance(item, Answer):
                    chat = chat[:-1] + [{"role": "assistant", "content": render_answer(item, turn)}]
                    pairs = list(pairs or []) + [(message, item.text)]
                    yield "", chat, pairs, render_sources(item, turn)
                else:
                    streamed += item
                    chat = chat[:-1] + [{"role": "assistant", "content": html.escape(streamed) + " ▌"}]
                    yield "", chat, pairs, gr.skip()
        except QAError as e:
            chat = chat[:-1] + [{"role": "assistant", "content": f"<div class='qa-refusal'>⚠️ {html.escape(str(e))}</div>"}]
            yield "", chat, pairs, ""

    # --- documents --------------------------------------------------------------------------------

    def documents_table(self) -> list[list]:
        return [[d["id"], d["chunks"], f"{d['bytes'] / 1024:.1f} KB"] for d in self.assistant.documents()]

    def uploaded_ids(self) -> list[str]:
        uploads = self.settings.uploads_dir.resolve()
        out = []
        for record in self.assistant.store.documents.values():
            path = (self.assistant.index_dir / record.path).resolve()
            if uploads in path.parents:
                out.append(record.id)
        return sorted(out)

    def upload(self, files, progress=gr.Progress()):
        """Check, save (sanitized name, in the uploads folder only) and index each uploaded file."""
        messages = []
        files = files or []
        with self._upload_lock:
            for i, f in enumerate(files):
                source = Path(getattr(f, "name", f))
                progress((i, len(files)), desc=f"Indexing {source.name}")
                try:
                    doc_id = self._save_and_index(source)
                    messages.append(f"✅ {html.escape(doc_id)}: indexed")
                except QAError as e:
                    messages.append(f"❌ {html.escape(str(e))}")
        return ("<br>".join(messages) or "No file."), self.documents_table(), gr.update(choices=self.uploaded_ids(), value=None), None

    def _save_and_index(self, source: Path) -> str:
        name = safe_name(source.name)
        suffix = Path(name).suffix
        # type, size, empty, binary, undecodable: refused by the loader before anything is saved
        doc = load_document(source, name, self.settings.max_file_bytes)
        same = next((r.id for r in self.assistant.store.documents.values() if r.sha256 == doc.sha256), None)
        if same:
            raise QAError(f"{name}: the same content is already indexed as {same}")
        taken = {d["id"] for d in self.assistant.documents()}
        target_name = name
        n = 2
        while target_name in taken or (self.settings.uploads_dir / target_name).exists():
            target_name = f"{Path(name).stem}-{n}{suffix}"
            n += 1
        target = self.settings.uploads_dir / target_name
        tmp = target.with_name(f".{target_name}.{uuid.uuid4().hex}.tmp")
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
        try:
            self.assistant.add([target])
        except QAError:
            target.unlink(missing_ok=True)
            raise
        return target_name

    def remove(self, doc_id: str | None):
        if not doc_id:
            return "Choose an uploaded document to remove.", self.documents_table(), gr.update()
        try:
            if doc_id not in self.uploaded_ids():
                raise QAError(f"{doc_id} is not an uploaded document")
            self.assistant.remove(doc_id)
            message = f"🗑️ {html.escape(doc_id)}: removed"
        except QAError as e:
            message = f"❌ {html.escape(str(e))}"
        return message, self.documents_table(), gr.update(choices=self.uploaded_ids(), value=None)


def safe_name(name: str, limit: int = 100) -> str:
    """A file name that is only a name: no folders, no dots in front, only safe characters.

    >>> safe_name("../../etc/pass wd.txt")
    'pass_wd.txt'
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).lstrip("._") or "document"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem[: max(1, limit - len(ext) - 1)]
    return f"{stem}.{ext}" if ext else stem


def render_answer(answer: Answer, turn: str) -> str:
    """The answer as chat HTML: text escaped, each [n] a link to its source card; a refusal looks different."""
    if answer.refused:
        return (f"<div class='qa-refusal'>🛈 {html.escape(answer.text)}<br><small>Closest passages are shown "
                f"under Sources.</small></div>")
    text = html.escape(answer.text)
    # every number of a marker ("[1]", "[2, 3]") links to its card
    text = MARKER.sub(lambda m: "<sup>[" + ", ".join(f"<a href='#src-{turn}-{n}'>{n}</a>" for n in marker_numbers(m.group()))
                      + "]</sup>", text)
    notes = []
    if answer.conflict:
        notes.append("⚖️ The sources give different figures.")
    if answer.rewritten:
        notes.append(f"↪ Understood as: {html.escape(answer.rewritten)}")
    return text + "".join(f"<br><small>{n}</small>" for n in notes)


def _highlight(passage: str, quote: str) -> str:
    at = passage.find(quote) if quote else -1
    if at < 0:
        return html.escape(passage)
    return (html.escape(passage[:at]) + "<mark>" + html.escape(quote) + "</mark>"
            + html.escape(passage[at + len(quote):]))


def render_sources(answer: Answer, turn: str) -> str:
    """Numbered source cards (document, passage with the quote highlighted, score), all escaped."""
    if answer.refused:
        cards = [f"<div class='qa-card'><h4>{html.escape(p.source)} <span class='qa-score'>score {p.score:.4f}</span></h4>"
                 f"<div class='qa-text'>{html.escape(p.text)}</div></div>" for p in answer.passages[:3]]
        return "<h3>Closest passages (they do not answer the question)</h3>" + "".join(cards)
    cards = [f"<div class='qa-card' id='src-{turn}-{c.n}'><h4>[{c.n}] {html.escape(c.source)} "
             f"<span class='qa-score'>score {c.score:.4f} · chars {c.start}–{c.end}</span></h4>"
             f"<div class='qa-text'>{_highlight(c.text, c.quote)}</div></div>" for c in answer.citations]
    return "<h3>Sources</h3>" + "".join(cards)


def pick_example(event: gr.SelectData) -> str:
    """An example question clicked on the empty chat goes into the question box."""
    return event.value["text"]


def build(app: App) -> gr.Blocks:
    with gr.Blocks(title="Document Q&A") as demo:
        gr.Markdown("# Document Q&A\nAnswers come only from the indexed documents, with every claim cited; "
                    "when the documents do not say, it says so.")
        status = gr.Markdown(app.status(), elem_id="qa-status")
        pairs = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(height=460, label="Chat", elem_id="qa-chat", examples=[{"text": e} for e in EXAMPLES],
                                     placeholder="Ask a question about the documents.", sanitize_html=True)
                with gr.Row():
                    box = gr.Textbox(placeholder="Ask a question…", show_label=False, scale=5, elem_id="qa-question",
                                     max_length=app.settings.max_question_chars)
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
                clear = gr.Button("Clear conversation", elem_id="qa-clear")
                sources = gr.HTML(elem_id="qa-sources")
            with gr.Column(scale=2):
                with gr.Accordion("Settings", open=False):
                    k = gr.Slider(1, 10, value=app.settings.top_k, step=1, label="Passages to retrieve")
                    generator = gr.Radio(["default", "1.5b", "light"], value=app.settings.generator
                                         if app.settings.generator in ("default", "1.5b", "light") else "default",
                                         label="Generator")
                gr.Markdown("### Documents")
                table = gr.Dataframe(app.documents_table(), headers=["document", "chunks", "size"], interactive=False,
                                     elem_id="qa-docs")
                files = gr.File(label="Add documents (.txt, .md, .html)", file_count="multiple",
                                elem_id="qa-upload")
                upload_status = gr.HTML(elem_id="qa-upload-status")
                with gr.Row():
                    removable = gr.Dropdown(app.uploaded_ids(), label="Uploaded documents", scale=3)
                    remove = gr.Button("Remove", scale=1)

        ask_inputs = [box, chatbot, pairs, k, generator]
        ask_outputs = [box, chatbot, pairs, sources]
        send.click(app.chat, ask_inputs, ask_outputs, concurrency_limit=4)
        box.submit(app.chat, ask_inputs, ask_outputs, concurrency_limit=4)
        chatbot.example_select(pick_example, None, box)
        clear.click(lambda: ([], [], "", ""), None, [chatbot, pairs, sources, box])
        files.upload(app.upload, files, [upload_status, table, removable, files], concurrency_limit=1)
        remove.click(app.remove, removable, [upload_status, table, removable], concurrency_limit=1)
        timer = gr.Timer(1.0)
        timer.tick(lambda: (app.status(), gr.Timer(active=not app.ready.is_set())), None, [status, timer])
    return demo


def listen_settings(env) -> tuple[str, int, tuple[str, str] | None, str | None]:
    """(address, port, login or None, warning or None) from the environment.

    >>> listen_settings({})
    ('127.0.0.1', 7860, None, None)
    """
    host = env.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = int(env.get("GRADIO_SERVER_PORT") or 7860)
    user, password = env.get("QA_UI_USERNAME"), env.get("QA_UI_PASSWORD")
    auth = (user, password) if user and password else None
    warning = None
    if host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        warning = f"WARNING: listening on {host} without authentication; set QA_UI_USERNAME and QA_UI_PASSWORD"
    return host, port, auth, warning


def main() -> None:
    host, port, auth, warning = listen_settings(os.environ)
    if warning:
        print(warning, file=sys.stderr)
    app = App()
    build(app).queue(default_concurrency_limit=4).launch(server_name=host, server_port=port, auth=auth, css=CSS,
                                                         show_error=True)


if __name__ == "__main__":
    main()
