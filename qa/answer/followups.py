"""Follow-up questions: rewrite "How many parameters does it have?" into a standalone question.

Rules, not the model: asked to rewrite, the 0.5B model garbles questions (measured on questions in another language).
A question is a follow-up when it leans on the conversation: a pronoun ("it", "its", "they"), a definite
description in a question that names nothing of its own ("the model", "the city"), or an ellipsis ("What
about Acme?", "And in 2030?"). It is resolved against what the conversation named last: the name the
previous answer introduced, or the previous question's own subject.

A rewrite has two forms: `shown`, one standalone question (what the page shows under "Answered as" and what
the reader reads), and `searched`, which may add the conversation's context for retrieval ("Which fortress
guards the city (Saint Petersburg, Peter the Great)?"). A question that names its own subject and has none
of these is a new topic and is left alone.

Example:
    >>> rewrite_followup("How many parameters does it have?", [("What is Acme's Orion 2?", "...")]).shown
    "How many parameters does Acme's Orion 2 have?"
    >>> r = rewrite_followup("Which fortress guards the city?", [("Which city did Peter found?", "Saint Petersburg [1].")])
    >>> r.shown, r.searched
    ('Which fortress guards Saint Petersburg?', 'Which fortress guards the city (Saint Petersburg, Peter)?')
    >>> rewrite_followup("Where was the Lumen showcase held?", [("What is Orion 2?", "...")]) is None
    True
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from qa.text.language import (
    AUXILIARY_VERBS,
    FUNCTION_WORDS,
    HANGUL_SYLLABLES,
    MONTHS,
    NAME_CONNECTIVES,
    NOT_NAMES,
    NUMBER_WORDS,
    PERSONAL_PRONOUNS,
    PLURAL_PRONOUNS,
    POSSESSIVE_PRONOUNS,
    QUESTION_WORDS,
    REQUEST_OPENERS,
)
from qa.text.rules import strip_markers

History = Sequence[tuple[str, str]]

_PRONOUN = re.compile(r"\b(?P<pro>" + "|".join(sorted(PERSONAL_PRONOUNS)) + r")\b|\b(?P<poss>"
                      + "|".join(sorted(POSSESSIVE_PRONOUNS)) + r")\b|"
                      r"\b(?:is|was|are|were|does|did|of|about) (?P<demo>this|that)\b", re.IGNORECASE)
_DESCRIPTION = re.compile(r"\bthe (?P<noun>[a-z]+)\b")
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<a>.+?)\s*\??\s*$|^\s*and\s+(?P<b>.+?)\s*\?\s*$",
                       re.IGNORECASE)
# A name: capitalized words, acronyms and words with digits, joined by spaces, hyphens, dots or "of"; a list
# of names joined by commas and a final "and" is one name ("The New York, New Haven and Hartford Railroad").
_LETTER = rf"[^\W{HANGUL_SYLLABLES}]"  # a particle in another script written onto a name ("LG는") is not part of it
_NAME_TOKEN = rf"(?:[A-Z](?:{_LETTER}|[.&-])*|{_LETTER}*\d(?:{_LETTER}|[.–-])*)"
_NAME_SPAN = re.compile(rf"{_NAME_TOKEN}(?:(?:'s|’s)?\s+(?:of\s+|the\s+|de\s+)?{_NAME_TOKEN})*")
# capitalized words that open a question or a request, or count or date, without naming a referent
# ("Show" or "Name" may begin a title: only the words that open a request are set aside)
_NOT_A_REFERENT = {w.capitalize() for w in NOT_NAMES | QUESTION_WORDS | REQUEST_OPENERS
                   | set(NUMBER_WORDS) | set(MONTHS)}


@dataclass(frozen=True)
class Rewrite:
    """A follow-up made standalone: `shown` is one question; `searched` may add context for retrieval."""

    shown: str
    searched: str
    # read from a description alone ("the island" taken for what the conversation named last, which never
    # asked for a thing of that kind): the question may as well be a new topic, for the documents to decide
    # (qa/answer/orchestrator.py)
    by_description: bool = False


@dataclass(frozen=True)
class _Name:
    text: str  # with "the" when the text writes it before the name ("the Baltic Sea")
    start: int
    end: int


def _names(text: str) -> list[_Name]:
    """The names of `text` in order, question words, pronouns, number words and months excluded; a list of
    names ("A, B and C") joined into one; a name used as a modifier inside a noun phrase ("the national AI
    models") left out."""
    raw = []
    for m in _NAME_SPAN.finditer(text):
        words = [(w.start() + m.start(), w.group()) for w in re.finditer(r"\S+", m.group())]
        while words and (words[0][1] in _NOT_A_REFERENT or words[0][1] in ("of", "the", "de")):
            if words[0][1] == "The" and len(words) > 1 and not re.search(r"(^|[.!?:;]\s*)$", text[:words[0][0]]):
                break  # "influenced by The Second Sex": mid-sentence, "The" is the title's own
            words.pop(0)
        if not words:
            continue
        start = words[0][0]
        span = re.sub(r"['’]s$", "", text[start:m.end()]).rstrip(" .-,")
        if span and span not in _NOT_A_REFERENT and not re.fullmatch(r"[\d.,%–-]+", span):
            raw.append([start, start + len(span)])
    merged: list[list[int]] = []
    for span in raw:
        gap = text[merged[-1][1]:span[0]] if merged else ""
        if merged and (re.fullmatch(r",?\s+and\s+", gap) or (gap.startswith(",") and re.fullmatch(r",\s+", gap)
                                                                and _ends_a_list(text, span[1]))):
            merged[-1][1] = span[1]
        else:
            merged.append(span)
    names = []
    for start, end in merged:
        before = re.findall(r"[\w'’-]+", text[:start])[-1:] or [""]
        after = re.match(r"\s+([a-z][\w-]*)", text[end:])
        one_word = " " not in text[start:end]
        if (one_word and after and after.group(1) not in FUNCTION_WORDS | AUXILIARY_VERBS and before[0].islower()
                and before[0] not in FUNCTION_WORDS):
            continue  # "the national AI models": AI qualifies the models, which are the thing named
        if one_word and start == 0 and text[start:end].endswith("ly"):
            continue  # "Roughly what did...": an adverb capitalized because it starts the question
        if any(m in text[start:end].lower().split() for m in MONTHS):
            continue  # a date is not something a pronoun points at
        article = "the " if text[:start].endswith(("the ", "The ")) and not text[start:end].startswith("The ") else ""
        names.append(_Name(article + text[start:end], start, end))
    return names


def _ends_a_list(text: str, end: int) -> bool:
    """True when the name ending at `end` is followed by the rest of a list of names that ends "and NAME"
    (commas alone join appositions, "The Second Sex, Simone de Beauvoir's work", which are not one name)."""
    # each segment starts at its comma and runs to the next one: one way to match it, so no backtracking blow-up
    return bool(re.match(rf"(?:,\s+(?=[A-Z0-9])[^,]*?)*,?\s+and\s+{_NAME_TOKEN}", text[end:]))


def _names_anything(question: str) -> bool:
    """True when the question names something of its own, even as a modifier ("the national AI models")."""
    return any(w not in _NOT_A_REFERENT for m in _NAME_SPAN.finditer(question)
               for w in m.group().split())


def subject_of(question: str) -> str | None:
    """The main named subject of a question: its longest name, of equals the first (question words excluded).

    >>> subject_of("How many clinical records was Lyon University Hospital's medical model trained on?")
    'Lyon University Hospital'
    """
    names = [n.text for n in _names(question)]
    if not names:
        return None
    names = [re.sub(r"^the ", "", n) for n in names]
    return max(names, key=lambda s: len(s.split()))  # of equals, the first


# "What is Orion-Lite?", "What was Acme's 'Basic Plan'?": a question asking what a name is; its answer, a
# description, introduces nothing a pronoun would point at.
_DEFINITION = re.compile(r"^\s*(?i:what|who)\s+(?i:is|are|was|were)\s+"
                         r"(?P<x>[A-Z'‘\"“][^?]*?(?:\b[A-Z0-9][\w.-]*|['’\"”])|[A-Z][\w.-]*)\s*\?\s*$")
_LEADING_ASK = re.compile(r"^(?:\w+ly\s+)?(how (much|many|big|large|long)|what|which|who|where|when|why)\s+"
                          r"((?P<copula>is|are|was|were|has|have|had|will|can)\s+|(?P<do>does|do|did)\s+)?", re.IGNORECASE)
# a trailing phrase after the verb of a do-question ("dedicate [to AI]")
_TRAILING_PHRASE = re.compile(r"\s+(?:to|for|on|in|at|by|with|from|of|into|over)\s+[^?]*$")
# "When did the first presentation of the models happen?": the noun phrase between the auxiliary and the verb
_ASKED_PHRASE = re.compile(r"^\s*(?:when|where|why|how)\s+(?:did|does|do|was|were|is|are)\s+(?P<np>the\s+.+?)\s+"
                           r"(?P<verb>[a-z]+)\s*\?\s*$", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\w.,])(?:1\d{3}|20\d{2})(?![\w.,])")
