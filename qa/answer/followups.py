"""Follow-up questions: rewrite "How many parameters does it have?" into a standalone question.

Rules, not the model: asked to rewrite, the 0.5B model garbles questions (measured on Korean ones).
A question is a follow-up when it leans on the conversation: a pronoun ("it", "its", "they"), a definite
description in a question that names nothing of its own ("the model", "the city"), or an ellipsis ("What
about Acme?", "And in 2030?").
It is then resolved against the previous user question's subject. A question that names its own
subject and has none of these is a new topic and is left alone.

Example:
    >>> rewrite_followup("How many parameters does it have?", [("What is Acme's Orion 2?", "...")])
    "How many parameters does Acme's Orion 2 have?"
    >>> rewrite_followup("Which fortress guards the city?", [("Which city did Peter found?", "Saint Petersburg [1].")])
    'Which fortress guards the city (Saint Petersburg, Peter)?'
    >>> rewrite_followup("Where was the Lumen showcase held?", [("What is Orion 2?", "...")]) is None
    True
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from qa.text.language import FUNCTION_WORDS
from qa.text.rules import strip_markers

History = Sequence[tuple[str, str]]

_PRONOUN = re.compile(r"\b(?P<pro>it|they|them|he|she)\b|\b(?P<poss>its|their|his|her)\b|"
                      r"\b(?:is|was|are|were|does|did|of|about) (?P<demo>this|that)\b", re.IGNORECASE)
_DESCRIPTION = re.compile(r"\bthe (?P<noun>[a-z]+)\b")
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<a>.+?)\s*\??\s*$|^\s*and\s+(?P<b>.+?)\s*\?\s*$",
                       re.IGNORECASE)
# A name: capitalized words, acronyms and words with digits, joined by spaces, hyphens, dots or "of".
_NAME_TOKEN = r"(?:[A-Z][\w.&-]*|\w*\d[\w.-]*)"
_NAME_SPAN = re.compile(rf"{_NAME_TOKEN}(?:(?:'s|’s)?\s+(?:of\s+|the\s+)?{_NAME_TOKEN})*")
_QUESTION_WORDS = {"What", "Which", "Who", "Whom", "Whose", "Where", "When", "Why", "How", "Is", "Are", "Was",
                   "Were", "Does", "Do", "Did", "Can", "Could", "Will", "Would", "Should", "Has", "Have", "And",
                   "Tell", "The", "A", "An", "In", "On", "For", "By", "After", "Before", "Under", "Please", "I"}


def subject_of(question: str) -> str | None:
    """The main named subject of a question: its longest name span (question words excluded).

    >>> subject_of("How many clinical records was Lyon University Hospital's medical model trained on?")
    'Lyon University Hospital'
    """
    spans = []
    for m in _NAME_SPAN.finditer(question):
        words = m.group().split()
        while words and words[0] in _QUESTION_WORDS:
            words.pop(0)
        span = " ".join(words)
        span = re.sub(r"['’]s$", "", span).strip(" .-")
        if span and span not in _QUESTION_WORDS:
            spans.append(span)
    if not spans:
        return None
    return max(spans, key=lambda s: (len(s.split()), len(s)))


_LEADING_ASK = re.compile(r"^(how (much|many|big|large|long)|what|which|who|where|when|why)\s+"
                          r"((is|are|was|were|does|do|did|has|have|had|will|can)\s+)?", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\w.,])(?:1\d{3}|20\d{2})(?![\w.,])")
_PREPOSITION = re.compile(r"^(by|in|for|at|on|from|to|during|after|before|since|until|with)\s+(.+)$", re.IGNORECASE)


def rewrite_followup(question: str, history: History | None,
                     is_generic: Callable[[str], bool] | None = None) -> str | None:
    """A standalone version of `question` given the conversation, or None when it needs none.

    `is_generic(name)` tells a name too common to be a subject (the corpus's main topic);
    the previous question is then added as context instead.
    """
    if not history:
        return None
    previous, previous_answer = next(((u, a) for u, a in reversed(history) if u and u.strip()), (None, None))
    if not previous:
        return None
    subject = asked_about = subject_of(previous)
    previous_answer = strip_markers(previous_answer or "")
    if previous_answer:
        # "Who wrote the novel?" -> "Jane Austen": a pronoun next points at what the answer introduced
        # (a name the previous question did not hold); an answer that named nothing new leaves the
        # previous question's subject
        spans = [subject_of(n) for n in _NAME_SPAN.findall(previous_answer) if n not in previous]
        named = [n for n in spans if n and not re.fullmatch(r"[\d.,%]+", n)]  # figures are not referents
        # the longest; of equals, the first ("New Sweden (Nya Sverige)": the name the answer leads with)
        subject = max(named, key=lambda n: len(n.split())) if named else subject
    if subject and is_generic is not None and is_generic(subject):
        subject = None

    ellipsis = _ELLIPSIS.match(question)
    if ellipsis:
        new = (ellipsis.group("a") or ellipsis.group("b")).strip()
        phrase = _PREPOSITION.match(new)
        new_year = _YEAR.search(new)
        old_years = list(_YEAR.finditer(previous))
        if phrase and new_year and old_years:  # "And in 2017?" after "...in fiscal 2019?": swap the year
            last = old_years[-1]
            return previous[:last.start()] + new_year.group() + previous[last.end():]
        if phrase:  # "And by 2030?": the same question, another date or place
            old = re.search(rf"\b{phrase.group(1)}\s+[\w.,$%-]+(?:\s+[A-Z][\w.-]*)*", previous, re.IGNORECASE)
            if old:
                return previous[:old.start()] + new + previous[old.end():]
            return f"{previous.rstrip(' ?')} {new}?"
        if subject and subject in previous:
            return previous.replace(subject, new, 1)
        return f"{previous.rstrip(' ?')} ({new})?"

    pronoun = _PRONOUN.search(question)
    if pronoun and pronoun.group("demo"):
        # "By what percentage is that an increase?": "that" is what the previous question asked about
        topic = _LEADING_ASK.sub("", previous.strip()).rstrip(" ?")
        return question[:pronoun.start("demo")] + topic + question[pronoun.end("demo"):]
    if pronoun and subject:
        group = next(g for g in ("pro", "poss", "demo") if pronoun.group(g))
        replacement = f"{subject}'s" if group == "poss" else subject
        return question[:pronoun.start(group)] + replacement + question[pronoun.end(group):]
    if pronoun:
        return f"{question.rstrip()} (about: {previous.strip()})"
    # "Which fortress guards the city?": a question that names nothing of its own, about "the <noun>",
    # is about what the conversation named
    description = next((d for d in _DESCRIPTION.finditer(question) if d.group("noun") not in FUNCTION_WORDS), None)
    if description and subject and subject.lower() not in question.lower() and not subject_of(question):
        # the thing named last, and what the previous question was about: either may be "the group"
        context = subject if asked_about in (None, subject) or (is_generic and is_generic(asked_about)) \
            else f"{subject}, {asked_about}"
        return question[:description.end()] + f" ({context})" + question[description.end():]
    return None
