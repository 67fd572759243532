"""Composition: verified statements become the answer text, each closed by its `[n]`, with citations
numbered by first use; the quote of a citation is the supporting sentence, an exact substring of its passage.

Example:
    >>> display_sentence("- • The tower is 330 m tall.")
    'The tower is 330 m tall.'
    >>> with_marker("The tower is 330 m tall.", 1)
    'The tower is 330 m tall [1].'
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from qa.answer.events import Citation
from qa.retrieve.evidence import Sentence
from qa.retrieve.retrieval import Retrieval, Retriever
from qa.text.rules import figures

Statement = tuple[str, Sentence]  # (text shown in the answer, the sentence that supports it)


def display_sentence(quote: str) -> str:
    """A quoted sentence as answer text: list bullets removed."""
    return re.sub(r"^[\s\-–—•*·]+", "", quote).strip()


def with_marker(claim: str, n: int) -> str:
    """`claim` closed by the marker `[n]`, before its final punctuation."""
    m = re.search(r"[.!?]+$", claim)
    return f"{claim[:m.start()]} [{n}]{m.group()}" if m else f"{claim} [{n}]."


_ANAPHOR = re.compile(r"^(this|these|that|those|it|its|they|their|the (model|company|project|system|program|plan))\b",
                      re.IGNORECASE)


def continuation(s: Sentence, candidates: Sequence[Sentence], retriever: Retriever,
                 min_relevance: float) -> Sentence | None:
    """The sentence right after `s` when it goes on about the same thing ("This model is available...")
    and is relevant to the question: an extractive answer then reads as the document does."""
    by_window = {c.window: c for c in candidates}
    chain: list[Sentence] = []
    current = s.window
    for _ in range(2):  # up to two sentences on, each right after the one before
        following = retriever.neighbour(current, 1)
        nxt = by_window.get(following.window) if following is not None else None
        if nxt is None or not _ANAPHOR.match(nxt.text):
            break
        chain.append(nxt)
        current = nxt.window
    chain = [c for c in chain if c.relevance >= min_relevance]
    return max(chain, key=lambda c: c.relevance) if chain else None


def extractive_statements(supported: Sequence[tuple[str, Sentence]], candidates: Sequence[Sentence],
                          retriever: Retriever, min_relevance: float, max_words: int) -> list[Statement]:
    """Each supporting sentence itself as a statement (once), followed by its continuation when it fits
    in `max_words`. The model's own wording can garble a relation its words do not show (measured on
    the dev set); the sentence it leaned on does not."""
    statements: list[Statement] = []
    for _, s in supported:
        if any(s.window == t.window for _, t in statements):
            continue  # the same sentence once
        statements.append((display_sentence(s.text), s))
        follow = continuation(s, candidates, retriever, min_relevance)
        if (follow is not None and all(follow.window != t.window for _, t in statements)
                and sum(len(text.split()) for text, _ in statements) + len(follow.text.split()) <= max_words):
            statements.append((display_sentence(follow.text), follow))
    return statements


def fit_words(statements: Sequence[Statement], limit: int) -> list[Statement]:
    """Statements cut to the clause that holds their figure, then dropped from the end, to fit `limit` words."""
    out = list(statements)
    if sum(len(t.split()) for t, _ in out) > limit:
        trimmed = []
        for text, s in out:
            clauses = re.split(r"(?<=[,;])\s+|\s+[—–-]\s+", text)
            keep = [c for c in clauses if figures(c)] or clauses[:1]
            short = " … ".join(c.rstrip(",;") for c in keep)
            trimmed.append((short if len(short.split()) < len(text.split()) else text, s))
        out = trimmed
    while len(out) > 1 and sum(len(t.split()) for t, _ in out) > limit:
        out.pop()
    return out


Locate = Callable[[str, int], tuple[int | None, str | None]]  # (source, offset) -> (page, heading)


def compose(statements: Sequence[Statement], retrieval: Retrieval, prefix: str = "",
            locate: Locate | None = None) -> tuple[str, list[Citation]]:
    """The answer text with markers, and its citations numbered by first use."""
    claims, citations = compose_claims(statements, retrieval, prefix, locate)
    return " ".join(text for text, _ in claims).strip(), citations


def compose_claims(statements: Sequence[Statement], retrieval: Retrieval, prefix: str = "",
                   locate: Locate | None = None) -> tuple[list[tuple[str, list[Citation]]], list[Citation]]:
    """Each claim's text with its marker (the first one after `prefix`) and the citation it points at, and
    all the citations numbered by first use; `compose` joins the claims. `locate` (the retriever's) names the
    page or heading of each quote."""
    citations: list[Citation] = []
    index: dict[int, int] = {}  # window -> n
    claims = []
    for i, (text, s) in enumerate(statements):
        if s.window not in index:
            p = retrieval.passages[s.passage]
            index[s.window] = len(citations) + 1
            page, section = locate(p.source, s.start) if locate is not None else (None, None)
            citations.append(Citation(n=index[s.window], source=p.source, chunk_id=p.chunk_id, text=p.text,
                                      start=p.start, end=p.end, quote=p.text[s.start - p.start:s.end - p.start],
                                      score=p.score, page=page, section=section))
        claim = with_marker(text, index[s.window])
        claims.append(((prefix + claim).strip() if i == 0 else claim, [citations[index[s.window] - 1]]))
    return claims, citations