_PREPOSITION = re.compile(r"^(by|in|for|at|on|from|to|during|after|before|since|until|with)\s+(.+)$", re.IGNORECASE)


def _referent(previous: str, previous_answer: str, plural: bool) -> tuple[str | None, str | None]:
    """(what a pronoun points at, what the previous question was about): the first name the previous answer
    introduced, unless the previous question asked what a name is (that name), or the pronoun is plural and
    the previous question names something plural ("their" after "the Pilgrims")."""
    asked_names = _names(previous)
    asked_about = subject_of(previous)
    definition = _DEFINITION.match(previous)
    if definition and _is_a_name(definition.group("x")):
        return definition.group("x").strip("?"), definition.group("x")
    if plural:
        plurals = [n.text for n in asked_names if n.text.endswith("s") and not n.text.endswith(("'s", "’s", "ss"))]
        if plurals:
            return plurals[0], asked_about
    introduced = [n.text for n in _names(strip_markers(previous_answer)) if n.text.removeprefix("the ") not in previous]
    if introduced:
        return introduced[0], asked_about
    return (_with_article(asked_about, previous) if asked_about else None), asked_about


def _is_a_name(phrase: str) -> bool:
    """True for a phrase that is a name as a whole: a quoted title, or capitalized words, figures and
    connectives ("Orion 3.1 Lite", "Acme's 'Basic Plan on Safety'"; not "Connecticut's income in 2013")."""
    if re.search(r"['‘\"“][A-Z][^'’\"”]*['’\"”]\s*$", phrase):
        return True
    words = re.findall(r"[\w.&-]+", re.sub(r"['’]s\b", "", phrase))
    return all(w[0].isupper() or w[0].isdigit() or w in NAME_CONNECTIVES for w in words)


