"""The chat web page (Gradio): streamed, cited answers; sources you can check; your own documents.

Run: `make run` (or `.venv/bin/python ui.py`). It listens on 127.0.0.1:7860; GRADIO_SERVER_PORT changes
the port, GRADIO_SERVER_NAME the address (another address without QA_UI_USERNAME/QA_UI_PASSWORD
prints a warning).
"""
from __future__ import annotations

import html
import json
import os
import re
import sys
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no network calls

import gradio as gr  # noqa: E402

from qa.answer.events import Answer, Progress, Verified  # noqa: E402
from qa.api import Assistant, replace_markers, same_generator  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.settings import Settings  # noqa: E402

EXAMPLES = [
    "How many robots per 10,000 workers does Korea have?",
    "How many high-performance GPUs is South Korea getting?",
    "Where was the first presentation of the national AI models held?",
    "국가 AI 모델 프로젝트 첫 발표회는 어디서 열렸어?",
]
CSS = """
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 8px 0;
           background: var(--block-background-fill); color: var(--body-text-color); }
.qa-card h4 { margin: 0 0 4px 0; font-size: 0.95em; color: var(--body-text-color); }
.qa-card .qa-where { color: var(--body-text-color-subdued); font-weight: normal; font-size: 0.85em; }
.qa-card .qa-text { white-space: pre-wrap; font-size: 0.9em; line-height: 1.4; }
.qa-card mark { background: var(--color-accent-soft); color: var(--body-text-color); padding: 0 1px; }
.qa-refusal { border-left: 4px solid var(--color-accent); padding: 4px 10px; background: var(--background-fill-secondary);
              color: var(--body-text-color); }
.qa-progress { color: var(--body-text-color-subdued); }
.qa-answer-sentence { display: block; margin-top: 4px; color: var(--body-text-color-subdued); font-size: 0.92em; }
.qa-card a.qa-open { font-weight: normal; font-size: 0.85em; color: var(--link-text-color); }
#qa-viewer .qa-doc { white-space: pre-wrap; max-height: 420px; overflow-y: auto; font-size: 0.9em; line-height: 1.45;
                     color: var(--body-text-color); background: var(--block-background-fill); padding: 6px 8px;
                     border: 1px solid var(--border-color-primary); border-radius: 8px; }
#qa-viewer mark { background: var(--color-accent-soft); color: var(--body-text-color); }
#qa-viewer .qa-page { display: block; color: var(--body-text-color-subdued); font-size: 0.8em; margin: 6px 0 2px; }
.qa-hidden { display: none !important; }
.qa-file { color: var(--body-text-color-subdued); font-weight: normal; font-size: 0.8em; }
#qa-docs .qa-table { max-height: 460px; overflow-y: auto; overflow-x: hidden; border: 1px solid var(--border-color-primary);
                     border-radius: 8px; background: var(--block-background-fill); }
#qa-docs table { width: 100%; border-collapse: collapse; font-family: var(--font); font-size: 0.85em; line-height: 1.3;
                 color: var(--body-text-color); margin: 0; }
#qa-docs th, #qa-docs td { padding: 4px 6px; text-align: left; vertical-align: top; border: 0;
                           border-bottom: 1px solid var(--border-color-primary); }
#qa-docs th { position: sticky; top: 0; background: var(--background-fill-secondary); white-space: nowrap; z-index: 1; }
#qa-docs td.qa-num, #qa-docs th.qa-num { white-space: nowrap; text-align: right; }
#qa-docs td.qa-date { white-space: nowrap; }
#qa-docs td.qa-title { overflow-wrap: normal; word-break: normal; }
#qa-docs td.qa-title .qa-file { display: block; overflow-wrap: anywhere; }
#qa-docs tr[data-doc] { cursor: pointer; }
#qa-docs tr[data-doc]:hover { background: var(--background-fill-secondary); }
#qa-docs tr.qa-new { animation: qa-new 8s ease-out; }
@keyframes qa-new { from { background: var(--color-accent-soft); } to { background: transparent; } }
#qa-chat-label { margin: 0 0 -6px 2px; font-weight: 600; }
"""

