"""What a streamed answer reports while it works: typed events, not raw model text.

`Assistant.ask_stream` yields, in order:
    Progress("searching", ...)   before the search
    Progress("reading", ...)     the passages were found; the model reads the chosen sentences
    Progress("checking", ...)    the model has replied; its words are checked against the sentences
    Verified(text, citations)    one per claim of the answer, each only once it has passed verification
    the final `Answer`           (qa/answer.py), whose `text` is the Verified texts joined
A refusal has no Verified event. The model's own words, unverified, are yielded as `str` pieces only
when the caller asks for them (`ask_stream(..., raw=True)`): what a page shows is then never a claim
that was not checked.

Example:
    >>> Progress("searching", "Searching the documents").detail
    'Searching the documents'
    >>> Verified("330 metres [1].", []).text
    '330 metres [1].'
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .composition import Citation


@dataclass(frozen=True)
class Progress:
    """A step of the work, in plain words for the reader (`stage`: searching, reading, checking)."""

    stage: str
    detail: str


@dataclass(frozen=True)
class Verified:
    """One claim of the answer that passed verification: its text with its `[n]` markers, and the
    citations those markers point at."""

    text: str
    citations: list[Citation] = field(default_factory=list)