def rewrite_followup(question: str, history: History | None,
                     is_generic: Callable[[str], bool] | None = None) -> Rewrite | None:
    """A standalone version of `question` given the conversation, or None when it needs none.

    `is_generic(name)` tells a name too common to be a subject (the corpus's main topic); the previous
    question is then added to the searched form as context instead.
    """
    if not history:
        return None
    previous, previous_answer = next(((u, a) for u, a in reversed(history) if u and u.strip()), (None, None))
    if not previous:
        return None
    pronoun = _PRONOUN.search(question)
    plural = bool(pronoun) and pronoun.group().lower().split()[-1] in PLURAL_PRONOUNS
    subject, asked_about = _referent(previous, previous_answer or "", plural)
    if subject and is_generic is not None and is_generic(subject.removeprefix("the ")):
        subject = None

    ellipsis = _ELLIPSIS.match(question)
    if ellipsis:
        return _same(_ellipsis((ellipsis.group("a") or ellipsis.group("b")).strip(), previous, subject))

    if pronoun and pronoun.group("demo"):
        # "By what percentage is that an increase?": "that" is what the previous question asked about
        topic = _asked_topic(previous)
        if topic:
            return _same(question[:pronoun.start("demo")] + topic + question[pronoun.end("demo"):])
        return Rewrite(question, f"{question.rstrip()} (about: {previous.strip()})")
    if pronoun and subject:
        group = next(g for g in ("pro", "poss") if pronoun.group(g))
        replacement = (f"{subject}'" if subject.endswith("s") else f"{subject}'s") if group == "poss" else subject
        text = question[:pronoun.start(group)] + replacement + question[pronoun.end(group):]
        return _same(text[0].upper() + text[1:])
    if pronoun:
        phrase = _ASKED_PHRASE.match(previous)
        # a thing named by "the <noun>" as a whole phrase (not "the mopping" of "the mopping robot")
        things = [d.group() for d in _DESCRIPTION.finditer(previous) if d.group("noun") not in FUNCTION_WORDS
                  and re.match(r"\s*(?:[?,.;]|$|(?:" + "|".join(sorted(FUNCTION_WORDS)) + r")\b)",
                               previous[d.end():])]
        shown = question
        if pronoun.group("pro") and (phrase or things):
            # "Where was it held?" after "When did the first showcase happen?": the phrase asked about; else
            # the thing the previous question named last ("the room it is used in" after "...fill the cooler with?")
            meant = phrase.group("np") if phrase else things[-1]
            shown = question[:pronoun.start()] + meant + question[pronoun.end():]
        return Rewrite(shown, f"{question.rstrip()} (about: {previous.strip()})")
    # "Which fortress guards the city?": a description is about what the conversation named, when the
    # question names nothing of its own or the previous question asked for a thing of that kind ("Which book
    # influenced her?", then "When was the book published in America?")
    for description in _DESCRIPTION.finditer(question):
        noun = description.group("noun")
        if noun in FUNCTION_WORDS or not subject:
            continue
        asked_kind = re.search(rf"^\s*(?:which|what)\s+{noun}\b", previous, re.IGNORECASE)
        if subject.lower() in question.lower() or (_names_anything(question) and not asked_kind):
            continue
        # the thing named last, and what the previous question was about: either may be "the group"
        context = subject if asked_about in (None, subject) or (is_generic and is_generic(asked_about)) \
            else f"{subject.removeprefix('the ')}, {asked_about}"
        meant = subject if asked_kind or asked_about is None or (is_generic and is_generic(asked_about)) \
            else _with_article(asked_about, previous)
        shown = question[:description.start()] + meant + question[description.end():]
        return Rewrite(shown, question[:description.end()] + f" ({context})" + question[description.end():],
                       by_description=not asked_kind)
    return None


