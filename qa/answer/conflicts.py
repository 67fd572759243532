"""Conflicting figures: when passages give different numbers for what a question measures, show each.

"How many GPUs is the country getting?" can have several true answers in one corpus (one figure by
one date, another by a later date, a third bought by one ministry), and "what were net earnings?" two
that count differently (adjusted, attributable). Picking one hides the others. After an answer with a
figure is verified, the other relevant sentences that state a different figure *of the same measure*
(qa/text/rules.py `measures`: a currency, a per cent, a unit word) *about the same thing* (in the clause that
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

from qa.retrieve.evidence import Sentence
from qa.retrieve.retrieval import Retriever
from qa.settings import Settings
from qa.text.rules import contains_name, figures, measure_spans, measures
from qa.text.tables import table_cells

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
# Clause boundaries; a relative clause (", which performs... with a 30 billion-parameter design") goes on
# about its sentence's subject, so it is no boundary.
_CLAUSE = re.compile(r"[,;:]\s+(?!(?:which|who|whose|where)\b)|"
                     r"\s+(?:while|whereas|but|driven by|due to|compared (?:to|with))\s+", re.IGNORECASE)
# A date or period a question names ("in 1750", "Q4 2019", "FY19"): a competing figure is of it too.
_PERIOD = re.compile(r"(?<![\w.,])(?:1\d{3}|20\d{2}|Q[1-4]|H[12]|FY\s?\d{2,4}|F\d{2})(?![\w.,])")


# Words before a figure that make it a baseline the answer's figure is compared with, not a rival:
# "up from $5.2 million", "compared to 1.2 pts", "from 5% to 7%".
_BASELINE_BEFORE = re.compile(r"\b(?:from|than|versus|vs\.?|compared (?:to|with)|against)\s+(?:\S+\s+){0,2}$",
                              re.IGNORECASE)
# the date or period written right after a figure: "$672 million in Q4 2019" (from the figure's start)
_DATE_AFTER = re.compile(r"\S*\s+(?:\S+\s+){0,3}?(" + _PERIOD.pattern + r")")


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

    The answer's measure is what its figure counts in the sentence shown first (qa/text/rules.py `measures`: a
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
    asked, answer_values, kinds = _answer_measure(question, answer, main)
    if not kinds:
        return []
    focus = focus_of(question)
    focus_terms = set(retriever.terms(focus)) if focus else set()
    currency = asked_currency(question)
    shown_values = {value for s in shown for value, _ in measures(s.text)}
    shown_windows = {s.window for s in shown}
    q_terms = set(retriever.terms(question))
    main_terms = set(retriever.terms(main.text))
    main_coverage = retriever.term_share(q_terms, main_terms)
    shared = q_terms & main_terms  # what the question and the answer's sentence say the figure is of

    # the focus a competitor must hold is what of it the answer's own sentence (or the one before) holds:
    # "how much money" answered by "$136 million in investment" does not ask a rival to say "money"
    before_main = retriever.neighbour(main.window, -1)
    main_context = main_terms | (set(retriever.terms(before_main.text)) if before_main is not None else set())
    focus_terms &= main_context

    def about_focus(s: Sentence) -> bool:
        return not focus_terms or retriever.term_share(focus_terms, set(retriever.terms(s.text))) >= min_focus

    dates = _PERIOD.findall(question)
    by_window = {s.window: s for s in candidates}
    out: list[Sentence] = []
    for s in candidates:
        if s.window in shown_windows or s.relevance < min_relevance or table_cells(s.text) is not None:
            continue
        if currency is not None and not currency.search(s.text):
            continue
        spans = measure_spans(s.text)
        # a sentence that restates the answer's figure beside another of its measure speaks of the same
        # thing however it ranks: "listed as 16 1/2 x 11 5/8, but I received 18 x 13 mats"
        restates = any(v in answer_values and kind in kinds for v, kind, _ in spans)
        if restates:
            stated = _rivals_in(s.text, kinds, answer_values, asked, set(dates)) - shown_values
        elif s.relevance < main.relevance - max_relevance_drop:
            continue
        else:
            # a figure counts with the clause that states it: "EBITDA increased by 7.4%, driven by higher
            # revenues" does not give a revenue figure
            stated = {v for clause in _CLAUSE.split(s.text)
                      if retriever.term_share(shared, set(retriever.terms(clause))) >= min_shared
                      for v in _rivals_in(clause, kinds, answer_values, asked, set(dates))} - shown_values
        qualifies, text = bool(stated) and about_focus(s), s.text
        if not qualifies and _ANAPHOR.match(s.text) and focus_terms:
            # "That number jumps to 260,000 by 2030." continues the sentence before it
            previous = retriever.neighbour(s.window, -1)
            before = by_window.get(previous.window) if previous is not None else None
            stated = {v for v, _ in measures(s.text) if v not in shown_values and v not in asked}
            qualifies = bool(stated) and before is not None and about_focus(before)
            text = f"{before.text} {s.text}" if qualifies else text
        if qualifies and not all(re.search(rf"(?<!\w){re.escape(d)}(?!\w)", text, re.IGNORECASE) for d in dates):
            qualifies = False  # not of the date or period asked about
        if qualifies and anchors and not any(contains_name(a, text.lower()) for a in anchors):
            qualifies = False  # another named thing's figure
        if qualifies and not restates:
            terms = set(retriever.terms(text))
            if (retriever.term_share(q_terms, terms) < min_coverage_ratio * main_coverage
                    or retriever.term_share(shared, terms) < min_shared):
                qualifies = False  # about less of what was asked, or about another measure
        if qualifies:
            out.append(s)
            shown_values |= stated
        if len(out) + len(shown) >= MAX_FIGURES:
            break
    return out


def figures_beside(question: str, answer: str, main: Sentence, retriever: Retriever,
                   rules: ConflictRules = ConflictRules()) -> set[float]:
    """Other figures of the answer's measure that the answer's own sentence states in the same breath:
    "an average of 2.43 m ... and a maximum of 2.83 m", "two broken tiles ... then 3 broken tiles". A
    baseline the answer is compared with ("up from", "from ... to"), a figure of another date or period than
    the answer's (or the question's), and a figure in a clause about something else are not rivals; nor
    are the figures of a series (two or more besides the answer's).

    Example (with a stand-in for the retriever's terms):
    >>> class Words:
    ...     terms = staticmethod(lambda t: t.lower().replace(".", "").split())
    ...     term_share = staticmethod(lambda terms, other: len(terms & other) / len(terms) if terms else 1.0)
    >>> main = Sentence(0, "w.txt", 0, 90, "The water was an average of 2.43 m at Warnemunde and a maximum of 2.83 m at Warnemunde.", 0, 1.0)
    >>> figures_beside("How high did the water reach at Warnemunde?", "2.43 m", main, Words())
    {2.83}
    >>> up = Sentence(0, "w.txt", 0, 60, "Water rose to 2.43 m at Warnemunde, up from 1.9 m at Warnemunde.", 0, 1.0)
    >>> figures_beside("How high did the water reach at Warnemunde?", "2.43 m", up, Words())
    set()
    """
    if table_cells(main.text) is not None:
        return set()
    asked, answer_values, kinds = _answer_measure(question, answer, main)
    if not kinds:
        return set()
    q_terms = set(retriever.terms(question))
    shared = q_terms & set(retriever.terms(main.text))
    # only clauses about what the question and the sentence share: "..., while EBITDA fell to $1m" is not
    text = " ".join(clause for clause in _CLAUSE.split(main.text)
                    if retriever.term_share(shared, set(retriever.terms(clause))) >= rules.min_shared)
    rivals = _rivals_in(text, kinds, answer_values, asked, set(_PERIOD.findall(question))) if text else set()
    # three or more figures of one measure in one sentence are a series ("1.88 m in 1904, 1.89 m in 1913,
    # 1.73 m in 1954"): values of different things, not rival answers ("2.83 m (9 ft 3 in)" is one rival)
    per_kind: dict[str, int] = {}
    for value, kind in measures(text):
        if value in rivals:
            per_kind[kind] = per_kind.get(kind, 0) + 1
    return rivals if per_kind and max(per_kind.values()) == 1 else set()


def _answer_measure(question: str, answer: str, main: Sentence) -> tuple[set[float], set[float], set[str]]:
    """The figures the question names, the answer's own figures, and what they measure in the answer's
    sentence (qa/text/rules.py `measures`); no kinds when the answer states no figure of a measure there."""
    asked = figures(question)
    answer_values = figures(answer) - asked
    return asked, answer_values, {kind for value, kind in measures(main.text) if value in answer_values}


def _rivals_in(text: str, kinds: set[str], answer_values: set[float], asked: set[float],
               question_dates: set[str]) -> set[float]:
    """The figures of `kinds` in `text` other than the answer's that rival it: not a baseline it is compared
    with ("up from $5.2 million", "from 5% to 7%"), not of another date or period than the question's or
    than the answer's own figure in `text` ("$4.1 million in 2018" beside "$5.2 million in 2019")."""

    def date_after(start: int) -> str | None:
        m = _DATE_AFTER.match(text, start)
        return m.group(1) if m else None

    spans = measure_spans(text)
    answer_dates = {date_after(start) for value, _, start in spans if value in answer_values} - {None}
    out: set[float] = set()
    for value, kind, start in spans:
        if kind not in kinds or value in answer_values or value in asked:
            continue
        if _BASELINE_BEFORE.search(text[:start]):
            continue  # a baseline: "up from $5.2 million"
        date = date_after(start)
        if date is not None and ((question_dates and date not in question_dates) or
                                 (answer_dates and date not in answer_dates)):
            continue  # another period's figure
        out.add(value)
    return out

