"""Evidence selection: the sentences of the retrieved passages, scored for relevance to the question.

Example:
    >>> candidates = candidate_sentences(retriever, retrieval, "How tall is the tower?")   # doctest: +SKIP
    >>> candidates[0].text, round(candidates[0].relevance, 2)                             # doctest: +SKIP
    ('The tower is 330 metres tall.', 1.41)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.index.store import IndexStore
from qa.retrieve.retrieval import Retrieval, Retriever
from qa.text.rules import looks_like_instruction
from qa.text.tables import is_data_row, label_cells, table_cells


@dataclass(frozen=True)
class Sentence:
    """A sentence of a retrieved passage, with its relevance to the question. A table row's `text` carries
    its column labels (see `with_column_labels`); `start`/`end` are the row's own span."""

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
    placed = {w: p_index for p_index, row in reversed(list(enumerate(retrieval.rows)))
              for w in store.sentences_in_chunk(row)}  # each window in its best passage
    windows = sorted(placed, key=lambda w: (placed[w], w))
    # one fetch for every vector (a remote engine answers a batch in one round trip)
    cosines = (store.vectors_of(windows) @ retrieval.query_vector if retrieval.query_vector is not None
               else np.zeros(len(windows)))
    for w, cosine in zip(windows, cosines):
        p_index = placed[w]
        stored = store.sentence(w)
        if looks_like_instruction(stored.text):
            continue
        text = with_column_labels(store, w, stored.text)
        dense = float(cosine)
        lexical = retriever.term_share(q_terms, set(retriever.analyzer.terms(text)))
        seen[w] = Sentence(w, stored.source, stored.start, stored.end, text, p_index, dense + lexical)
    return sorted(seen.values(), key=lambda s: -s.relevance)


def with_column_labels(store: IndexStore, window: int, text: str, max_rows: int = 40) -> str:
    """A table row with each cell after its column's header ("Other | 2019: 44.1 | 2018: 56.7"); other
    sentences unchanged. The header is chosen among the rows above the table's first data row by
    `column_header`; a small model otherwise takes the wrong year's figure from an unlabelled row."""
    cells = table_cells(text)
    if cells is None or not is_data_row(cells):
        return text
    rows = [cells]
    current = window
    for _ in range(max_rows):  # the rows above, up to the line before the table
        above = store.neighbour(current, -1)
        above_cells = table_cells(above.text) if above is not None else None
        if above_cells is None:
            break
        rows.insert(0, above_cells)
        current = above.window
    headers = []
    for row in rows:
        if is_data_row(row):
            break
        if any(row[1:]):
            headers.append(row)
    header = column_header(headers, len(cells))
    return label_cells(cells, header) if header else text


def column_header(rows: list[list[str]], width: int | None = None) -> list[str] | None:
    """The header row that tells a table's columns apart best: the one naming the most distinct columns,
    the lowest of those tied. A row of units under the years ("$'000 | $'000 | %") or a caption over them
    ("Fiscal") labels every column alike, so it does not stand for the header. Only the first `width` cells
    (the data row's) count.

    >>> column_header([["", "30 June 2019", "30 June 2018", "Change"], ["", "$'000", "$'000", "%"]])
    ['', '30 June 2019', '30 June 2018', 'Change']
    >>> column_header([["", "Fiscal", ""], ["", "2019", "2018"]])
    ['', '2019', '2018']
    >>> column_header([["", "2019", "2018"], ["", "$m", "$m", "Note", "Ref"]], width=3)
    ['', '2019', '2018']
    >>> column_header([]) is None
    True
    """
    if not rows:
        return None
    distinct = [len({c for c in row[1:width] if c}) for row in rows]
    return rows[max(range(len(rows)), key=lambda i: (distinct[i], i))]


def facts_for_prompt(candidates: list[Sentence], min_relevance: float, count: int) -> list[Sentence]:
    """The sentences shown to the model: the `count` most relevant at or above `min_relevance`."""
    return [s for s in candidates if s.relevance >= min_relevance][:count]