def _asked_topic(previous: str) -> str | None:
    """What the previous question asked about, as a noun phrase: "How much is the 2026 AI budget?" -> "the
    2026 AI budget"; of a do-question, without its verb ("How much does X dedicate to AI?" -> "X to AI");
    None when the question does not start with a question word.

    >>> _asked_topic("How much does Acme's budget dedicate to research?"), _asked_topic("Roughly how much is it?")
    ("Acme's budget to research", 'it')
    """
    ask = _LEADING_ASK.match(previous.strip())
    if ask is None or not (ask.group("copula") or ask.group("do")):
        return None  # "What share of the workforce did it cut?": the thing asked is not a phrase to lift
    topic = previous.strip()[ask.end():].rstrip(" ?")
    if ask.group("do"):
        trailing = _TRAILING_PHRASE.search(topic)
        head, tail = (topic[:trailing.start()], topic[trailing.start():]) if trailing else (topic, "")
        words = head.split()
        if len(words) < 2 or not words[-1].islower():
            return None
        topic = " ".join(words[:-1]) + tail  # the verb dropped
    return topic or None


def _same(text: str) -> Rewrite:
    return Rewrite(text, text)


def _with_article(name: str, text: str) -> str:
    """`name` with the "the" that `text` writes before it."""
    return f"the {name}" if re.search(rf"\bthe {re.escape(name)}", text, re.IGNORECASE) else name


def _ellipsis(new: str, previous: str, subject: str | None) -> str:
    """"And in 2017?", "What about Acme?", "What about its tax rate?" as one question, from the previous
    question."""
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
    if new_year and old_years:  # "What about the winter of 2010–11?" after "... in 1987?": the time, swapped
        old = re.search(rf"\b(?:in|during|by|of)\s+(?:\w+\s+){{0,2}}{old_years[-1].group()}\b", previous)
        if old:
            return previous[:old.start()] + "in " + new + previous[old.end():]
    first = new.split()[0].lower()
    if first in POSSESSIVE_PRONOUNS and subject:  # "What about its tax rate?"
        rest = new.split(maxsplit=1)[1] if len(new.split()) > 1 else ""
        return f"What is {subject}'s {rest}?"
    bare = subject.removeprefix("the ") if subject else None
    if bare and bare in previous:  # "What about Orion 3?": the same question, of another name
        return previous.replace(bare, new, 1)
    if first in ("the", "a", "an") and subject:  # "What about the population?"
        return f"What is {new} of {subject}?"
    return f"{previous.rstrip(' ?')}, for {new}?"