# A click on a source card's "open document" link records which document and passage, then clicks a
# hidden button whose handler reads that record (Gradio passes a `js` function's result to the handler).
HEAD = """<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.qa-open, #qa-docs tr[data-doc]");
  if (!link) return;
  event.preventDefault();
  const start = link.dataset.start === undefined ? null : Number(link.dataset.start);
  const end = link.dataset.end === undefined ? null : Number(link.dataset.end);
  window.qaOpen = JSON.stringify({doc: link.dataset.doc, start: start, end: end});
  const button = document.querySelector("#qa-open-button");
  if (button) button.click();
});
</script>"""
OPEN_JS = "(ignored) => window.qaOpen || ''"  # what the clicked link asked for becomes the handler's input
SCROLL_TO_MARK_JS = "() => { const m = document.querySelector('#qa-viewer mark'); if (m) m.scrollIntoView({block: 'center'}); }"


# The page's choice of how answers are read: (reading mode, generator profile; None = the settings').
READING = {
    "span reader (fastest)": ("span", None),
    "span reader, generator when unsure": ("both", None),
    "generator 1.5B": ("generator", "default"),
    "generator SmolLM2 (light)": ("generator", "light"),
}


def default_reading(settings: Settings) -> str:
    """The choice the settings make (QA_READER, QA_GENERATOR).

    >>> default_reading(Settings.from_env({"QA_READER": "both"}))
    'span reader, generator when unsure'
    """
    if settings.reader == "generator":
        return "generator SmolLM2 (light)" if settings.generator == "light" else "generator 1.5B"
    return next(label for label, (reader, _) in READING.items() if reader == settings.reader)


def reading_of(choice: str, settings: Settings) -> tuple[str, str | None]:
    """(reading mode, generator) for the page's choice; a generator profile name ("default", "light", as the
    API and older pages send) keeps the settings' reading mode.

    >>> reading_of("span reader (fastest)", Settings()), reading_of("light", Settings())
    (('span', None), ('both', 'light'))
    >>> reading_of("generator 1.5B", Settings()), reading_of("generator 1.5B", Settings(generator="light"))
    (('generator', None), ('generator', 'default'))
    """
    reader, generator = READING.get(choice, (settings.reader, choice or None))
    if same_generator(generator, settings):
        generator = None  # the settings' own model: loaded once, and the cascade (if set) still runs
    return reader, generator


