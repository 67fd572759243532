"""Reading the model's reply: from its words to the statements the answer shows, each with the sentence
that supports it, and the features the calibrated score reads (qa/answer/calibration.py).

Three readings, tried in turn:
    yes or no   a reply "Yes"/"No" to a yes-or-no question: the sentence that bears on the question most,
                after the verdict only when the sentence agrees (a denial for "No");
    phrase      the answer phrase, cited to the sentence that states every new word and figure of it
                (a list: each item its own sentence), written as that sentence writes it;
    sentences   the fallback: the whole sentences that support the reply's claims (qa/answer/verification.py).

Example:
    >>> Reader(retriever, verifier, 60).read("How tall is it?", "330 metres", candidates, False)  # doctest: +SKIP
    ([('330 metres', Sentence(...))], {'relevance': 1.2, ...})
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from qa.answer.composition import Statement, display_sentence, extractive_statements, fit_words
from qa.answer.questions import answers_the_kind_asked, asked_noun, asks_yes_or_no
from qa.answer.verification import Verifier, clean_phrase, phrase_supports, trim_unfinished, verify_reply
from qa.retrieve.evidence import Sentence
from qa.retrieve.retrieval import Retriever
from qa.text.language import NO_WORDS, YES_WORDS
from qa.text.rules import as_written, completed, contains_name, figures, is_denial, list_items
from qa.text.tables import cell_named, table_cells

Reading = tuple[list[Statement], dict]  # the statements shown, and the calibration's features


@dataclass
class Reader:
    """Reads one reply against the candidate sentences of one question."""

    retriever: Retriever
    verifier: Verifier
    max_answer_words: int

    def read(self, question: str, raw: str, candidates: list[Sentence], truncated: bool) -> Reading | None:
        """The first reading that finds support (yes or no, phrase, sentences); None when none does."""
        read = self.read_yes_no(question, raw, candidates) if asks_yes_or_no(question) else None
        if read is None:
            read = self.read_phrase(question, raw, candidates, truncated)
        if read is None:
            read = self.read_sentences(question, raw, candidates, truncated)
        return read

    def read_yes_no(self, question: str, raw: str, candidates: list[Sentence]) -> Reading | None:
        """A yes-or-no reply: the sentence that bears on the question most is the answer, after the model's
        "Yes"/"No" only when the sentence agrees (a denial for "No"); None when the reply is not yes or no."""
        words = clean_phrase(raw).lower().split()
        said = words[0].strip(",.!:;") if words else ""
        if said not in YES_WORDS | NO_WORDS:
            return None
        eligible = [c for c in candidates if self.verifier.may_support(c)]
        if not eligible:
            return None
        best = max(eligible, key=lambda c: c.relevance)
        denies = is_denial(best.text)
        agrees = (said in NO_WORDS) == denies
        text = display_sentence(best.text)
        if agrees:
            text = f"{'No' if denies else 'Yes'}: {text}"
        statements = fit_words([(text, best)], self.max_answer_words)
        return statements, self.features(question, text, best, candidates, extractive=True)

    def read_phrase(self, question: str, raw: str, candidates: list[Sentence],
                    truncated: bool) -> Reading | None:
        """The model's answer phrase as the answer, cited to the sentence that states all its new words and
        figures; None when no sentence does."""
        phrase = clean_phrase(trim_unfinished(raw) if truncated else raw)
        if not phrase or len(phrase.split()) > self.max_answer_words:
            return None
        supports = phrase_supports(question, phrase, candidates, self.verifier)
        if supports:
            best = supports[0]
            phrase = self.named_cell(question, phrase, best)
            phrase = as_written(phrase, best.text)
            features = self.features(question, phrase, best, candidates, extractive=False)
            return [(self.completed(question, phrase, best), best)], features
        # a list gathered across sentences: every item needs its own support
        items = list_items(phrase)
        if len(items) < 2:
            return None
        statements: list[Statement] = []
        for item in items:
            item_supports = phrase_supports(question, item, candidates, self.verifier)
            if not item_supports:
                return None
            sentence = item_supports[0]
            item = as_written(item, sentence.text)
            if statements and statements[-1][1].window == sentence.window:
                statements[-1] = (f"{statements[-1][0]}, {item}", sentence)  # items of one sentence together
            else:
                statements.append((item, sentence))
        best = max((s for _, s in statements), key=lambda s: s.relevance)
        return statements, self.features(question, phrase, best, candidates, extractive=False)

    @staticmethod
    def named_cell(question: str, phrase: str, sentence: Sentence) -> str:
        """A figure read from a table row, moved to the cell whose column the question names when the model
        took a neighbouring column's ("in 2018?" answered with the 2019 cell; qa/text/tables.py `cell_named`)."""
        named = cell_named(question, sentence.text)
        cells = table_cells(sentence.text) or []
        if named is None or not figures(phrase) or figures(named) == figures(phrase):
            return phrase
        taken = any(figures(phrase) <= figures(cell.partition(": ")[2] or cell) for cell in cells[1:])
        return named if taken else phrase

    def completed(self, question: str, phrase: str, sentence: Sentence) -> str:
        """The phrase grown to the whole of what it names in its sentence (qa/text/rules.py `completed`): a
        reader's "Charles II" is the sentence's "King Charles II", "inflected" for "What type of language"
        is "an inflected language" (qa/answer/questions.py `asked_noun`)."""
        noun = asked_noun(question)
        asked = set(self.retriever.terms(noun)) if noun else set()
        return completed(phrase, sentence.text, lambda word: bool(asked & set(self.retriever.terms(word))))

    def read_sentences(self, question: str, raw: str, candidates: list[Sentence],
                       truncated: bool) -> Reading | None:
        """The fallback: the whole sentences that support the model's claims (qa/answer/verification.py)."""
        supported = verify_reply(question, raw, candidates, self.verifier, truncated=truncated)
        if supported is None:
            return None
        statements = extractive_statements(supported, candidates, self.retriever, self.verifier.min_relevance,
                                           self.max_answer_words)
        text = " ".join(t for t, _ in statements)
        return statements, self.features(question, text, statements[0][1], candidates, extractive=True)

    def features(self, question: str, answer: str, sentence: Sentence, candidates: list[Sentence],
                  extractive: bool) -> dict:
        """The calibration's features (qa/answer/calibration.py FEATURES) of one answer and its supporting sentence."""
        retriever = self.retriever
        q_terms = set(retriever.terms(question))
        a_terms = set(retriever.terms(answer))
        s_terms = set(retriever.terms(sentence.text))
        before = self.verifier.before(sentence)
        around = self.verifier.around(sentence)
        return {
            "relevance": round(sentence.relevance, 4),
            "coverage": round(retriever.term_share(q_terms, s_terms | set(retriever.terms(before))), 4),
            "sentence_coverage": round(retriever.term_share(q_terms, s_terms), 4),
            "novelty": round(len(a_terms - q_terms) / len(a_terms), 4) if a_terms else 0.0,
            "answer_words": round(math.log1p(len(answer.split())), 4),
            "passage_rank": sentence.passage,
            "relevance_gap": round(max(c.relevance for c in candidates) - sentence.relevance, 4),
            "missing_term": round(self._missing_term(q_terms, around), 4),
            "anchor_missing": float(self._anchor_missing(question, around)),
            "kind_ok": float(answers_the_kind_asked(question, answer)),
            "extractive": float(extractive),
        }

    def _anchor_missing(self, question: str, around: str) -> bool:
        """True when the question names rare things (qa/answer/verification.py `distinctive`) and none of them occurs
        in `around` (the supporting sentence and the text next to it)."""
        anchors = self.verifier.distinctive(question)
        return bool(anchors) and not any(contains_name(a, around.lower()) for a in anchors)

    def _missing_term(self, q_terms: set[str], around: str) -> float:
        """The rarest question term found nowhere in `around` (the supporting sentence and the text next to
        it), as its IDF over the largest IDF (0 when every term is there): a question about a thing the text
        does not name ("the second treaty" beside a sentence on the first) answered from a sentence about a
        neighbour."""
        retriever = self.retriever
        missing = q_terms - set(retriever.terms(around))
        top = retriever.idf("\0never a term")
        return max((retriever.idf(t) for t in missing), default=0.0) / top if top else 0.0
