"""What a question is and what it asks for: cleaning user input, the kind of answer it needs (a figure, a
date, a name), whether it fixes its own scope. English rules; the words are data in `qa/text/language.py`
where they are shared.

Example:
    >>> clean_question("  How big\\x00 is it?\\n", 100)
    'How big is it?'
"""
from __future__ import annotations

import re
import unicodedata

from qa.errors import QuestionError
from qa.text.language import (
    ASKING_VERBS,
    AUXILIARY_VERBS,
    FUNCTION_WORDS,
    LISTING_WORDS,
    MONTHS,
    NOT_PLURAL_ENDINGS,
    POSSESSIVE_PRONOUNS,
    QUESTION_WORDS,
    SECOND_QUESTION_JOINERS,
)
from qa.text.rules import figures, names

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_question(question: object, max_chars: int) -> str:
    """The question with control characters removed and white space folded; `QuestionError` when unusable."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    if len(question) > max_chars:
        raise QuestionError(f"the question is {len(question):,} characters long; the limit is {max_chars:,}")
    text = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", question)).split())
    if not text:
        raise QuestionError("the question is empty")
    if not re.search(r"\w", text):
        raise QuestionError("the question has no words")
    return text


# What a question asks for. An answer that does not hold that kind of thing does not answer it, however
# well its words match: "How many moons does Mars have?" needs a figure, "What is X called?" a name.
ASKS_NUMBER = re.compile(
    r"\bhow (many|much|big|large|long|far|old|fast|high|small)\b|\bwhat (percentage|percent|share|number|amount|"
    r"size|fines?|penalt\w*|cost|price|budget|salary|revenue)\b|\bby how\b", re.IGNORECASE)
_ASKS_DATE = re.compile(r"\bwhen (did|does|do|is|was|will|were|are|has|had|can|could|should)\b|"
                        r"\bwhat (year|date|month|day|time)\b|\bin which year\b", re.IGNORECASE)
_ASKS_NAMING = re.compile(r"\b(called|named|name of|the name)\b", re.IGNORECASE)
_NAMES_SOMETHING = re.compile(r"\b(called|named|dubbed|known as|titled|branded|nicknamed)\b|(?-i:[\"“‘]|(?<!\w)')[A-Z]",
                              re.IGNORECASE)
_ASKS_NAME = re.compile(r"^\s*who\b|\bwhich (\w+ )?(company|companies|firm|agency|organi[sz]ation|ministry|"
                        r"publication|country|countries|analyst|university|person|people|team|teams|model|models|city)\b",
                        re.IGNORECASE)
# A date of any period: a year of three or four digits (or a decade, "1990s"), a century, a month, a
# relative date.
_DATE = re.compile(r"(?<![\d,.$€£¥₩])\b\d{3,4}s?\b(?![,.]\d)|\b\d{1,2}(st|nd|rd|th) century\b|\b(" + "|".join(MONTHS) +
                   r")\b|\b(last|next|this) (year|month|week)\b|\bago\b|\b(today|yesterday)\b", re.IGNORECASE)


def asks_yes_or_no(question: str) -> bool:
    """True for a question that starts with an auxiliary verb ("Does it leak?").

    >>> asks_yes_or_no("Does it leak?"), asks_yes_or_no("What does it cost?")
    (True, False)
    """
    first = re.match(r"\W*(\w+)", question)
    return bool(first) and first.group(1).lower() in AUXILIARY_VERBS


_ASKS_REASON = re.compile(r"^\W*(?:(?:and|so|but)\s+)?(?:why\b(?!['\"’”])|how\s+come\b|for\s+(?:what|which)\s+reasons?\b|"
                          r"what(?:'s|’s|\s+(?:is|was|are|were))\s+(?:\w+\s+){0,4}?reasons?\s+(?:for|why|that|behind)\b)",
                          re.IGNORECASE)


def answered_by_its_sentence(question: str) -> bool:
    """True for a question whose answer is a statement, not a phrase: yes or no ("Does it leak?"), or a
    reason ("Why did it close?"). A reason is a clause ("because the bay froze"), and on the tune splits the
    answer's whole sentence holds the accepted answer for 16 of 31 "why" questions, its phrase for 6.

    >>> [answered_by_its_sentence(q) for q in ("Why did it close?", "What was the main reason for the delay?",
    ...                                        "And why?", "How come it froze?", "Does it leak?")]
    [True, True, True, True, True]
    >>> [answered_by_its_sentence(q) for q in ("Who closed it?", "Whyalla is where?", "'Why' is which song?",
    ...                                        "What is the reason code for order 12?")]
    [False, False, False, False]
    """
    return asks_yes_or_no(question) or bool(_ASKS_REASON.match(question))


_ASKED_NOUN = re.compile(r"\b(?:what|which|how many|how much)\s+(?:(?:type|kind|sort|form)s?\s+of\s+)?([^\W\d_]+)",
                         re.IGNORECASE)


def asked_noun(question: str) -> str | None:
    """The noun that names what the question asks for: "What type of language…" -> "language", "How many
    pounds…" -> "pounds"; None when the question word is followed by a verb or a function word.

    >>> asked_noun("What type of language is Latin?"), asked_noun("Which tenses exist?"), asked_noun("What is it?")
    ('language', 'tenses', None)
    """
    m = _ASKED_NOUN.search(question)
    if m is None or m.group(1).lower() in FUNCTION_WORDS | AUXILIARY_VERBS:
        return None
    return m.group(1)


_QUESTION_WORD = re.compile(r"\b(?:what|which)\s+(?:(?:are|were)\s+)?(?:the\s+)?", re.IGNORECASE)


def asks_for_several(question: str) -> bool:
    """True when the question asks for several things: a listing word ("respectively"), or a plural noun in
    the words after its question word ("Which tenses make up ...", "What financial items does it consist
    of?", "What are the contract types?"); never "how many".

    >>> asks_for_several("Which tenses make up the perfect system?"), asks_for_several("What are the contract types?")
    (True, True)
    >>> asks_for_several("What was revenue in 2018 and 2019 respectively?"), asks_for_several("How many tenses are there?")
    (True, False)
    >>> asks_for_several("What class is it in?"), asks_for_several("What is the company's main cost?")
    (False, False)
    """
    words = [w.lower() for w in re.findall(r"[\w'’-]+", question)]
    if set(words) & LISTING_WORDS:
        return True
    if re.match(r"\W*how\s+(many|much)\b", question, re.IGNORECASE):
        return False
    m = _QUESTION_WORD.search(question)
    if m is None:
        return False
    phrase = []
    for word in re.findall(r"[\w'’-]+", question[m.end():])[:4]:  # the noun phrase it asks about
        if word.lower() in FUNCTION_WORDS | AUXILIARY_VERBS:
            break
        phrase.append(word)
    return any(_plural(w) for w in phrase)


_WH = "|".join(sorted(QUESTION_WORDS, key=len, reverse=True))
_AUX = "|".join(sorted(AUXILIARY_VERBS))
# Who or what a yes-or-no question's auxiliary verb is about: a pronoun, a determiner, a capitalized name.
_SUBJECT = r"(?:it|they|he|she|you|we|this|that|there|the|a|an|its|their|(?-i:[A-Z])\w*)\b"
# Who a yes-or-no question after a bare "and" is about: a pronoun ("... and is it waterproof?"); not a name or a
# thing, which more often carry on the first question's subject ("Who founded it and was its first CEO?").
_PRONOUN_SUBJECT = r"(?:it|they|he|she|you|we|i|there|this|that)\b"
# The auxiliary verbs that open a question after ", and" ("..., and is it waterproof?"); not "has"/"had",
# which more often carry on the first question's subject ("Which planet is largest, and has most moons?").
_ASKING_AUX = "is|are|was|were|do|does|did|can|could|will|would|should"
# Question words that ask about a clause, not a thing: they can swap places ("Where and when was it signed?").
_CLAUSE_WH = "when|where|why|how"
_AMOUNT_WH = r"(?:\s+(?:much|many|long|far|old|big|large|often|tall|high))?"
_ASKS = "|".join(sorted(ASKING_VERBS))
_JOINERS = "|".join(w.replace(" ", r"\s+") for w in sorted(SECOND_QUESTION_JOINERS, key=len, reverse=True))
# What a request's verb is followed by when it asks for something ("tell me", "explain how", "name the")
_ASKED_OBJECT = rf"(?:(?:tell|give|show)\s+(?:me|us)|(?:{_ASKS})\s+(?:how|why|what|which|when|where|who|whether))\b"
# (not "and name the ..." or "and give the medal to": one subject doing two things, "How do I create and name
# a branch?", "Who did she meet and give the medal to?")
# Where a second question starts: after a question mark, semicolon or full stop that ends a sentence ("...?
# And how many...?", "...; how much...", "...? Besides that, is there..."), after "and" / "as well as" /
# "plus" / "also" when a question word follows ("..., and in what year did he...?"), after "and" or "plus"
# when an auxiliary verb opens a yes-or-no question about someone or something ("What does it cost and is
# it waterproof?"), after "and" when a request follows ("Give me the total and tell me..."), or after a bare
# comma when a question word and its auxiliary verb follow in a question's order ("When did it open, how long
# is it?", "..., what platform is it on?"; a relative clause, ", where it is based", keeps the subject first).
_SECOND_QUESTION = re.compile(rf"(?:\?|(?P<semi>;)|(?P<stop>\.))\s+(?:(?:{_JOINERS}),?\s+)?"
                              rf"(?=(?:{_WH}|{_AUX}|{_ASKS})\b)|"
                              rf",?\s+(?:and|as well as|plus|also)\s+(?:also\s+)?"
                              rf"(?=(?:(?:in|on|at|for|by|from|to|of|since)\s+)?(?:{_WH})\b)|"
                              rf"(?P<commaaux>,\s+(?:and|plus)\s+(?:also\s+)?)(?=(?:{_ASKING_AUX})\s+{_SUBJECT})|"
                              rf"(?P<aux>\s+(?:and|plus)\s+(?:also\s+)?)(?!do\s+(?:it|this|that)\b)"
                              rf"(?=(?:{_ASKING_AUX})\s+{_PRONOUN_SUBJECT})|"
                              rf"(?P<ask>,?\s+and\s+(?:also\s+)?)(?={_ASKED_OBJECT})|"
                              rf"(?P<comma>,)\s+(?=(?:what(?:\s+\w+)?|(?:which|how\s+(?:many|much))\s+\w+|"
                              rf"(?:{_CLAUSE_WH}){_AMOUNT_WH})\s+(?:{_ASKING_AUX})\s+{_SUBJECT})",
                              re.IGNORECASE)
# "What is the volume of X as well as its depth?": a second thing asked of the same subject
_SECOND_ATTRIBUTE = re.compile(rf"\s+(?:and|as well as)\s+(?=(?:{'|'.join(sorted(POSSESSIVE_PRONOUNS))})\s+\w)",
                               re.IGNORECASE)
_LEADING_ASK = re.compile(r"^\s*(?:what|which)\s+(?:is|are|was|were)\s+", re.IGNORECASE)
# A question asking two things of one clause: "Where and when was it signed?", "When was it built, and by
# whom?" (the second question word takes the first one's place before the auxiliary verb).
_AGENT_WH = rf"(?:(?:by|from|with|for|to)\s+whom|{_CLAUSE_WH})"
_TWO_ASKS = re.compile(rf"^(?:{_CLAUSE_WH})\s+and\s+({_AGENT_WH})\s+(?=(?:{_AUX})\s)", re.IGNORECASE)
_TRAILING_ASK = re.compile(rf",?\s+and\s+({_AGENT_WH})\s*\??$", re.IGNORECASE)
_OPENING_ASK = re.compile(rf"^(?:{_CLAUSE_WH})\s+(?=(?:{_AUX})\s)", re.IGNORECASE)
# How a question opens: a question word (and an amount word), then its auxiliary verb, or an auxiliary verb.
_OPENS_A_QUESTION = re.compile(rf"^(?:(?:in|on|at|for|by|from|to|of)\s+)?(?:(?:{_WH}){_AMOUNT_WH}(?:\s+\w+)?\s+)?"
                               rf"(?:{_AUX})\b|^(?:what|who|where|how|when)['’]s\b", re.IGNORECASE)
_STARTS_A_QUESTION = re.compile(rf"^(?:(?:in|on|at|for|by|from|to|of)\s+)?(?:{_WH}|{_AUX}|{_ASKS})\b", re.IGNORECASE)
# "Do you know when it opens and how much it costs?": the question words after it are embedded, not asked
_EMBEDS = re.compile(r"^(?:do|does|can|could|would|will)\s+(?:you|anyone|someone)\b|^(?:tell|show)\s+me\b",
                     re.IGNORECASE)
# A first part ending on a condition or a conjunction is not a question of its own ("..., and if not, how...")
_OPEN_ENDED = re.compile(r"\b(?:if not|if so|if yes|and|or|but|then|so)$", re.IGNORECASE)
# An abbreviation before a full stop ("Inc.", "Dr.", "St.", "etc."): no sentence ends there
_ABBREVIATION = re.compile(r"(?:^|\s)(?:[A-Z][a-z]{0,3}|[a-z]{1,3}|(?:\w\.)+\w)$")
MIN_PART_WORDS = 3
# More parts than this is not a person asking a few things at once (and each part costs a reading): one question
MAX_PARTS = 4


def _one_clause_parts(question: str) -> list[str] | None:
    """The two questions of "Where and when was it signed?" or "When was it built, and by whom?"; None for
    a question of another shape (a subject question, "Who was fired, and why?", stays one)."""
    body = question.strip().rstrip(" ?.")
    both = _TWO_ASKS.match(body)
    if both:
        first = body[:both.end()].split()[0]
        rest = body[both.end():]
        return [f"{first} {rest}", f"{both.group(1)} {rest}"]
    trailing = _TRAILING_ASK.search(question)
    if trailing is None:
        return None
    first = question[:trailing.start()].strip(" ,")
    opening = _OPENING_ASK.match(first)  # "When was" of "When was it built": the auxiliary verb stays
    if opening is None or len(first.split()) < MIN_PART_WORDS:
        return None
    return [first, f"{trailing.group(1)} {first[opening.end():]}"]


def _not_a_cut(cut: re.Match, first: str, second: str, rest: str) -> bool:
    """True when the separator `cut` found does not end a question: the words before it are not one, it sits
    after an abbreviation, or the question words after it are embedded in the first question."""
    if any(cut.group(g) for g in ("comma", "semi", "stop", "ask", "aux", "commaaux")) \
            and not _STARTS_A_QUESTION.match(first):
        return True  # "According to the review, what...", "My kettle leaks; what...": no question first
    if cut.group("comma") and not _OPENS_A_QUESTION.match(first):
        return True  # "When the war ended, what happened?": a clause, not a question, before the comma
    if cut.group("stop") and (_ABBREVIATION.search(first) or not rest[cut.end("stop"):].lstrip()[:1].isupper()):
        return True  # "How many staff did Alphabet Inc. have?"
    if _OPEN_ENDED.search(first):
        return True
    wh = re.match(rf"(?:\w+\s+)?({_WH})\b", second, re.IGNORECASE)
    if wh and not cut.group("ask") and not re.search(r"[?;.]", rest[cut.start():cut.end()]):
        # "What determines which half is positive and which is negative?", "Do you know when... and how...?"
        return bool(re.search(rf"\s{wh.group(1)}\b", first, re.IGNORECASE) or _EMBEDS.match(first))
    return False


def question_parts(question: str) -> list[str]:
    """The questions a question asks, each as a question of its own: one for most questions (a list question
    such as "What was revenue in 2018 and 2019 respectively?" is one question asking for several items,
    `asks_for_several`), two or more for "What are the opening hours and how much does a loaf cost?".

    >>> question_parts("Who commissioned Mesrob, and in what year did he complete it?")
    ['Who commissioned Mesrob?', 'In what year did he complete it?']
    >>> question_parts("How many towns are there? And how many senators sit in the Senate?")
    ['How many towns are there?', 'How many senators sit in the Senate?']
    >>> question_parts("What is the volume of the Baltic Sea as well as its maximum depth?")
    ['What is the volume of the Baltic Sea?', 'What is its maximum depth?']
    >>> question_parts("What was revenue in 2018 and 2019 respectively?"), question_parts("Who won and why?")
    (['What was revenue in 2018 and 2019 respectively?'], ['Who won and why?'])
    >>> question_parts("What determines which half-line is positive and which is negative?")
    ['What determines which half-line is positive and which is negative?']
    >>> question_parts("What is the difference between Apple and its rivals?")
    ['What is the difference between Apple and its rivals?']
    >>> question_parts("What does the kettle cost, and is it easy to clean?")
    ['What does the kettle cost?', 'Is it easy to clean?']
    >>> question_parts("Where is the museum; how much is a ticket?")
    ['Where is the museum?', 'How much is a ticket?']
    >>> question_parts("When was the bridge built, and by whom?")
    ['When was the bridge built?', 'By whom was the bridge built?']
    >>> question_parts("Where and when was the treaty signed?")
    ['Where was the treaty signed?', 'When was the treaty signed?']
    >>> question_parts("When did the mill open, how long is it?"), question_parts("In 2019, what was revenue?")
    (['When did the mill open?', 'How long is it?'], ['In 2019, what was revenue?'])
    """
    if set(re.findall(r"[\w'’-]+", question.lower())) & LISTING_WORDS:
        return [question]
    pieces, rest = [], " ".join(question.split())  # white space folded: no separator spans a long run of it
    searched_from = 0
    while True:
        cut = _SECOND_QUESTION.search(rest, searched_from)
        attribute = (_SECOND_ATTRIBUTE.search(rest) if cut is None and _LEADING_ASK.match(rest)
                     and not re.search(r"\b(?:between|both)\b", rest, re.IGNORECASE) else None)  # "between X and its Y"
        found = cut or attribute
        if found is None:
            break
        first, second = rest[:found.start()].strip(" ,;."), rest[found.end():].strip()
        if cut is not None and _not_a_cut(cut, first, second, rest):
            if cut.group("comma"):  # "Who invented it, what year was it patented and where...": look on
                searched_from = cut.end()
                continue
            break
        if attribute is not None:
            second = _LEADING_ASK.match(rest).group().strip().capitalize() + " " + second
        if len(first.split()) < MIN_PART_WORDS or len(second.split()) < MIN_PART_WORDS:
            break
        pieces.append(first)
        rest, searched_from = second, 0
    parts = [*pieces, rest]
    if len(parts) == 1:
        parts = _one_clause_parts(rest) or [question]
    if len(parts) == 1 or len(parts) > MAX_PARTS:
        return [question]
    return [p[0].upper() + p[1:].rstrip(" ?.") + "?" for p in parts]


def _plural(word: str) -> bool:
    """A word spelled as an English plural noun ("tenses", "types"; not "class", "bonus", "its")."""
    w = word.lower()
    return len(w) > 3 and w.endswith("s") and not w.endswith(NOT_PLURAL_ENDINGS) and w not in FUNCTION_WORDS


def asks_for_number(question: str) -> bool:
    """True when the question asks for a figure ("how many", "what percentage"...)."""
    return ASKS_NUMBER.search(question) is not None


def answers_the_kind_asked(question: str, answer: str) -> bool:
    """True when `answer` holds the kind of thing the question asks for (a figure, a date, a name).

    >>> answers_the_kind_asked("How many moons does Mars have?", "Mars is a red planet.")
    False
    >>> [answers_the_kind_asked("When was it built?", a) for a in ("in 1066", "the 13th century", "long ago", "$250")]
    [True, True, True, False]
    """
    if ASKS_NUMBER.search(question) and not (figures(answer) - figures(question)):
        return False
    if _ASKS_DATE.search(question) and not _DATE.search(answer):
        return False
    if _ASKS_NAMING.search(question) and not _NAMES_SOMETHING.search(answer):
        return False
    if _ASKS_NAME.search(question) and not (names(answer) - names(question)):
        return False
    return True


_SCOPE = re.compile(r"\b(after|before|since|until|during|compared|first|last|initial|final|left|remaining|"
                    r"currently|now|previous|next)\b|\b(in|by|of|for) \d{3,4}\b(?![,.]\d)", re.IGNORECASE)


def is_scoped(question: str) -> bool:
    """True when a question fixes a date, stage or comparison: it then has one answer, not several.

    >>> is_scoped("How many teams were left after the first evaluation?"), is_scoped("How many moons does Jupiter have?")
    (True, False)
    """
    return bool(_SCOPE.search(question))
