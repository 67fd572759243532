"""From a question to a verified, cited answer, or an honest refusal: the orchestrator.

The walk, one module a step:
    rewrite (qa/answer/translation.py, qa/answer/followups.py) -> retrieve (qa/retrieve/retrieval.py) -> evidence (qa/retrieve/evidence.py)
    -> prompt (qa/answer/prompt.py) -> generate -> verify (qa/answer/verification.py) -> compose (qa/answer/composition.py)
    -> extend (qa/answer/conflicts.py) -> present (Korean frame, qa/text/korean.py)
The model is asked for little: read a few numbered sentences and reply with the answer phrase alone. Code
does the rest: it finds the sentence that states every new word and figure of the phrase (each item of a
list its own), writes the phrase as that sentence does and cites it; a yes-or-no question is answered by
the sentence that bears on it; a reply no sentence supports falls back to the whole sentences that support
its claims. One calibrated score (qa/answer/calibration.py) then decides to answer or refuse (a doubtful figure
that the documents state beside other figures of the same measure is shown with them); in the cascade
(`Settings.escalate_generator`), an answer that scores under `escalate_below` or finds no support is read
again from the stronger model's reply to the same prompt.

Example:
    >>> a = Answerer(retriever, generator).ask("How tall is the Eiffel Tower?")   # doctest: +SKIP
    >>> a.text, a.citations[0].quote                                              # doctest: +SKIP
    ('330 metres [1].', 'The tower is 330 metres (1,083 ft) tall, about the same...')
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Callable, ContextManager, Iterator, Sequence

from qa.answer.calibration import Calibration
from qa.answer.composition import compose_claims, display_sentence, fit_words
from qa.answer.conflicts import CONFLICT_PREFIX, ConflictRules, competing_sentences, figures_beside
from qa.answer.events import Answer, Progress, Verified
from qa.answer.followups import rewrite_followup
from qa.answer.prompt import build_messages, build_passage_messages
from qa.answer.parts import joined_answer, part_segment, renumbered_citations
from qa.answer.questions import answered_by_its_sentence, asks_for_several, clean_question, is_scoped, question_parts
from qa.answer.reading import Reader, Reading
from qa.answer.span_answer import (coverage, fuller_statement, listed, other_statements, passage_for_model,
                                   reader_text, reply_statement, span_statement)
from qa.answer.translation import QuestionTranslator
from qa.answer.verification import Verifier, declines_the_passage, says_it_does_not_know
from qa.models.generation import Demand, Generator, reply_scores
from qa.models.span_reader import Reads
from qa.retrieve.evidence import candidate_sentences, facts_for_prompt
from qa.retrieve.retrieval import Retrieval, Retriever
from qa.settings import Settings
from qa.text.korean import KOREAN_CONFLICT_PREFIX, korean_refusal, korean_statement
from qa.text.rules import figures, has_hangul, in_other_script
from qa.text.tables import table_cells

__all__ = ["Answerer", "REFUSAL_TEXT", "clean_question"]

REFUSAL_TEXT = "The documents do not say."


@dataclass(frozen=True)
class Outcome:
    """What reading gave: the statements to show (None: refuse), the features behind the decision, the
    calibrated confidence (None where the span reader's margin decided), and the generator's reply."""

    statements: list | None
    features: dict
    confidence: float | None = None
    reply: str = ""


@dataclass
class Answerer:
    """Answers one question from one retriever with one generator."""

    retriever: Retriever
    generator: Generator
    k: int = Settings.top_k
    context_sentences: int = Settings.context_sentences
    prompt_examples: bool = Settings.prompt_examples
    max_new_tokens: int = Settings.max_new_tokens
    sources: list[str] | None = None  # search only these documents
    verifier: Verifier | None = None
    max_answer_words: int = Settings.max_answer_words
    calibration: Calibration | None = None
    answer_threshold: float | None = None  # None: the calibration's own threshold
    conflict_rules: ConflictRules = field(default_factory=ConflictRules)
    # A cascade: when the generator's answer scores under `escalate_below` (or finds no support), the
    # stronger generator `stronger()` (loaded on first use) answers the same prompt instead.
    stronger: Callable[[], Generator] | None = None
    escalate_below: float = Settings.escalate_below
    translator: QuestionTranslator | None = None  # the language rewriter (default: the generator translates)
    # Reading (Settings.reader): "generator" reads sentences, its reply verified and scored by the calibration;
    # "span" the span reader alone; "both" the span reader decides refusal, answers alone above
    # `span_alone_margin`, and otherwise the generator reads the passage(s) it ranks best.
    reader: str = Settings.reader
    span_reader: Reads | None = None
    span_min_margin: float = Settings.span_min_margin
    span_alone_margin: float = Settings.span_alone_margin
    span_generator_passages: int = Settings.span_generator_passages
    span_complete_phrase: bool = Settings.span_complete_phrase
    span_refuse_when_declined: bool = Settings.span_refuse_when_declined
    span_list_gap: float = Settings.span_list_gap
    span_rank_weight: float = Settings.span_rank_weight
    span_uncovered_share: float = Settings.span_uncovered_share  # refused when the passage names less of the
    span_uncovered_margin: float = Settings.span_uncovered_margin  # question and the reader is unsure as well
    # replies asked of the generator right now, shared by every question of one Assistant (load: see
    # Settings.span_busy_after)
    generator_demand: Demand | None = None
    span_busy_after: int = Settings.span_busy_after
    answer_parts: bool = Settings.answer_parts  # a question asking two things: each part answered on its own

    def __post_init__(self) -> None:
        self.verifier = self.verifier or Verifier(self.retriever)
        self.translator = self.translator or QuestionTranslator(self.generator)
        self.calibration = self.calibration or Calibration.load()

    def stream(self, question: str, history: Sequence[tuple[str, str]] | None = None,
               raw: bool = False) -> Iterator[Progress | Verified | str | Answer]:
        """Progress while it works, each claim once verified, then the final `Answer` (qa/answer/events.py); with
        `raw`, the model's own text pieces too, as it writes them (unverified: never to be shown as an
        answer).

        A Korean question is first translated into English (qa/answer/translation.py; the earlier questions of the
        conversation too), then a follow-up is rewritten into a standalone question (`Answer.rewritten`
        shows what was searched); a Korean question is answered in Korean (qa/text/korean.py). A question that
        asks two things at once is answered part by part (qa/answer/parts.py).
        """
        parts = question_parts(question) if self.answer_parts and not has_hangul(question) else [question]
        if len(parts) > 1:
            yield from self._stream_parts(question, parts, history, raw)
            return
        yield from self._stream_one(question, history, raw)

    def _stream_parts(self, question: str, parts: list[str], history: Sequence[tuple[str, str]] | None, raw: bool):
        """Each part answered as a question of its own, the first in the conversation, each later one after the
        part before it (its pronouns are that part's); each answered part shown once verified, then the joined
        answer."""
        answers: list[Answer] = []
        cited = 0
        for i, part in enumerate(parts):
            context = history if i == 0 else [(answers[-1].rewritten or parts[i - 1], "")]
            answer = None
            for item in self._stream_one(part, context, raw):
                if isinstance(item, Answer):
                    answer = item
                elif isinstance(item, Progress):
                    yield Progress(item.stage, f"Part {i + 1} of {len(parts)}: {item.detail}")
                elif isinstance(item, str):
                    yield item
            assert answer is not None
            if not answer.refused:
                yield Verified(part_segment(answer, cited, REFUSAL_TEXT), renumbered_citations(answer.citations, cited))
                cited += len(answer.citations)
            answers.append(answer)
        yield joined_answer(question, answers, REFUSAL_TEXT)

    def _stream_one(self, question: str, history: Sequence[tuple[str, str]] | None, raw: bool):
        """One question's events (`stream`)."""
        t0 = time.perf_counter()
        raw_pieces, verifier = raw, self.verifier
        korean = has_hangul(question)
        english = None
        if korean:
            yield Progress("translating", "Reading the question in English")
            english = self.translator.english(question)
        yield Progress("searching", "Searching the documents")
        query, rewritten, retrieval = self._rewrite_and_retrieve(question, english, history)
        candidates = candidate_sentences(self.retriever, retrieval, query)
        facts = facts_for_prompt(candidates, verifier.min_relevance, self.context_sentences)
        timings = {"retrieve_s": time.perf_counter() - t0}

        def refusal(raw: str, confidence: float | None = None, features: dict | None = None) -> Answer:
            timings["total_s"] = time.perf_counter() - t0
            text = korean_refusal() if korean else REFUSAL_TEXT
            return Answer(question, text, True, [], retrieval.passages, rewritten=rewritten, raw=raw, timings=timings,
                          confidence=confidence, features=features or {})

        if not facts:
            yield refusal("")
            return
        if self._reads_spans(korean, retrieval):
            outcome = yield from self._read_spans(query, retrieval, candidates, timings, t0)
        else:
            outcome = yield from self._generate_and_read(query, question, korean, retrieval, candidates, facts, timings,
                                                          t0, raw_pieces)
        if outcome.statements is None:
            yield refusal(outcome.reply, outcome.confidence, outcome.features)
            return
        yield from self._present(question, query, korean, retrieval, candidates, outcome, rewritten, timings, t0,
                                 refusal)

    def _reads_spans(self, korean: bool, retrieval: Retrieval) -> bool:
        """True when the span reader reads this question: a span mode, an English question and passages in
        English (the Korean path keeps the generator, which translates and reads)."""
        return (self.reader in ("span", "both") and self.span_reader is not None and not korean
                and bool(retrieval.passages) and not in_other_script(retrieval.passages[0].text))

    def _read_spans(self, query: str, retrieval: Retrieval, candidates: list, timings: dict, t0: float):
        """The span reader over every retrieved passage; in "both" mode the generator reads the passages it
        ranks best when its margin is not high enough to answer alone (yes-or-no and reason questions, answered
        by the span's sentence, are always read alone)."""
        passages, reply = retrieval.passages, ""
        yield Progress("reading", f"Reading {len(passages)} passages")
        t1 = time.perf_counter()
        texts = [reader_text(p, candidates) for p in passages]
        spans = self.span_reader.read(query, [t.text for t in texts])
        timings["span_s"] = time.perf_counter() - t1
        # refusal reads the best margin of any passage; the passage answered from weighs its retrieval rank too,
        # among the passages the reader would answer from on their own
        most_sure = max(spans, key=lambda s: s.margin)
        ranked = sorted(spans, key=lambda s: (s.margin < self.span_min_margin,
                                              -(s.margin - self.span_rank_weight * s.passage)))
        best = ranked[0]
        features = {"span_margin": _finite(most_sure.margin), "span_passage": best.passage,
                    "span_second_margin": _finite(ranked[1].margin) if len(ranked) > 1 else None,
                    "span_passage_margins": [_finite(s.margin) for s in spans]}  # in passage order (`Reads`)
        covered = [coverage(self.retriever, query, text.text, self.retriever.title(p.source))
                   for text, p in zip(texts, passages)]
        features["span_passage_coverages"] = [round(c, 4) for c in covered]  # in passage order, as the margins
        if most_sure.margin < self.span_min_margin or (covered[best.passage] < self.span_uncovered_share
                                                       and best.margin < self.span_uncovered_margin):
            return Outcome(None, features)
        complete = None
        if self.span_complete_phrase:
            reader = Reader(self.retriever, self.verifier, self.max_answer_words)
            complete = lambda phrase, sentence: reader.completed(query, phrase, sentence)  # noqa: E731
        # each passage's own answer (the best one's among them), so that the choice of passage is fitted
        # offline (scripts/fit_span_reader.py)
        passage_statements = [span_statement(query, s, texts[s.passage], complete) for s in spans]
        features["span_passage_answers"] = [None if st is None else st[0] for st in passage_statements]
        alone = self.reader == "span" or most_sure.margin >= self.span_alone_margin or answered_by_its_sentence(query)
        if not alone and self._generator_busy():
            alone, features["generator_busy"] = True, True
        if not alone:
            chosen = [s.passage for s in ranked[:self.span_generator_passages]]
            titles = [self.retriever.title(passages[p].source) for p in chosen]
            messages = build_passage_messages(query, [(t or "", passage_for_model(passages[p], candidates))
                                                      for t, p in zip(titles, chosen)])
            yield Progress("writing", "Writing the answer")
            pieces = []
            with self._asking_generator():
                for piece in self.generator.stream(messages, max_tokens=self.max_new_tokens):
                    if not pieces:
                        timings["first_token_s"] = time.perf_counter() - t0
                    pieces.append(piece)
            reply = "".join(pieces).strip()
            timings["generate_s"] = time.perf_counter() - t1 - timings["span_s"]
            declined = declines_the_passage(reply)
            if declined and self.span_refuse_when_declined:
                return Outcome(None, {**features, "generator_declined": True}, reply=reply)
            if reply and not declined:
                statement = reply_statement(query, reply, chosen, passages, candidates)
                if statement is not None and complete is not None:
                    statement = (complete(*statement), statement[1])  # "Charles II" -> "King Charles II"
                if statement is not None:
                    fuller = fuller_statement(statement, passage_statements[best.passage])
                    return Outcome([fuller], {**features, "answered_by": "generator",
                                              "span_widened": fuller is not statement}, reply=reply)
        read = texts[best.passage]
        statement = passage_statements[best.passage]
        if statement is None:
            return Outcome(None, features, reply=reply)
        others = other_statements(query, best, statement, read, complete)
        features["span_alternatives"] = [[text, _finite(margin)] for (text, _), margin, _ in others]
        statements = [statement]
        if asks_for_several(query) and not answered_by_its_sentence(query) and self.span_list_gap >= 0:
            # a list: the spans of the passage nearly as likely as the best one, each item its own span
            near = [(at, st) for st, margin, at in others if margin >= best.margin - self.span_list_gap]
            statements = listed([(best.start, statement), *near])
        return Outcome(statements, {**features, "answered_by": "span"}, reply=reply)

    def _generator_busy(self) -> bool:
        """True when `span_busy_after` replies are already asked of the generator (Settings.span_busy_after)."""
        return (self.generator_demand is not None and self.span_busy_after > 0
                and self.generator_demand.count >= self.span_busy_after)

    def _asking_generator(self) -> ContextManager[None]:
        """Counts this reply in the generator's demand while it is asked for (queued or written)."""
        return self.generator_demand.held() if self.generator_demand is not None else contextlib.nullcontext()

    def _generate_and_read(self, query: str, question: str, korean: bool, retrieval: Retrieval, candidates: list,
                           facts: list, timings: dict, t0: float, raw_pieces: bool):
        """The generator reads the most relevant sentences; its reply is verified and scored (qa/answer/reading.py,
        qa/answer/calibration.py)."""
        documents = len({s.source for s in facts})
        yield Progress("reading", f"Reading the {len(facts)} most relevant sentences of {len(retrieval.passages)} "
                                  f"passages ({documents} document{'s' if documents > 1 else ''})")
        # a Korean question: the translation, then the question as asked (the model sees the names in both forms;
        # the Korean question alone gave 26 of 64 against 27, with more refusals)
        prompt_question = f"{query} ({question})" if korean and query != question else query
        pieces: list[str] = []
        first = None
        messages = build_messages(prompt_question, [s.text for s in facts], examples=self.prompt_examples)
        with self._asking_generator():
            for piece in self.generator.stream(messages, max_tokens=self.max_new_tokens):
                if first is None:
                    first = time.perf_counter()
                    timings["first_token_s"] = first - t0
                pieces.append(piece)
                # how far the model is, without its words: a caller that stops here ends the generation
                yield piece if raw_pieces else Progress("writing", _writing(pieces))
        yield Progress("checking", "Checking the answer against the sources")
        raw = "".join(pieces).strip()
        timings["generate_s"] = time.perf_counter() - (first or t0)
        timings["new_pieces"] = len(pieces)
        # verification
        read, confidence = self._read(query, raw, len(pieces) >= self.max_new_tokens, candidates,
                                      reply_scores(self.generator))
        if self.stronger is not None and (confidence is None or confidence < self.escalate_below):
            # a doubtful answer: the stronger model reads the same prompt, and its reading stands
            t1 = time.perf_counter()
            stronger = self.stronger()
            pieces = list(stronger.stream(messages, max_tokens=self.max_new_tokens))
            raw = "".join(pieces).strip()
            read, confidence = self._read(query, raw, len(pieces) >= self.max_new_tokens, candidates,
                                          reply_scores(stronger))
            timings["escalated_s"] = time.perf_counter() - t1
        if read is None:
            return Outcome(None, {}, reply=raw)
        return Outcome(read[0], read[1], confidence, raw)

    def _present(self, question: str, query: str, korean: bool, retrieval: Retrieval, candidates: list,
                 outcome: "Outcome", rewritten: str | None, timings: dict, t0: float, refusal: Callable[..., Answer]):
        """Extensions (rival figures of the same measure), the decision to answer, then the claims and the
        final answer as events."""
        verifier = self.verifier
        statements, features, confidence, raw = outcome.statements, outcome.features, outcome.confidence, outcome.reply
        # extensions, after verification: other figures of the same measure for the same subject
        others, beside, shown_from = [], set(), retrieval
        # (the rules of measures and units read English: a sentence in another script is not searched for rivals,
        # where "1만 4천 원" would read as three figures)
        if not is_scoped(query) and not answered_by_its_sentence(query) and not in_other_script(statements[0][1].text):
            answer_text = " ".join(t for t, _ in statements)
            main = statements[0][1]
            if figures(answer_text) and table_cells(main.text) is None:  # a table row has no rivals
                # rivals may lie outside the question's passages: search again with the answer's sentence
                # ("29th most populous" finds "moves from the 29th most populous state to 30th")
                wider = self.retriever.retrieve(main.text, 2 * self.k, sources=self.sources)
                shown_from = retrieval.extended(wider, limit=self.k)
                candidates = candidate_sentences(self.retriever, shown_from, query)
            others = competing_sentences(query, answer_text, [s for _, s in statements],
                                         candidates, self.retriever, verifier.min_relevance,
                                         anchors=verifier.distinctive(query), rules=self.conflict_rules)
            if not any(s.passage >= len(retrieval.passages) for s in others):
                shown_from = retrieval  # the second search gave nothing used: the answer lists what it read
            # the answer's own sentence may state the rival figure ("an average of 2.43 m ... a maximum of 2.83 m")
            beside = figures_beside(query, answer_text, main, self.retriever, self.conflict_rules)
        threshold = self.calibration.threshold if self.answer_threshold is None else self.answer_threshold
        # A doubtful figure that the documents state beside other figures of the same measure is shown with
        # them rather than refused: the doubt is which figure, and the documents answer with all of them.
        if confidence is not None and confidence < threshold and not others:
            yield refusal(raw, confidence, features)
            return
        conflict = bool(others) or bool(beside)
        prefix = ""
        if conflict:
            prefix = KOREAN_CONFLICT_PREFIX if korean else CONFLICT_PREFIX
            # the main supporting sentence, then each competing figure with its own citation
            statements = [(display_sentence(s.text), s) for s in [statements[0][1], *others]]
            statements = fit_words(statements, self.max_answer_words)
        # presentation
        if korean and not conflict:
            statements = [korean_statement(question, statements[0])]
        claims, citations = compose_claims(statements, shown_from, prefix, self.retriever.location)
        timings["first_verified_s"] = time.perf_counter() - t0
        for claim, cited in claims:
            yield Verified(claim, cited)
        text = " ".join(claim for claim, _ in claims).strip()
        timings["total_s"] = time.perf_counter() - t0
        yield Answer(question, text, False, citations, shown_from.passages, conflict=conflict, rewritten=rewritten,
                     raw=raw, timings=timings, confidence=confidence, features=features)

    def _rewrite_and_retrieve(self, question: str, english: str | None, history: Sequence[tuple[str, str]] | None
                              ) -> tuple[str, str | None, Retrieval]:
        """The rewriters, then retrieval: (query read, its rewrite or None, passages). `english`: a Korean question's
        translation (or None); earlier Korean turns are translated too; the question is searched in English and as
        asked, then translated beside the sentences found, so names take the documents' spelling (27 of 64 right
        against 24, tests/data/korean.jsonl). A rewrite from a description must convince the span reader."""
        if has_hangul(question):
            history = [(self.translator.english(u) or u if has_hangul(u or "") else u, a) for u, a in history or []]
        followup = rewrite_followup(english or question, history, is_generic=lambda n: not self.verifier.distinctive(n))
        # a follow-up is read as one standalone question and searched with the conversation's context
        query = followup.shown if followup else english or question
        also = question if english else None
        retrieval = self.retriever.retrieve(followup.searched if followup else query, self.k, sources=self.sources,
                                            also=also)
        if english and not followup:
            found = facts_for_prompt(candidate_sentences(self.retriever, retrieval, query), self.verifier.min_relevance,
                                     self.context_sentences)
            if found and not in_other_script(" ".join(s.text for s in found)):
                query = self.translator.english(question, [s.text for s in found]) or english
                retrieval = self.retriever.retrieve(query, self.k, sources=self.sources, also=also)
        if followup and followup.by_description and not has_hangul(question) and self.span_reader is not None:
            asked = self.retriever.retrieve(question, self.k, sources=self.sources)
            if self._sureness(question, asked) > self._sureness(query, retrieval):
                query, retrieval = question, asked
        rewritten = query if query != question else None
        if has_hangul(question) and retrieval.passages and in_other_script(retrieval.passages[0].text):
            query = followup.shown if followup else question
            retrieval = Retrieval(retrieval.passages, retrieval.rows, self.retriever.embed_query(query))
        return query, rewritten, retrieval

    def _sureness(self, query: str, retrieval: Retrieval) -> float:
        """The span reader's best margin for `query` over `retrieval`'s passages (-inf when it would not read):
        "How many quokkas does the island host?" after a question about a company is not about the company."""
        if not self._reads_spans(False, retrieval):
            return -math.inf
        candidates = candidate_sentences(self.retriever, retrieval, query)
        spans = self.span_reader.read(query, [reader_text(p, candidates).text for p in retrieval.passages])
        return max((s.margin for s in spans), default=-math.inf)

    def _read(self, question: str, raw: str, truncated: bool, candidates: list,
              scores: list[float] | None = None) -> tuple[Reading | None, float | None]:
        """The reply read against the candidates, and its calibrated score; (None, None) for an empty reply,
        one that says it does not know, or one nothing supports. `scores` (the log probability of each token
        the model chose, when its back-end tells) add how sure the model was to the score's features."""
        if not raw or says_it_does_not_know(raw):
            return None, None
        read = Reader(self.retriever, self.verifier, self.max_answer_words).read(question, raw, candidates, truncated)
        if read is None:
            return None, None
        statements, features = read
        if scores:
            features = {**features, "reply_logprob": round(sum(scores) / len(scores), 4),
                        "reply_min_logprob": round(min(scores), 4)}
        return (statements, features), self.calibration.probability(features)

    def ask(self, question: str, history: Sequence[tuple[str, str]] | None = None) -> Answer:
        """The final answer (the stream consumed)."""
        result = None
        for item in self.stream(question, history):
            result = item
        assert isinstance(result, Answer)
        return result


def _finite(value: float) -> float | None:
    """A margin for the answer's features (JSON has no infinity: a passage read as empty gives None).

    >>> _finite(1.23456), _finite(float("-inf"))
    (1.2346, None)
    """
    return round(value, 4) if math.isfinite(value) else None


def _writing(pieces: list[str]) -> str:
    """The "writing" progress line: how many words the model has written, not what they are.

    >>> _writing(["The tow", "er is 330"])
    'Writing the answer (4 words so far)'
    """
    words = len("".join(pieces).split())
    return f"Writing the answer ({words} word{'s' if words != 1 else ''} so far)"