class App:
    """One loaded pipeline shared by every visitor; per-visitor state lives in Gradio's session state."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        self.assistant = Assistant(settings=self.settings)
        self.ready = threading.Event()
        self.load_error: str | None = None
        self._upload_lock = threading.Lock()
        self._answering: dict[str, threading.Event] = {}  # per browser session: its current answer's Stop
        threading.Thread(target=self._warm_up, daemon=True).start()

    def _warm_up(self) -> None:
        """Load what answering needs in the background (the page is usable meanwhile): the embedder, and the
        generator when it reads every question; reading spans, the span reader instead, and the 1.1 GB
        generator loads at the first question that needs it."""
        try:
            if self.settings.reader == "generator":
                self.assistant.generator()
            else:
                self.assistant.span_reader().read("warm up", ["A passage to build the reader's graph."])
            self.assistant.search("warm up", k=1)
        except Exception as e:  # shown in the page's status line
            self.load_error = f"{type(e).__name__}: {e}"
        finally:
            self.ready.set()

    def status(self, documents: list[dict] | None = None) -> str:
        """One line in plain words: how many documents are indexed, and how answers are made (or that the
        models are still loading, or could not be)."""
        documents = self.assistant.documents() if documents is None else documents
        count = f"{len(documents):,} document{'s' if len(documents) != 1 else ''} indexed"
        if not self.ready.is_set():
            return f"{count}. Loading the models… you can already browse and upload documents."
        if self.load_error:
            return f"{count}. **The models could not be loaded:** {html.escape(self.load_error)}"
        return f"{count}. {how_answers_are_made(self.settings)}"

    # --- chat -----------------------------------------------------------------------------------

    @staticmethod
    def _session(request: gr.Request | None) -> str:
        return getattr(request, "session_hash", None) or "local"

    def stop(self, request: gr.Request = None) -> None:
        """Stop pressed: the answer being written for this browser session ends at its next step (each
        answer has its own flag, so a question asked right after is not stopped too)."""
        flag = self._answering.get(self._session(request))
        if flag is not None:
            flag.set()

    def stop_chat(self, chat: list, request: gr.Request = None):
        """The Stop button: the answer ends (`stop`) and the chat says so at once. The box stays waiting until
        the model has really stopped (at its next step, when the answer's own event ends and frees it): a
        question sent before then would be dropped by the still-running event."""
        self.stop(request)
        chat = list(chat or [])
        if chat and chat[-1].get("role") == "assistant" and "qa-progress" in str(chat[-1].get("content", "")):
            chat = chat[:-1] + [{"role": "assistant", "content": STOPPED_HTML}]
        return chat, gr.update(visible=False)

    def chat(self, message: str, chat: list, pairs: list, k: int, generator: str, only: list | None = None,
             request: gr.Request = None):
        """Stream an answer as events (qa/answer/events.py): the step it is at, in plain words, then each claim
        once it is verified, then the final answer and its sources. The model's unverified words are
        never shown. Stop (`stop`) ends the generation at its next step and says so in the chat."""
        message = (message or "").strip()
        if not message:
            yield "", chat, pairs, gr.skip()
            return
        session = self._session(request)
        stopped = self._answering[session] = threading.Event()
        chat = list(chat or []) + [{"role": "user", "content": html.escape(message)},
                                   {"role": "assistant", "content": render_progress("Searching the documents")}]
        yield "", chat, pairs, ""
        turn = uuid.uuid4().hex[:6]
        verified: list[str] = []
        reader, generator = reading_of(generator, self.settings)
        stream = self.assistant.ask_stream(message, history=pairs or None, k=int(k), generator=generator,
                                           sources=list(only) if only else None, reader=reader)
        try:
            for item in stream:
                if stopped.is_set():
                    stream.close()  # ends the model's generation
                    chat = chat[:-1] + [{"role": "assistant", "content": STOPPED_HTML}]
                    yield "", chat, pairs, ""
                    return
                if isinstance(item, Answer):
                    chat = chat[:-1] + [{"role": "assistant", "content": render_answer(item, turn)}]
                    pairs = list(pairs or []) + [(message, item.text)]
                    yield "", chat, pairs, render_sources(item, turn, self.titles())
                elif isinstance(item, Verified):
                    verified.append(item.text)
                    chat = chat[:-1] + [{"role": "assistant", "content": html.escape(" ".join(verified)) + " ▌"}]
                    yield "", chat, pairs, gr.skip()
                elif isinstance(item, Progress) and not verified:
                    chat = chat[:-1] + [{"role": "assistant", "content": render_progress(item.detail)}]
                    yield "", chat, pairs, gr.skip()
        except QAError as e:
            chat = chat[:-1] + [{"role": "assistant", "content": f"<div class='qa-refusal'>⚠️ {html.escape(str(e))}</div>"}]
            yield "", chat, pairs, ""
        finally:
            if self._answering.get(session) is stopped:
                del self._answering[session]  # this answer is over: nothing left for Stop to end

    # --- documents --------------------------------------------------------------------------------

    def documents_table(self, documents: list[dict] | None = None) -> str:
        """The documents panel (`render_documents`) of `documents` (as `Assistant.documents()` lists them;
        default: now), the uploads of the last few seconds marked."""
        documents = self.assistant.documents() if documents is None else documents
        return render_documents(documents, fresh=self._fresh_uploads(documents))

    def _fresh_uploads(self, documents: list[dict]) -> set[str]:
        uploaded = set(self.uploaded_ids())
        now = datetime.now(timezone.utc)
        fresh = set()
        for d in documents:
            try:
                added = datetime.fromisoformat(d["added"])
            except (TypeError, ValueError):
                continue
            if d["name"] in uploaded and (now - added).total_seconds() <= FRESH_UPLOAD_S:
                fresh.add(d["name"])
        return fresh

    def titles(self) -> dict[str, str]:
        """Each document's title, by its name (file name)."""
        return {d["name"]: d["title"] for d in self.assistant.documents()}

    def uploaded_choices(self, documents: list[dict] | None = None) -> list[tuple[str, str]]:
        """(title with file name, file name) of each uploaded document, for the "Uploaded documents" list."""
        documents = self.assistant.documents() if documents is None else documents
        uploaded = set(self.uploaded_ids())
        return [choice for choice in self.document_choices(documents) if choice[1] in uploaded]

    def document_choices(self, documents: list[dict] | None = None) -> list[tuple[str, str]]:
        """(label, name) of every document, for the "ask only" selector: the title, then the file name."""
        documents = self.assistant.documents() if documents is None else documents
        return [(f"{d['title']} ({d['name']})" if d["title"] != d["name"] else d["name"], d["name"]) for d in documents]

    def refresh_documents(self, seen: list | None, only: list | None):
        """The documents panel as `Assistant.documents()` says now (at page load, on a timer, after a
        change in any tab); nothing is redrawn when this tab already shows it."""
        documents = self.assistant.documents()  # one reading serves the check and every part redrawn
        now = [[d["name"], d["added"], d["bytes"]] for d in documents]
        if now == seen:
            return gr.skip(), gr.skip(), gr.skip(), seen, gr.skip()
        names = {n for n, _, _ in now}
        kept = [n for n in (only or []) if n in names]
        return (self.documents_table(documents), gr.update(choices=self.uploaded_choices(documents), value=None),
                gr.update(choices=self.document_choices(documents), value=kept), now, self.status(documents))

    def view_document(self, request: str):
        """The whole document named in `request` (JSON from a card's link: doc, start, end), its cited
        passage marked, page or heading labels where they start."""
        try:
            wanted = json.loads(request or "{}")
            document = self.assistant.document(str(wanted.get("doc", "")))
        except (ValueError, QAError) as e:
            return f"<div class='qa-refusal'>⚠️ {html.escape(str(e))}</div>"
        return render_document(document, wanted.get("start"), wanted.get("end"))

    def uploaded_ids(self) -> list[str]:
        return self.assistant.uploaded()

    def upload(self, files, progress=gr.Progress()):
        """Check, save (sanitized name, in the uploads folder only) and index each uploaded file."""
        messages = []
        files = files or []
        with self._upload_lock:
            for i, f in enumerate(files):
                source = Path(getattr(f, "name", f))
                progress((i, len(files)), desc=f"Indexing {source.name}")
                try:
                    doc_id = self.assistant.upload(source)
                    messages.append(f"✅ {named(doc_id, self.titles().get(doc_id))}: indexed")
                except QAError as e:
                    messages.append(f"❌ {html.escape(str(e))}")
        return ("<br>".join(messages) or "No file."), self.documents_table(), gr.update(choices=self.uploaded_choices(), value=None), None

    def remove(self, doc_id: str | None):
        if not doc_id:
            return "Choose an uploaded document to remove.", self.documents_table(), gr.update()
        try:
            if doc_id not in self.uploaded_ids():
                raise QAError(f"{doc_id} is not an uploaded document")
            title = self.titles().get(doc_id)
            self.assistant.remove(doc_id)
            message = f"🗑️ {named(doc_id, title)}: removed"
        except QAError as e:
            message = f"❌ {html.escape(str(e))}"
        return message, self.documents_table(), gr.update(choices=self.uploaded_choices(), value=None)


FRESH_UPLOAD_S = 10.0  # an upload this recent is marked in the documents table
# how each generator profile is named to a person (the status line)
MODEL_WORDS = {"default": "the 1.5B language model", "1.5b": "the 1.5B language model",
               "0.5b": "the 0.5B language model", "light": "the small SmolLM2 language model"}


def how_answers_are_made(settings: Settings) -> str:
    """How answers are made, in plain words, from the settings (the reading mode and the generator).

    >>> how_answers_are_made(Settings(reader="both"))
    'Answers are picked from the passages by a reading model; the 1.5B language model writes those it is unsure of.'
    >>> how_answers_are_made(Settings(reader="generator", generator="light"))
    'The small SmolLM2 language model writes each answer from the passages.'
    """
    model = MODEL_WORDS.get(settings.generator, f"the language model {Path(settings.generator).name}")
    if settings.reader == "span":
        return "Answers are picked from the passages by a reading model."
    if settings.reader == "both":
        return f"Answers are picked from the passages by a reading model; {model} writes those it is unsure of."
    return f"{model[0].upper()}{model[1:]} writes each answer from the passages."


def named(name: str, title: str | None) -> str:
    """A document as a person reads it: its title, the file name beside it in small type (escaped).

    >>> named("a_b.txt", "Harbour <Fees>")
    "<span class='qa-doc-title'>Harbour &lt;Fees&gt;</span> <span class='qa-file'>a_b.txt</span>"
    >>> named("a_b.txt", None)
    "<span class='qa-doc-title'>a_b.txt</span>"
    """
    if not title or title == name:
        return f"<span class='qa-doc-title'>{html.escape(name)}</span>"
    return f"<span class='qa-doc-title'>{html.escape(title)}</span> <span class='qa-file'>{html.escape(name)}</span>"


def render_documents(documents: list[dict], fresh: set[str] | frozenset = frozenset()) -> str:
    """The documents panel as a table (escaped): the title with the file name beneath it, passages, size and
    the date added (YYYY-MM-DD), newest first; the documents in `fresh` marked for a few seconds. A click on a
    row opens the document (the page's script reads `data-doc`).

    >>> html_table = render_documents([{"name": "a.txt", "title": "A", "chunks": 3, "bytes": 2048,
    ...                                 "added": "2026-12-05T10:00:00+00:00"}], fresh={"a.txt"})
    >>> "<tr class='qa-new' data-doc='a.txt'" in html_table, "2026-12-05</td>" in html_table
    (True, True)
    """
    if not documents:
        return "<div class='qa-table'><small class='qa-progress'>No documents are indexed yet.</small></div>"
    ordered = sorted(documents, key=lambda d: d["title"].lower())
    ordered.sort(key=lambda d: d["added"], reverse=True)  # newest first; one date: by title
    ordered.sort(key=lambda d: d["name"] not in fresh)  # a new upload first (added in the same second as others)
    rows = []
    for d in ordered:
        name = html.escape(d["name"], quote=True)
        new = " class='qa-new'" if d["name"] in fresh else ""
        file = f"<span class='qa-file'>{html.escape(d['name'])}</span>" if d["title"] != d["name"] else ""
        rows.append(f"<tr{new} data-doc='{name}' title='Open {name}'><td class='qa-title'>{html.escape(d['title'])}{file}</td>"
                    f"<td class='qa-num'>{d['chunks']:,}</td><td class='qa-num'>{_size(d['bytes'])}</td>"
                    f"<td class='qa-date'>{html.escape(d['added'][:10])}</td></tr>")
    return ("<div class='qa-table'><table><thead><tr><th>Document</th><th class='qa-num'>Passages</th>"
            "<th class='qa-num'>Size</th><th>Added</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")


def _size(n_bytes: int) -> str:
    """A size in bytes as a person reads it.

    >>> _size(900), _size(20_480), _size(3_500_000)
    ('900 B', '20 KB', '3.3 MB')
    """
    if n_bytes < 1024:
        return f"{n_bytes} B"
    if n_bytes < 1024 * 1024:
        return f"{n_bytes / 1024:.0f} KB"
    return f"{n_bytes / 1024 / 1024:.1f} MB"


def render_progress(detail: str) -> str:
    """The step an answer is at, shown where the answer will be."""
    return f"<span class='qa-progress'><i>{html.escape(detail)}…</i></span>"


def render_answer(answer: Answer, turn: str) -> str:
    """The answer as chat HTML: text escaped, each [n] a link to its source card; a refusal looks different."""
    if answer.refused:
        return f"<div class='qa-refusal'>{html.escape(answer.text)}</div>"
    text = html.escape(answer.text)
    # every number of a marker ("[1]", "[2, 3]") links to its card
    text = replace_markers(text, lambda numbers: "<sup>[" + ", ".join(f"<a href='#src-{turn}-{n}'>{n}</a>"
                                                                for n in numbers) + "]</sup>")
    sentence = answer_sentence(answer)
    if sentence:
        # the phrase alone ("1,012") does not say what it counts: its sentence, beneath it, does
        text = f"<strong>{text}</strong><span class='qa-answer-sentence'>“{html.escape(sentence)}”</span>"
    notes = []
    if answer.conflict:
        notes.append("⚖️ The sources give different figures.")
    if answer.rewritten and _adds_words(answer.rewritten, answer.question):
        notes.append(f"↪ Answered as: {html.escape(answer.rewritten)}")
    return text + "".join(f"<br><small>{n}</small>" for n in notes)


def answer_sentence(answer: Answer) -> str | None:
    """The sentence an answer phrase was read from, to show beneath the phrase; None when the answer is
    already whole sentences, gives several figures, or cites more than one sentence.

    >>> from qa.answer.events import Citation
    >>> c = Citation(1, "a.txt", "a#0", "The tower is 330 m tall.", 0, 24, "The tower is 330 m tall.", 1.0)
    >>> answer_sentence(Answer("How tall?", "330 m [1].", False, [c], []))
    'The tower is 330 m tall.'
    >>> answer_sentence(Answer("How tall?", "The tower is 330 m tall [1].", False, [c], [])) is None
    True
    """
    if answer.refused or answer.conflict or len(answer.citations) != 1:
        return None
    phrase = replace_markers(answer.text, lambda numbers: "").strip().rstrip(".").strip()
    quote = " ".join(answer.citations[0].quote.split())
    if not phrase or len(phrase) >= 0.8 * len(quote.rstrip(".")):
        return None
    return quote


def _adds_words(rewritten: str, question: str) -> bool:
    """True when a rewritten question says more than the question asked ("How many people attended (how
    many people attended)?" says nothing more).

    >>> _adds_words("How many parameters does K-EXAONE have?", "How many parameters does it have?")
    True
    >>> _adds_words("How many people attended (how many people attended)?", "How many people attended?")
    False
    """
    words = lambda text: set(re.findall(r"\w+", text.lower()))  # noqa: E731
    return bool(words(rewritten) - words(question))


def _highlight(passage: str, quotes: list[str]) -> str:
    """The passage escaped, each quote in it marked."""
    spans = sorted({(at, at + len(q)) for q in quotes if q and (at := passage.find(q)) >= 0})
    out, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue  # overlapping quotes: the first one marks
        out += [html.escape(passage[pos:start]), "<mark>", html.escape(passage[start:end]), "</mark>"]
        pos = end
    return "".join(out) + html.escape(passage[pos:])


def render_document(document: dict, start: int | None = None, end: int | None = None) -> str:
    """A whole document for the viewer, escaped: its title and file name, a label where each page or
    heading starts, the characters start..end marked.

    >>> render_document({"name": "a.txt", "title": "A", "text": "One. Two.", "marks": []}, 5, 9)
    "<h3>A</h3><small class='qa-where'>a.txt</small><div class='qa-doc'>One. <mark>Two.</mark></div>"
    """
    text = document["text"]
    cuts = {m["start"]: (f"page {m['page']}" if m.get("page") is not None else m.get("section") or "")
            for m in document.get("marks", [])}
    valid = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
    points = sorted(set(cuts) | ({start, end} if valid else set()) | {0, len(text)})
    out = []
    for a, b in zip(points, points[1:]):
        if cuts.get(a):
            out.append(f"<span class='qa-page'>— {html.escape(cuts[a])} —</span>")
        piece = html.escape(text[a:b])
        out.append(f"<mark>{piece}</mark>" if valid and start <= a and b <= end else piece)
    return (f"<h3>{html.escape(document['title'])}</h3><small class='qa-where'>{html.escape(document['name'])}</small>"
            f"<div class='qa-doc'>{''.join(out)}</div>")


def _open_link(source: str, start: int, end: int) -> str:
    return (f"<a href='#' class='qa-open' data-doc='{html.escape(source, quote=True)}' data-start='{start}' "
            f"data-end='{end}'>open document</a>")


REFUSAL_PASSAGE_CHARS = 300  # a refusal shows where it looked, briefly: not a dump of passages


def render_sources(answer: Answer, turn: str, titles: dict[str, str] | None = None) -> str:
    """Source cards (document by its title in `titles` with its file name, where in it, the passage with the
    cited sentences marked), all escaped: one card per passage, whatever number of markers point at it."""
    titles = titles or {}
    if answer.refused:
        cards = []
        for p in answer.passages[:2]:
            text = p.text if len(p.text) <= REFUSAL_PASSAGE_CHARS else p.text[:REFUSAL_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
            cards.append(f"<div class='qa-card'><h4>{named(p.source, titles.get(p.source))} <span class='qa-where'>chars "
                         f"{p.start}–{p.end}</span></h4><div class='qa-text'>{html.escape(text)}</div></div>")
        if not cards:
            return ""
        return ("<details class='qa-looked'><summary>Where it looked (these passages do not answer the question)"
                "</summary>" + "".join(cards) + "</details>")
    by_passage: dict[tuple[str, str], list] = {}
    for c in answer.citations:
        by_passage.setdefault((c.source, c.chunk_id), []).append(c)
    cards = []
    for cited in by_passage.values():
        first = cited[0]
        numbers = ", ".join(str(c.n) for c in cited)
        anchors = "".join(f"<span id='src-{turn}-{c.n}'></span>" for c in cited)
        at = first.start + max(0, first.text.find(first.quote))
        cards.append(f"<div class='qa-card'>{anchors}<h4>[{numbers}] {named(first.source, titles.get(first.source))} "
                     f"<span class='qa-where'>{html.escape(first.where)}</span> "
                     f"{_open_link(first.source, at, at + len(first.quote))}</h4>"
                     f"<div class='qa-text'>{_highlight(first.text, [c.quote for c in cited])}</div></div>")
    return "<h3>Sources</h3>" + "".join(cards)


ASK_PLACEHOLDER = "Ask a question…"
DOCUMENTS_REFRESH_S = 3.0  # how stale another tab's change may look here
STOPPED_HTML = "<div class='qa-refusal'>Stopped: no answer was given to this question.</div>"
COUNTER_JS = """(text) => {
  const n = (text || "").length, limit = LIMIT;
  const note = n > limit ? ` — over the limit: shorten it by ${(n - limit).toLocaleString()} to ask` : "";
  return `<small class='qa-progress'>${n.toLocaleString()} / ${limit.toLocaleString()} characters${note}</small>`;
}"""


def lock_inputs():
    """While an answer is written: the box and Ask wait, saying why; Stop shows."""
    return (gr.update(interactive=False, placeholder="Answering… press Stop to ask something else now"),
            gr.update(interactive=False), gr.update(visible=True))


def unlock_inputs():
    return gr.update(interactive=True, placeholder=ASK_PLACEHOLDER), gr.update(interactive=True), gr.update(visible=False)


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
                # the label above the chat, not Gradio's own, which floats over the messages once they scroll
                gr.HTML("<div id='qa-chat-label'>Chat</div>")
                chatbot = gr.Chatbot(height=460, show_label=False, elem_id="qa-chat",
                                     examples=[{"text": e} for e in EXAMPLES],
                                     placeholder="Ask a question about the documents.", sanitize_html=True)
                with gr.Row():
                    # no max_length: the browser would cut a long question silently; the API refuses it with
                    # its length and the limit, shown in the chat
                    box = gr.Textbox(placeholder=ASK_PLACEHOLDER, show_label=False, scale=5, elem_id="qa-question")
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="qa-ask")
                    stop = gr.Button("Stop", variant="stop", scale=1, visible=False, elem_id="qa-stop")
                limit = app.settings.max_question_chars
                counter = gr.HTML(f"<small class='qa-progress'>0 / {limit:,} characters</small>", elem_id="qa-counter")
                clear = gr.Button("Clear conversation", elem_id="qa-clear")
                sources = gr.HTML(elem_id="qa-sources")
            with gr.Column(scale=2):
                with gr.Accordion("Settings", open=False, elem_id="qa-settings"):
                    k = gr.Slider(1, 10, value=app.settings.top_k, step=1, label="Passages to retrieve")
                    generator = gr.Radio(list(READING), value=default_reading(app.settings), label="Reading",
                                         elem_id="qa-reading")
                gr.Markdown("### Documents")
                only = gr.Dropdown(app.document_choices(), multiselect=True, value=[], elem_id="qa-only",
                                   label="Ask only these documents (none chosen: all of them)")
                table = gr.HTML(app.documents_table(), elem_id="qa-docs")
                gr.Markdown("<small class='qa-progress'>Uploads are shared by everyone who uses this server: "
                            "anyone here can read, cite and remove them. Click a row to read the document.</small>")
                files = gr.File(label="Add documents (.txt, .md, .html, .pdf, .docx)", file_count="multiple",
                                elem_id="qa-upload")
                upload_status = gr.HTML(elem_id="qa-upload-status")
                with gr.Row():
                    removable = gr.Dropdown(app.uploaded_choices(), label="Uploaded documents", scale=3,
                                            elem_id="qa-removable")
                    remove = gr.Button("Remove", scale=1, elem_id="qa-remove")
                with gr.Accordion("Document", open=True):
                    viewer = gr.HTML("<small class='qa-progress'>Click a document, or “open document” on a source, "
                                     "to read it here.</small>", elem_id="qa-viewer")
                    opened = gr.Textbox(elem_id="qa-open", elem_classes=["qa-hidden"], show_label=False)
                    open_button = gr.Button("Open", elem_id="qa-open-button", elem_classes=["qa-hidden"])

        ask_inputs = [box, chatbot, pairs, k, generator, only]
        ask_outputs = [box, chatbot, pairs, sources]
        controls = [box, send, stop]
        for trigger in (send.click, box.submit):
            # one question at a time: the box and Ask wait (saying so) while an answer is written; Stop ends it
            chat_event = trigger(lock_inputs, None, controls, queue=False).then(app.chat, ask_inputs, ask_outputs,
                                                                                concurrency_limit=4)
            chat_event.then(unlock_inputs, None, controls, queue=False)
        stop.click(app.stop_chat, chatbot, [chatbot, stop], queue=False)
        # the question's length against the limit, counted in the browser as it is typed
        box.input(None, box, counter, js=COUNTER_JS.replace("LIMIT", str(limit)))
        chatbot.example_select(pick_example, None, box)
        clear.click(lambda: ([], [], "", ""), None, [chatbot, pairs, sources, box])
        # the chat's own trash icon clears what "Clear conversation" clears
        chatbot.clear(lambda: ([], "", ""), None, [pairs, sources, box])
        seen = gr.State(None)  # what this tab's documents panel shows
        panel = [table, removable, only, seen, status]
        files.upload(app.upload, files, [upload_status, table, removable, files], concurrency_limit=1).then(
            app.refresh_documents, [seen, only], panel, queue=False, show_progress="hidden")
        remove.click(app.remove, removable, [upload_status, table, removable], concurrency_limit=1).then(
            app.refresh_documents, [seen, only], panel, queue=False, show_progress="hidden")
        # every tab shows what the index holds: at load, and every few seconds (a change made in another tab);
        # a quiet refresh: no loading timer flashes over the status line and the table
        demo.load(app.refresh_documents, [seen, only], panel, queue=False, show_progress="hidden")
        gr.Timer(DOCUMENTS_REFRESH_S).tick(app.refresh_documents, [seen, only], panel, queue=False,
                                           show_progress="hidden")
        open_button.click(app.view_document, opened, viewer, js=OPEN_JS, queue=False).then(
            None, None, None, js=SCROLL_TO_MARK_JS)
        timer = gr.Timer(1.0)
        timer.tick(lambda: (app.status(), gr.Timer(active=not app.ready.is_set())), None, [status, timer],
                   show_progress="hidden")
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
    try:
        app = App()
    except QAError as e:  # an index that cannot be opened as asked: say why and serve nothing
        print(f"qa: error: {e}", file=sys.stderr)
        sys.exit(2)
    build(app).queue(default_concurrency_limit=4).launch(server_name=host, server_port=port, auth=auth, css=CSS, head=HEAD,
                                                         show_error=True)


if __name__ == "__main__":
    main()
