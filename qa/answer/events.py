"""What a streamed answer reports while it works: typed events, not raw model text.

`Assistant.ask_stream` yields, in order:
    Progress("searching", ...)   before the search
    Progress("reading", ...)     the passages were found; the model reads the chosen sentences
    Progress("checking", ...)    the model has replied; its words are checked against the sentences
    Verified(text, citations)    one per claim of the answer, each only once it has passed verification
    the final `Answer`           whose `text` is the Verified texts joined
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

from dataclasses import asdict, dataclass, field

from qa.retrieve.retrieval import Passage


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


@dataclass(frozen=True)
class Citation:
    """The passage a marker `[n]` points at, and the sentence(s) in it that support the claim."""

    n: int
    source: str
    chunk_id: str
    text: str
    start: int
    end: int
    quote: str  # an exact substring of `text`
    score: float
    page: int | None = None  # the PDF page the quote starts on
    section: str | None = None  # the heading above the quote (Word documents)

    @property
    def where(self) -> str:
        """Where the quote lies, in the terms of its document: its page, its heading, else its characters.

        >>> Citation(1, "a.pdf", "a.pdf#0", "Text", 0, 4, "Text", 1.0, page=3).where
        'page 3'
        """
        if self.page is not None:
            return f"page {self.page}"
        if self.section:
            return f"under “{self.section}”"
        return f"chars {self.start}–{self.end}"


@dataclass(frozen=True)
class Answer:
    """A verified answer: `[n]` in `text` is `citations[n-1]`; `refused` when the documents do not say."""

    question: str
    text: str
    refused: bool
    citations: list[Citation]
    passages: list[Passage]
    conflict: bool = False
    rewritten: str | None = None
    raw: str = ""  # what the model wrote, before verification
    timings: dict = field(default_factory=dict)
    confidence: float | None = None  # the calibrated probability that the answer is right (qa/answer/calibration.py)
    features: dict = field(default_factory=dict)  # what that probability was computed from
    parts: list[Answer] = field(default_factory=list)  # a question asking two things: each part's own answer


    def to_dict(self) -> dict:
        """The JSON shape of `qa ask --json`."""
        return {"text": self.text, "refused": self.refused, "conflict": self.conflict,
                "rewritten": self.rewritten, "citations": [asdict(c) for c in self.citations],
                "passages": [asdict(p) for p in self.passages],
                **({"parts": [{"question": p.rewritten or p.question, "text": p.text, "refused": p.refused}
                              for p in self.parts]} if self.parts else {})}
