"""Verification: every claim of the model's reply needs one supporting sentence among the candidates;
unsupported claims are dropped, and what is left must hold the kind of thing the question asks for.

Example:
    >>> split_claims("Answer: The tower is 330 m tall [1]. It opened in 1889.")
    ['The tower is 330 m tall.', 'It opened in 1889.']
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from qa.answer.prompt import NOT_IN_PASSAGE
from qa.answer.questions import answers_the_kind_asked
from qa.retrieve.evidence import Sentence
from qa.retrieve.retrieval import Retriever
from qa.settings import Settings
from qa.text.rules import contains_name, figures, is_denial, names, strip_markers
from qa.text.sentences import sentence_spans

# A reply that says it does not know: refused, never verified.
_REFUSAL = re.compile(r"not\s*found|do(?:es)? not (?:say|contain|mention|provide|specify|state)|"
                      r"no information|not (?:mentioned|specified|provided|stated)|cannot (?:find|answer)|"
                      r"don't know|do not know|unknown", re.IGNORECASE)


def says_it_does_not_know(reply: str) -> bool:
    """True for a reply that declines ("not found", "I don't know"...)."""
    return _REFUSAL.search(reply) is not None


def declines_the_passage(reply: str) -> bool:
    """True for a reply over a passage saying it does not answer: the passage prompt's own words or a decline.

    >>> declines_the_passage("Not in the passage."), declines_the_passage("1871")
    (True, False)
    """
    return NOT_IN_PASSAGE in reply.lower() or says_it_does_not_know(reply)


@dataclass
class Verifier:
    """Checks claims against candidate sentences. Its thresholds are `Settings` fields (`verify_*`)."""

    retriever: Retriever
    # defaults are the Settings' (their one home, with what each means)
    min_relevance: float = Settings.verify_min_relevance
    min_overlap: float = Settings.verify_min_overlap
    min_cosine: float = Settings.verify_min_cosine
    max_anchor_share: float = Settings.verify_max_anchor_share
    near_chars: int = Settings.verify_near_chars

    @classmethod
    def from_settings(cls, retriever: Retriever, settings: Settings) -> "Verifier":
        """A verifier with the thresholds of `settings`."""
        return cls(retriever, min_relevance=settings.verify_min_relevance, min_overlap=settings.verify_min_overlap,
                   min_cosine=settings.verify_min_cosine, max_anchor_share=settings.verify_max_anchor_share,
                   near_chars=settings.verify_near_chars)

    def may_support(self, s: Sentence) -> bool:
        """A sentence that may support anything: relevant to the question and not itself a question."""
        return s.relevance >= self.min_relevance and not s.text.rstrip().endswith("?")

    def around(self, s: Sentence) -> str:
        """The text of `s` with `near_chars` on each side: what counts as "next to" it."""
        return self.retriever.text_span(s.source, s.start - self.near_chars, s.end + self.near_chars)

    def before(self, s: Sentence) -> str:
        """The `near_chars` of text just before `s` (where its subject is often named)."""
        return self.retriever.text_span(s.source, s.start - self.near_chars, s.start)

    def distinctive(self, text: str) -> set[str]:
        """The names of `text` that are rare in the corpus (or absent from it): common ones (the corpus's
        main topic) prove nothing, while a rare or unknown name is exactly what a model invents or misplaces."""
        out = set()
        for name in names(text):
            if not re.search(r"[a-z0-9]", name):
                continue  # Hangul: the English passages cannot contain it
            terms = self.retriever.terms(name)
            if terms and all(self.retriever.sentence_share(t) < self.max_anchor_share for t in terms):
                out.add(name)
        return out

    def support(self, claim: str, claim_vector: np.ndarray, question: str,
                candidates: Sequence[Sentence]) -> Sentence | None:
        """The candidate sentence that best supports `claim`, or None.

        A support is relevant to the question and states every figure of the claim; every name of the
        claim, and at least one distinctive name of the question, occur in it or next to it; and it
        holds most of the claim's terms or is close to it in meaning.
        """
        claim_figures = figures(claim) - figures(question)
        claim_names = self.distinctive(claim)
        claim_terms = set(self.retriever.terms(claim))
        anchors = self.distinctive(question)
        best, best_score = None, 0.0
        negated = is_denial(claim)
        for s in candidates:
            if not self.may_support(s) or not claim_figures <= figures(s.text):
                continue
            if negated != is_denial(s.text):
                continue  # a denial needs a denial
            near = self.around(s).lower()
            if not all(contains_name(n, near) for n in claim_names):
                continue
            if anchors and not any(contains_name(a, near) for a in anchors):
                continue
            overlap = self.retriever.term_share(claim_terms, set(self.retriever.terms(s.text)))
            cosine = float(self.retriever.sentence_vector(s.window) @ claim_vector)
            if overlap < self.min_overlap and cosine < self.min_cosine:
                continue
            score = overlap + cosine + s.relevance
            if score > best_score:
                best, best_score = s, score
        return best


def split_claims(text: str) -> list[str]:
    """The sentences of a reply, markers removed."""
    text = strip_markers(text).strip()
    text = re.sub(r"^(answer|a)\s*:\s*", "", text, flags=re.IGNORECASE)
    return [text[s:e].strip() for s, e in sentence_spans(text) if re.search(r"\w", text[s:e])]


def trim_unfinished(raw: str) -> str:
    """Cut a reply that stopped at the token limit back to its last complete clause, so a figure cut
    in half ("by 2027/20") is not checked as a claim.

    >>> trim_unfinished("It opened in 1889, and by 19")
    'It opened in 1889.'
    """
    text = raw.rstrip()
    if not text or text[-1] in ".!?)\"'”’":
        return text
    last_sentence_start = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    cut = text.rfind(",")
    if cut > last_sentence_start:
        return text[:cut].rstrip() + "."
    if last_sentence_start >= 0:
        return text[:last_sentence_start + 1]
    return text


Supported = tuple[str, Sentence]  # (a claim of the reply, the sentence that supports it)


def verify_reply(question: str, raw: str, candidates: Sequence[Sentence], verifier: Verifier,
                 truncated: bool = False, extractive: bool = True) -> list[Supported] | None:
    """The supported claims of a reply, each with its supporting sentence; None when the reply declines,
    nothing is supported, or what is supported does not hold the kind of thing asked (judged on the
    supporting sentences when `extractive`, since they are what the answer will show)."""
    if not raw.strip() or says_it_does_not_know(raw):
        return None
    claims = split_claims(trim_unfinished(raw) if truncated else raw)
    if not claims:
        return None
    vectors = verifier.retriever.embed(claims)
    supported: list[Supported] = []
    for claim, vector in zip(claims, vectors):
        s = verifier.support(claim, vector, question, candidates)
        if s is not None:
            supported.append((claim, s))
    if not supported:
        return None
    if not answers_the_kind_asked(question, " ".join(s.text if extractive else c for c, s in supported)):
        return None
    return supported


# --- the answer phrase -------------------------------------------------------------------------------------

_LEAD_IN = re.compile(r"^\s*(?:answer|a|the answer is|response)\s*[:\-–]\s*", re.IGNORECASE)


def clean_phrase(raw: str) -> str:
    """The model's answer phrase: its first line (or its short lines joined by ";"), markers, lead-ins
    ("Answer:"), wrapping quotes and the final full stop removed.

    >>> clean_phrase('Answer: "330 metres" [1].')
    '330 metres'
    >>> clean_phrase("2019: $2,496\\n2018: $1,947")
    '2019: $2,496; 2018: $1,947'
    """
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    # items written one a line ("2019: $2,496" / "2018: $1,947") are one listing; a longer line is prose
    short = len(lines) <= 6 and all(len(line.split()) <= 8 for line in lines)
    text = "; ".join(line.rstrip(" .;,") for line in lines) if short else (lines[0] if lines else "")
    text = _LEAD_IN.sub("", strip_markers(text)).strip().rstrip(" .")
    if len(text) > 1 and text[0] in "\"'“‘" and text[-1] in "\"'”’":
        text = text[1:-1].strip()
    return " ".join(text.rstrip(" .").split())


def phrase_supports(question: str, phrase: str, candidates: Sequence[Sentence],
                    verifier: Verifier) -> list[Sentence]:
    """Every candidate sentence that supports `phrase`, best first (relevance plus the share of the
    question's IDF weight in the sentence and the text just before it).

    A support states every term (stemmed word) and figure of the phrase that the question does not
    already hold, agrees with it on denial, and is not itself a question. A phrase that adds nothing to
    the question (no new term, no new figure) has no support: it does not answer.
    """
    terms = verifier.retriever.terms
    q_terms = set(terms(question))
    p_terms = set(terms(phrase))
    # numbers are compared as figures ("4" = "four"), not as terms
    new_terms = {t for t in p_terms - q_terms if not re.fullmatch(r"[\d.]+", t)}
    new_figures = figures(phrase) - figures(question)
    if not new_terms and not new_figures:
        return []
    denial = is_denial(phrase)
    out: list[tuple[float, Sentence]] = []
    for s in candidates:
        if not verifier.may_support(s):
            continue
        s_terms = set(terms(s.text))
        if not new_terms <= s_terms or not new_figures <= figures(s.text):
            continue
        if denial and not is_denial(s.text):
            continue  # a denial needs a denial
        coverage = verifier.retriever.term_share(q_terms, s_terms | set(terms(verifier.before(s))))
        out.append((s.relevance + coverage, s))
    return [sentence for _, sentence in sorted(out, key=lambda pair: -pair[0])]
