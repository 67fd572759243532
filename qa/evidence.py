"""Evidence selection: the sentences of the retrieved passages, scored for relevance to the question.

Example:
    >>> candidates = candidate_sentences(retriever, retrieval, "How tall is the tower?")   # doctest: +SKIP
    >>> candidates[0].text, round(candidates[0].relevance, 2)                             # doctest: +SKIP
    ('The tower is 330 metres tall.', 1.41)
"""
from __future__ import annotations

from dataclasses import dataclass

from .retrieval import Retrieval, Retriever
from .text import looks_like_instruction


@dataclass(frozen=True)
class Sentence:
    """A sentence of a retrieved passage, with its relevance to the question."""

    window: int  # index of its vector in the store
    source: str
    start: int  # offsets in the document
    end: int
    text: str
    passage: int  # index of the best-ranked retrieved passage holding it
    relevance: float


def candidate_sentences(retriever: Retriever, retrieval: Retrieval, question: str) -> list[Sentence]:
    """Every sentence of the retrieved passages, best first, scored: cosine of its window to the question,
    plus the share of the question's term weight (IDF) it contains. Sentences that address the model
    (prompt injections) are left out: never shown to it, never a support."""
    store = retriever.store
    q_terms = set(retriever.analyzer.terms(question))
    seen: dict[int, Sentence] = {}
    for p_index, row in enumerate(retrieval.rows):
        for w in store.sentences_in_chunk(row):
            if w in seen:
                continue
            stored = store.sentence(w)
            if looks_like_instruction(stored.text):
                continue
            dense = float(store.vector(w) @ retrieval.query_vector) if retrieval.query_vector is not None else 0.0
            lexical = retriever.term_share(q_terms, set(retriever.analyzer.terms(stored.text)))
            seen[w] = Sentence(w, stored.source, stored.start, stored.end, stored.text, p_index, dense + lexical)
    return sorted(seen.values(), key=lambda s: -s.relevance)


def facts_for_prompt(candidates: list[Sentence], min_relevance: float, count: int) -> list[Sentence]:
    """The sentences shown to the model: the `count` most relevant at or above `min_relevance`."""
    return [s for s in candidates if s.relevance >= min_relevance][:count]
