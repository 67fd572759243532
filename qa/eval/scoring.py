"""The scoring rules of tests/data/SCORING.md, exactly: every evaluation here uses this module.

It is independent of the answering code on purpose (it imports nothing from `qa`): a judge must not
share rules with what it judges. Besides SCORING.md's rules it defines token F1 (SQuAD's definition)
and the median answer length, the other figures the public sets are reported with.

Example:
    >>> score_answer({"type": "numeric", "answers": ["seven", "7"]}, "The team climbed 7 spots [1].", refused=False)
    {'correct': True, 'refused': False, 'matched': ['seven', '7'], 'words': 6, 'too_long': False, 'hangul_share': 0.0}
"""
from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections import Counter
from typing import Iterable, Sequence

MARKERS = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")
REFUSAL_PHRASES = re.compile(
    r"don't know|do not know|not mentioned|not contain|not provide|not say|not state|no information|"
    r"cannot find|cannot answer|모르|없습니다")
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
_WORD_TO_DIGIT = {w: str(i) for i, w in enumerate(NUMBER_WORDS) if i}
_DIGIT_TO_WORD = {d: w for w, d in _WORD_TO_DIGIT.items()}
ANSWERABLE_TYPES = ("factoid", "numeric", "paraphrase", "multi_hop", "list", "korean", "conflict")


def strip_markers(text: str) -> str:
    """Remove citation markers: `[1]`, `[2, 3]`, `[1][4]`."""
    return MARKERS.sub("", text)


def normalize(text: str) -> str:
    """Markers removed, NFKC, lower case, straight quotes, no thousands separators, single spaces.

    >>> normalize("Chile’s 1,012 robots [1][2]  per 10,000")
    "chile's 1012 robots per 10000"
    """
    text = unicodedata.normalize("NFKC", strip_markers(text)).lower()
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"'}))
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    return " ".join(text.split())


def _is_alnum_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _occurs(needle: str, haystack: str) -> bool:
    """`needle` occurs in `haystack` as a whole token run (rule 2)."""
    if not needle:
        return False
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        ok = True
        if _is_alnum_latin(needle[0]) and start > 0:
            before = haystack[start - 1]
            if _is_alnum_latin(before) or (needle[0].isdigit() and before == "." and start > 1 and haystack[start - 2].isdigit()):
                ok = False
        if ok and _is_alnum_latin(needle[-1]) and end < len(haystack):
            after = haystack[end]
            if _is_alnum_latin(after) or (needle[-1].isdigit() and after == "." and end + 1 < len(haystack) and haystack[end + 1].isdigit()):
                ok = False
        if ok:
            return True
        start = haystack.find(needle, start + 1)
    return False


def _variants(accepted: str) -> set[str]:
    """The normalized accepted string, with number words <-> digits and US <-> United States."""
    base = normalize(accepted)
    out = {base}
    tokens = re.split(r"(\W+)", base)
    words = ["".join(_WORD_TO_DIGIT.get(t, t) for t in tokens), "".join(_DIGIT_TO_WORD.get(t, t) for t in tokens)]
    out.update(words)
    for v in list(out):
        if re.search(r"\bunited states\b", v):
            out.add(re.sub(r"\bunited states\b", "us", v))
        if re.search(r"\bus\b", v):
            out.add(re.sub(r"\bus\b", "united states", v))
    return {v for v in out if v}


def entry_matches(entry: str, normalized_answer: str) -> bool:
    """An `answers` entry matches when any of its ` | ` alternatives occurs (rules 1-2)."""
    return any(_occurs(v, normalized_answer) for alt in entry.split(" | ") for v in _variants(alt))


