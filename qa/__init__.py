"""Offline, CPU-only question answering over a document collection, with cited passages.

Example:
    >>> from qa import search
    >>> search("tidal power", k=1)[0].source   # doctest: +SKIP
    'energy.txt'
"""
from qa.errors import DocumentError, IndexUnavailable, IndexWriteError, QAError, QuestionError
from qa.settings import Settings

__all__ = ["Answer", "Assistant", "Citation", "Passage", "Progress", "Verified", "ask", "QAError", "DocumentError", "IndexUnavailable", "IndexWriteError",
           "QuestionError", "Settings", "search"]


def __getattr__(name):  # heavy imports (faiss, bm25s) only when used
    if name in ("Assistant", "search", "ask"):
        from qa import api

        return getattr(api, name)
    if name in ("Answer", "Citation", "Progress", "Verified"):
        from qa.answer import events

        return getattr(events, name)
    if name == "Passage":
        from qa.retrieve.retrieval import Passage

        return Passage
    raise AttributeError(name)
