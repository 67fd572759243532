"""Offline, CPU-only question answering over a document collection, with cited passages.

Example:
    >>> from qa import search
    >>> search("tidal power", k=1)[0].source   # doctest: +SKIP
    'energy.txt'
"""
from .errors import DocumentError, IndexUnavailable, IndexWriteError, QAError, QuestionError
from .settings import Settings

__all__ = ["Answer", "Assistant", "Citation", "Passage", "Progress", "Verified", "ask", "QAError", "DocumentError", "IndexUnavailable", "IndexWriteError",
           "QuestionError", "Settings", "search"]


def __getattr__(name):  # heavy imports (faiss, bm25s) only when used
    if name in ("Assistant", "search", "ask"):
        from . import api

        return getattr(api, name)
    if name in ("Answer", "Citation"):
        from . import answer

        return getattr(answer, name)
    if name in ("Progress", "Verified"):
        from . import events

        return getattr(events, name)
    if name == "Passage":
        from .retrieval import Passage

        return Passage
    raise AttributeError(name)
