"""The chat web page (Gradio). For now: search the indexed documents and read the passages.

Run: `make run` (or `.venv/bin/python ui.py`); it listens on 127.0.0.1:7860, or GRADIO_SERVER_PORT.
"""
from __future__ import annotations

import html
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no network calls

import gradio as gr

from qa.api import Assistant
from qa.errors import QAError

_assistant: Assistant | None = None


def assistant() -> Assistant:
    global _assistant
    if _assistant is None:
        _assistant = Assistant()
    return _assistant


def render(query: str, k: int) -> str:
    """HTML cards of the passages for `query`; everything from documents is escaped."""
    if not query or not query.strip():
        return "<p>Type a question or keywords.</p>"
    try:
        passages = assistant().search(query.strip(), k=int(k))
    except QAError as e:
        return f"<p class='error'>{html.escape(str(e))}</p>"
    if not passages:
        return "<p>No passage matches.</p>"
    cards = []
    for rank, p in enumerate(passages, start=1):
        cards.append(
            f"<div style='border:1px solid #ddd;border-radius:8px;padding:8px;margin:8px 0'>"
            f"<b>[{rank}] {html.escape(p.source)}</b> <small>score {p.score:.4f}</small>"
            f"<div style='white-space:pre-wrap'>{html.escape(p.text)}</div></div>")
    return "".join(cards)


def build() -> gr.Blocks:
    with gr.Blocks(title="Document Q&A") as demo:
        gr.Markdown("# Document Q&A\nSearch the indexed documents (answers with citations come next).")
        with gr.Row():
            query = gr.Textbox(label="Question", placeholder="What is Korea's robot density?", scale=4)
            k = gr.Slider(1, 10, value=5, step=1, label="Passages", scale=1)
        button = gr.Button("Search", variant="primary")
        out = gr.HTML()
        button.click(render, [query, k], out)
        query.submit(render, [query, k], out)
    return demo


if __name__ == "__main__":
    assistant()  # open (and if needed build) the index before serving
    build().queue(default_concurrency_limit=2).launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
    )
