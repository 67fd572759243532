"""Conflicting figures: when passages give different numbers for what a question measures, show each.

"How many GPUs is the country getting?" can have several true answers in one corpus (one figure by
one date, another by a later date, a third bought by one ministry), and "how big is the market in
dollars?" two that measure different things. Picking one hides the others. After an answer is verified, the other relevant
sentences that state a different figure *about the same thing* (they hold the question's focus: the
noun phrase after "how many", "how big is"...; and the asked currency, if any) are added, each with its
own citation; the sentences themselves say what distinguishes them (a date, a source, a scope).

Example:
    >>> focus_of("How many high-performance GPUs is the country getting?")
    'high-performance GPUs'
"""
from __future__ import annotations

import re
from typing import Sequence

from .evidence import Sentence
from .retrieval import Retriever
from .text import contains_name, figures

CONFLICT_PREFIX = "The documents give different figures: "

_FOCUS = re.compile(
    r"\bhow (?:many|much)\s+(?P<a>[\w\s'’-]+?)\s+(?:is|are|was|were|does|do|did|will|would|has|have|had|can|could)\b|"
    r"\bhow (?:big|large|much|high)\s+(?:is|are|was|were)\s+(?P<b>[\w\s'’-]+?)(?:\s+in\s+\w+)?\s*\??$|"
    r"\bwhat (?:is|was) the (?:size|value|amount) of\s+(?P<c>[\w\s'’-]+?)\s*\??$",
    re.IGNORECASE)
_CURRENCIES = {
    "dollar": re.compile(r"\$|\busd\b|\bdollars?\b", re.IGNORECASE),
    "won": re.compile(r"₩|\bkrw\b|\bwon\b", re.IGNORECASE),
    "euro": re.compile(r"€|\beur\b|\beuros?\b", re.IGNORECASE),
}
_ANAPHOR = re.compile(r"^(that|this|the) (number|figure|amount|total|count)\b|^(it|this|that)\b", re.IGNORECASE)
MAX_FIGURES = 4


def focus_of(question: str) -> str | None:
    """The noun phrase a numeric question measures, or None."""
    m = _FOCUS.search(question.strip())
    if not m:
        return None
    return (m.group("a") or m.group("b") or m.group("c")).strip()


def asked_currency(question: str) -> re.Pattern | None:
    for name, pattern in _CURRENCIES.items():
        if re.search(rf"\bin {name}s?\b", question, re.IGNORECASE):
            return pattern
    return None


def _stated(text: str, question: str) -> set[float]:
    """Figures a sentence states beyond those in the question, years left out."""
    return {f for f in figures(text) - figures(question) if not (1900 <= f <= 2100 and f == int(f))}


def competing_sentences(question: str, shown: Sequence[Sentence], candidates: Sequence[Sentence],
                        retriever: Retriever, min_relevance: float, min_focus: float = 0.6,
                        anchors: set[str] = frozenset(), min_coverage_ratio: float = 0.8) -> list[Sentence]:
    """Relevant sentences that state a figure for the question's focus different from those shown.

    Only the same subject and measure compete: a competing sentence holds the focus terms, names one of
    the question's distinctive names (`anchors`) when it has any (a question about one named thing gets
    that thing's figure), and covers nearly as much of the question as the sentence shown first.
    """
    focus = focus_of(question)
    if not focus:
        return []
    focus_terms = set(retriever.analyzer.terms(focus))
    if not sum(retriever.idf(t) for t in focus_terms):
        return []
    currency = asked_currency(question)
    shown_figures = set().union(*(_stated(s.text, question) for s in shown)) if shown else set()
    shown_windows = {s.window for s in shown}
    store = retriever.store
    q_terms = set(retriever.analyzer.terms(question))
    main_coverage = retriever.term_share(q_terms, set(retriever.analyzer.terms(shown[0].text))) if shown else 0.0

    def about_focus(s: Sentence) -> bool:
        return retriever.term_share(focus_terms, set(retriever.analyzer.terms(s.text))) >= min_focus

    by_window = {s.window: s for s in candidates}
    out: list[Sentence] = []
    for s in candidates:
        if s.window in shown_windows or s.relevance < min_relevance:
            continue
        stated = _stated(s.text, question)
        if not stated or stated <= shown_figures:
            continue
        if currency is not None and not currency.search(s.text):
            continue
        qualifies, text = about_focus(s), s.text
        if not qualifies and _ANAPHOR.match(s.text):
            # "That number jumps to 260,000 by 2030." continues the sentence before it
            previous = store.neighbour(s.window, -1)
            before = by_window.get(previous.window) if previous is not None else None
            qualifies = before is not None and about_focus(before)
            text = f"{before.text} {s.text}" if qualifies else text
        if qualifies and anchors and not any(contains_name(a, text.lower()) for a in anchors):
            qualifies = False  # another named thing's figure
        if qualifies and retriever.term_share(q_terms, set(retriever.analyzer.terms(text))) < min_coverage_ratio * main_coverage:
            qualifies = False  # about less of what was asked
        if qualifies:
            out.append(s)
            shown_figures |= stated
        if len(out) + len(shown) >= MAX_FIGURES:
            break
    return out

