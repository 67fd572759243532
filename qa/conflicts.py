"""Conflicting figures: when passages give different numbers for what a question measures, show each.

"How many GPUs is the country getting?" can have several true answers in one corpus (one figure by
one date, another by a later date, a third bought by one ministry), and "what were net earnings?" two
that count differently (adjusted, attributable). Picking one hides the others. After an answer with a
figure is verified, the other relevant sentences that state a different figure *of the same measure*
(qa/text.py `measures`: a currency, a per cent, a unit word) *about the same thing* (in the clause that
states it, what the question and the answer's sentence share; the question's focus, distinctive names and
dates) are added, each with its own citation; the sentences themselves say what distinguishes them.

Example:
    >>> focus_of("How many high-performance GPUs is the country getting?")
    'high-performance GPUs'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .evidence import Sentence
from .retrieval import Retriever
from .settings import Settings
from .text import contains_name, figures, measures, table_cells

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
_CLAUSE = re.compile(r"[,;:]\s+|\s+(?:while|whereas|but|driven by|due to|compared (?:to|with))\s+", re.IGNORECASE)
# A date or period a question names ("in 1750", "Q4 2019", "FY19"): a competing figure is of it too.
_PERIOD = re.compile(r"(?<![\w.,])(?:1\d{3}|20\d{2}|Q[1-4]|H[12]|FY\s?\d{2,4}|F\d{2})(?![\w.,])")


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


@dataclass(frozen=True)
class ConflictRules:
    """How alike a competing sentence must be to the answer's (the `Settings.conflict_*` tunables)."""

    min_focus: float = Settings.conflict_min_focus
    min_coverage_ratio: float = Settings.conflict_min_coverage_ratio
    max_relevance_drop: float = Settings.conflict_max_relevance_drop
    min_shared: float = Settings.conflict_min_shared

    @classmethod
    def from_settings(cls, settings: Settings) -> "ConflictRules":
        return cls(settings.conflict_min_focus, settings.conflict_min_coverage_ratio,
                   settings.conflict_max_relevance_drop, settings.conflict_min_shared)


def competing_sentences(question: str, answer: str, shown: Sequence[Sentence], candidates: Sequence[Sentence],
                        retriever: Retriever, min_relevance: float, anchors: set[str] = frozenset(),
                        rules: ConflictRules = ConflictRules()) -> list[Sentence]:
    """Relevant sentences that state a different figure of the same measure as the answer's.

    The answer's measure is what its figure counts in the sentence shown first (qa/text.py `measures`: a
    currency, a per cent, an ordinal, a unit word). Only the same subject and measure compete: a competing
    sentence states a figure of that measure not shown yet, is nearly as relevant, covers as much of the
    question as the sentence shown first and holds most of what they share (`min_shared` of its weight:
    "operating revenues" for a question on them, not "adjusted EBITDA"), holds the question's focus when it has one ("how many
    GPUs"), and names one of the question's distinctive names (`anchors`) when it has any (a question about
    one named thing gets that thing's figure). A sentence that continues one about the focus ("That
    number jumps to 260,000") competes with its bare figure. When the question names a date or period
    ("in Q4 2019"), a competing sentence names it too. Table rows neither compete nor are competed
    with: a table's other figures belong to other rows and columns.
    """
    min_focus, min_coverage_ratio, max_relevance_drop, min_shared = (
        rules.min_focus, rules.min_coverage_ratio, rules.max_relevance_drop, rules.min_shared)
    if not shown or table_cells(shown[0].text) is not None:
        return []  # a table's other figures are other rows and columns: other measures, not a conflict
    main = shown[0]
    asked = figures(question)
    answer_values = figures(answer) - asked
    kinds = {kind for value, kind in measures(main.text) if value in answer_values}
    if not kinds:
        return []
    focus = focus_of(question)
    focus_terms = set(retriever.analyzer.terms(focus)) if focus else set()
    currency = asked_currency(question)
    shown_values = {value for s in shown for value, _ in measures(s.text)}
    shown_windows = {s.window for s in shown}
    store = retriever.store
    q_terms = set(retriever.analyzer.terms(question))
    main_terms = set(retriever.analyzer.terms(main.text))
    main_coverage = retriever.term_share(q_terms, main_terms)
    shared = q_terms & main_terms  # what the question and the answer's sentence say the figure is of

    def about_focus(s: Sentence) -> bool:
        return not focus_terms or retriever.term_share(focus_terms, set(retriever.analyzer.terms(s.text))) >= min_focus

    dates = _PERIOD.findall(question)
    by_window = {s.window: s for s in candidates}
    out: list[Sentence] = []
    for s in candidates:
        if s.window in shown_windows or s.relevance < max(min_relevance, main.relevance - max_relevance_drop):
            continue
        if table_cells(s.text) is not None:
            continue
        if currency is not None and not currency.search(s.text):
            continue
        # a figure counts with the clause that states it: "EBITDA increased by 7.4%, driven by higher
        # revenues" does not give a revenue figure
        stated = {v for clause in _CLAUSE.split(s.text)
                  if retriever.term_share(shared, set(retriever.analyzer.terms(clause))) >= min_shared
                  for v, kind in measures(clause) if kind in kinds and v not in shown_values and v not in asked}
        qualifies, text = bool(stated) and about_focus(s), s.text
        if not qualifies and _ANAPHOR.match(s.text) and focus_terms:
            # "That number jumps to 260,000 by 2030." continues the sentence before it
            previous = store.neighbour(s.window, -1)
            before = by_window.get(previous.window) if previous is not None else None
            stated = {v for v, _ in measures(s.text) if v not in shown_values and v not in asked}
            qualifies = bool(stated) and before is not None and about_focus(before)
            text = f"{before.text} {s.text}" if qualifies else text
        if qualifies and not all(re.search(rf"(?<!\w){re.escape(d)}(?!\w)", text, re.IGNORECASE) for d in dates):
            qualifies = False  # not of the date or period asked about
        if qualifies and anchors and not any(contains_name(a, text.lower()) for a in anchors):
            qualifies = False  # another named thing's figure
        if qualifies:
            terms = set(retriever.analyzer.terms(text))
            if (retriever.term_share(q_terms, terms) < min_coverage_ratio * main_coverage
                    or retriever.term_share(shared, terms) < min_shared):
                qualifies = False  # about less of what was asked, or about another measure
        if qualifies:
            out.append(s)
            shown_values |= stated
        if len(out) + len(shown) >= MAX_FIGURES:
            break
    return out
