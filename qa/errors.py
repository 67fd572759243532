"""Errors a user can cause. Every one is a `QAError`, itself a `ValueError`, with a one-line message.

Example:
    >>> try:
    ...     raise DocumentError("notes.bin: binary content")
    ... except QAError as e:
    ...     print(e)
    notes.bin: binary content
"""
from __future__ import annotations


class QAError(ValueError):
    """Base class of every error caused by bad input (a question, a document, an index path)."""


class DocumentError(QAError):
    """A document cannot be indexed: empty, binary, unreadable, too large or of an unsupported type."""


class IndexUnavailable(QAError):
    """An index cannot be opened and cannot be rebuilt (no manifest, or its sources are gone)."""


class SourcesMissing(IndexUnavailable):
    """Updating an index would remove every document it holds because the folders it was built from are not
    found (an index copied elsewhere, a moved corpus); nothing was changed."""


class IndexWriteError(QAError):
    """Writing the index failed (read-only or full disk); the previous index is intact."""


class QuestionError(QAError):
    """A question that cannot be asked: empty, blank, or over the length limit."""