def hangul_share(text: str) -> float:
    """Hangul syllables / (Hangul syllables + Latin letters)."""
    hangul = len(re.findall(r"[\uac00-\ud7a3]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return hangul / (hangul + latin) if hangul + latin else 0.0


def text_refuses(text: str) -> bool:
    """How a system without a refusal flag is judged: its text says it does not know."""
    return bool(REFUSAL_PHRASES.search(normalize(text)))


def score_answer(question: dict, text: str, refused: bool | None = None) -> dict:
    """Score one answer by its question's type. `refused=None` judges refusal from the text."""
    refused = text_refuses(text) if refused is None else bool(refused)
    kind = question["type"]
    answer = normalize(text)
    words = answer_words(text)
    too_long = words > (120 if kind in ("list", "conflict") else 60)
    matched = [e for e in question.get("answers", []) if entry_matches(e, answer)]
    share = hangul_share(strip_markers(text))
    if kind == "unanswerable":
        correct = refused
    elif refused or too_long:
        correct = False
    elif kind == "list":
        correct = len(matched) == len(question["answers"])
    elif kind == "conflict":
        correct = len(matched) >= 2
    elif kind == "korean":
        correct = bool(matched) and share >= 0.5
    else:
        correct = bool(matched)
    return {"correct": correct, "refused": refused, "matched": matched, "words": words, "too_long": too_long,
            "hangul_share": round(share, 3)}


_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b")
_SQUAD_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def squad_tokens(text: str) -> list[str]:
    """SQuAD's answer normalization, as tokens: citation markers removed, lower case, punctuation and the
    articles a/an/the dropped, white space split.

    >>> squad_tokens("The tower is 1,083 feet tall [1].")
    ['tower', 'is', '1083', 'feet', 'tall']
    """
    text = strip_markers(text).lower()
    text = "".join(ch for ch in text if ch not in _SQUAD_PUNCTUATION)
    return _SQUAD_ARTICLES.sub(" ", text).split()


def _f1(prediction: list[str], truth: list[str]) -> float:
    common = sum((Counter(prediction) & Counter(truth)).values())
    if not prediction or not truth:
        return float(prediction == truth)
    if not common:
        return 0.0
    precision, recall = common / len(prediction), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def token_f1(question: dict, text: str, refused: bool) -> float:
    """Token F1 of an answer against a question's accepted answers, as SQuAD defines it: the best over the
    accepted strings (each ` | ` alternative on its own); a `list` row is compared with its entries joined
    by spaces (each entry's first alternative). A refusal scores 0; so does any unanswerable row.

    >>> token_f1({"type": "factoid", "answers": ["Hugging Face | HF"]}, "It is on Hugging Face [1].", False)
    0.5714
    """
    answers = question.get("answers") or []
    if refused or question.get("type") == "unanswerable" or not answers:
        return 0.0
    if question.get("type") == "list":
        truths = [" ".join(entry.split(" | ")[0] for entry in answers)]
    else:
        truths = [alt for entry in answers for alt in entry.split(" | ")]
    prediction = squad_tokens(text)
    return round(max(_f1(prediction, squad_tokens(t)) for t in truths), 4)


def answer_words(text: str) -> int:
    """Words of an answer as rule 3 counts them (markers removed)."""
    return len(strip_markers(text).split())


def source_name(source: str) -> str:
    """Sources are compared by file name."""
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def summarize(rows: Sequence[dict]) -> dict:
    """Rule 5 over scored rows, each {"type", "correct", "refused", "cited": [sources], "gold": [sources]};
    with "f1" and "words" in the rows, also the mean token F1 over answerable rows (a refusal scoring 0)
    and the median length of the answers given (refusals left out)."""
    answerable = [r for r in rows if r["type"] != "unanswerable"]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    answered = [r for r in answerable if not r["refused"]]

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    precisions = []
    hits = 0
    for r in answered:
        cited = {source_name(s) for s in r.get("cited", [])}
        gold = {source_name(s) for s in r.get("gold", [])}
        hits += bool(cited & gold)
        precisions.append(len(cited & gold) / len(cited) if cited else 0.0)
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answerable_accuracy": ratio(sum(r["correct"] for r in answerable), len(answerable)),
        "refusal_accuracy": ratio(sum(r["refused"] for r in unanswerable), len(unanswerable)),
        "false_refusal_rate": ratio(sum(r["refused"] for r in answerable), len(answerable)),
        "source_hit": ratio(hits, len(answered)),
        "citation_precision": round(sum(precisions) / len(precisions), 4) if precisions else None,
        "answerable_refused": sum(r["refused"] for r in answerable),
        "token_f1": round(statistics.mean(r["f1"] for r in answerable), 4)
        if answerable and all("f1" in r for r in answerable) else None,
        "median_answer_words": _median([r["words"] for r in rows if not r["refused"] and "words" in r]),
    }


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def by_type(rows: Iterable[dict]) -> dict[str, dict]:
    """Correct / total per question type."""
    out: dict[str, dict] = {}
    for kind, group in itertools.groupby(sorted(rows, key=lambda r: r["type"]), key=lambda r: r["type"]):
        group = list(group)
        out[kind] = {"n": len(group), "correct": sum(r["correct"] for r in group),
                     "accuracy": round(sum(r["correct"] for r in group) / len(group), 4)}
    return out
