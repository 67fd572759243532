"""Hybrid retrieval: dense (the store's vector search) and lexical (BM25) rankings fused by reciprocal rank.

Example:
    >>> retriever = Retriever(store, embedder)          # doctest: +SKIP
    >>> [p.source for p in retriever.search("tidal power", k=2)]  # doctest: +SKIP
    ['000_708bc06f684926ae.txt', '000_708bc06f684926ae.txt']
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Collection, Literal

import numpy as np

from qa.index.lexical import lexical_corpus
from qa.index.records import StoredSentence
from qa.index.store import IndexStore
from qa.models.embedding import Embedder
from qa.text.analyzer import Analyzer

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: where it comes from, its exact text, and the score that ranked it."""

    source: str
    chunk_id: str
    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Retrieval:
    """Ranked passages, their chunk rows in the store, and the query vector (None for lexical-only)."""

    passages: list[Passage]
    rows: list[int]
    query_vector: np.ndarray | None

    def extended(self, other: "Retrieval", limit: int | None = None) -> "Retrieval":
        """These passages, then those of `other` not among them (at most `limit`; same query vector): a
        second search's finds added after the first's, so the first's passage numbers stay.

        >>> a = Retrieval([Passage("a.txt", "a#0", "A", 0, 1, 1.0)], [0], None)
        >>> b = Retrieval([Passage("a.txt", "a#0", "A", 0, 1, 0.9), Passage("b.txt", "b#0", "B", 0, 1, 0.8)], [0, 7], None)
        >>> [p.chunk_id for p in a.extended(b).passages], a.extended(b).rows
        (['a#0', 'b#0'], [0, 7])
        """
        new = [(p, r) for p, r in zip(other.passages, other.rows) if r not in self.rows][:limit]
        return Retrieval(self.passages + [p for p, _ in new], self.rows + [r for _, r in new], self.query_vector)


# --- retriever -----------------------------------------------------------------------------------

def rrf_fuse(rankings: list[list[int]], k: int = 60) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion: each item scores the sum of 1 / (k + rank) over the rankings it is in.

    >>> rrf_fuse([[1, 2], [2, 3]], k=60)[0][0]
    2
    """
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class Retriever:
    """Searches one loaded index. Thread-safe: searches only read."""

    def __init__(self, store: IndexStore, embedder: Embedder, rrf_k: int = 60,
                 multilingual: Embedder | None = None) -> None:
        import bm25s

        self.store = store
        self.embedder = embedder
        # the second space's embedder: searched when the store holds documents not in English
        self.multilingual = multilingual if store.multilingual is not None and len(store.multilingual) else None
        self.rrf_k = rrf_k
        self.analyzer = Analyzer()
        corpus = lexical_corpus(store.chunks, store.texts, self.analyzer)
        self._bm25 = None
        if not store.engine_bm25 and any(corpus):  # an engine with BM25 of its own ranks in there
            self._bm25 = bm25s.BM25()
            self._bm25.index([terms or [""] for terms in corpus], show_progress=False)
        self._lock = threading.Lock()
        self._sentence_df: dict[str, int] | None = None
        self._df: dict[str, int] = {}
        for terms in corpus:
            for term in set(terms):
                self._df[term] = self._df.get(term, 0) + 1

    def __len__(self) -> int:
        return len(self.store.chunks)

    def location(self, source: str, offset: int) -> tuple[int | None, str | None]:
        """The page and heading at `offset` of document `source`, as the store keeps them."""
        return self.store.location(source, offset)

    # --- what answering reads of the index, through the retriever (qa/answer/ never holds the store) ---

    def terms(self, text: str) -> list[str]:
        """`text` as BM25 terms, as this retriever searches them (qa/text/analyzer.py)."""
        return self.analyzer.terms(text)

    def neighbour(self, window: int, step: int) -> StoredSentence | None:
        """The sentence right after (`step` 1) or before (-1) sentence `window` in its document, when only
        white space lies between them; else None."""
        return self.store.neighbour(window, step)

    def text_span(self, source: str, start: int, end: int) -> str:
        """The text of document `source` between `start` and `end`, clipped to the document."""
        return self.store.text_span(source, start, end)

    def sentence_vector(self, window: int) -> np.ndarray:
        """The stored unit vector of sentence `window`."""
        return self.store.vector(window)

    def title(self, source: str) -> str:
        """The title of document `source` ("" when it has none or is not indexed)."""
        record = self.store.documents.get(source)
        return record.title if record is not None else ""

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of `texts` in the index's space (as passages are embedded)."""
        return self.embedder.embed(texts)

    def embed_query(self, query: str) -> np.ndarray:
        """The query's unit vector, shape (dim,): through the embedder's own query side when it has one
        (E5 embeds a question unlike a passage)."""
        return _query_vector(self.embedder, query)

    def dense_ranking(self, query: str | np.ndarray, depth: int,
                      sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """Chunk rows by the cosine similarity of their best sentence window to the query, best first.

        With `sources`, only the windows of those documents are searched (see `IndexStore.search_windows`),
        so the ranking is the best of those documents, not a global ranking filtered down.
        """
        if not len(self.store.window_rows):
            return []
        vector = self.embed_query(query) if isinstance(query, str) else query
        # several windows map to one chunk: look deeper than `depth` to fill `depth` chunks
        scores, hits = self.store.search_windows(vector, 4 * depth, sources)
        return self._chunk_ranking(hits, scores, depth)

    def _chunk_ranking(self, windows, scores, depth: int) -> list[tuple[int, float]]:
        """Chunk rows ranked by the best score of their sentence windows (`windows` best first): a window
        lying in two overlapping chunks ranks both."""
        best: dict[int, float] = {}
        for w, score in zip(windows, scores):
            first, last = self.store.window_rows[w, :2]
            for row in range(int(first), int(last) + 1):
                best.setdefault(row, float(score))
        return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:depth]

    def multilingual_ranking(self, question: str, depth: int,
                             sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """Chunk rows by the multilingual space's cosine of their best sentence to `question` (in any
        language), best first: the documents not in English only (the others have no vector there)."""
        if self.multilingual is None:
            return []
        vectors, windows = self.store.multilingual, self.store.multilingual_windows
        if sources is not None:
            vectors, windows = self.store.multilingual_of(self.windows_of(sources))
            if not len(windows):
                return []
        scores = vectors @ _query_vector(self.multilingual, question)
        order = np.argsort(-scores, kind="stable")[:4 * depth]
        return self._chunk_ranking(windows[order], scores[order], depth)

    def lexical_ranking(self, query: str, depth: int,
                        sources: Collection[str] | None = None, also: str | None = None) -> list[tuple[int, float]]:
        """Chunk rows by BM25 score, best first; rows that share no term with the query are left out.
        With `sources`, only the chunks of those documents are ranked; `also` (the question as asked, when
        `query` is its translation) adds its terms."""
        terms = self.analyzer.terms(query)
        if also:
            terms = list(dict.fromkeys(terms + self.analyzer.terms(also)))
        if self.store.engine_bm25:
            return self.store.bm25_ranking(terms, depth, sources) if terms else []
        if self._bm25 is None:
            return []
        ids = self._bm25.get_tokens_ids(terms)
        if not ids:
            return []
        with self._lock:  # bm25s keeps scratch state
            scores = np.asarray(self._bm25.get_scores_from_ids(ids))
        if sources is not None:
            allowed = np.zeros(len(scores), dtype=bool)
            allowed[self.rows_of(sources)] = True
            scores = np.where(allowed, scores, 0.0)
        order = np.argsort(-scores, kind="stable")[:depth]
        return [(int(r), float(scores[r])) for r in order if scores[r] > 0]

    def rows_of(self, sources: Collection[str]) -> np.ndarray:
        """The chunk rows of the documents `sources`, in index order."""
        return self.store.rows_of(sources)

    def windows_of(self, sources: Collection[str]) -> np.ndarray:
        """The sentence windows (vector ids) of the documents `sources`, in index order."""
        return self.store.windows_of(sources)

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid",
               sources: Collection[str] | None = None) -> list[Passage]:
        """The `k` best passages for `query` (of the documents `sources` only, when given)."""
        return self.retrieve(query, k, mode, sources).passages

    def retrieve(self, query: str, k: int = 5, mode: Mode = "hybrid",
                 sources: Collection[str] | None = None, also: str | None = None) -> "Retrieval":
        """The `k` best passages with their chunk rows and the query vector (for sentence scoring).

        `sources` (document ids) restricts the search before ranking: the result is the best `k` of those
        documents. Names the index does not hold match nothing (`Assistant` rejects them first). `also`: the
        question as asked when `query` is its English translation; BM25 and the multilingual space read it.
        In hybrid mode the documents not in English are also ranked in the multilingual space.
        """
        depth = max(50, 4 * k)
        vector = self.embed_query(query) if mode != "lexical" and len(self.store.window_rows) else None
        if mode == "dense":
            ranked = self.dense_ranking(vector, k, sources) if vector is not None else []
        elif mode == "lexical":
            ranked = self.lexical_ranking(query, k, sources)
        elif mode == "hybrid":
            dense = self.dense_ranking(vector, depth, sources) if vector is not None else []
            lexical = self.lexical_ranking(query, depth, sources, also=also)
            rankings = [[r for r, _ in dense], [r for r, _ in lexical]]
            if self.multilingual is not None:
                rankings.append([r for r, _ in self.multilingual_ranking(also or query, depth, sources)])
            ranked = rrf_fuse(rankings, self.rrf_k)
        else:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        ranked = ranked[:k]
        return Retrieval([self._passage(r, s) for r, s in ranked], [r for r, _ in ranked], vector)

    def sentence_share(self, term: str) -> float:
        """The share of the index's sentences that hold an analyzed term (chunks overlap, sentences do not)."""
        if self._sentence_df is None:
            counts: dict[str, int] = {}
            for first, _, start, end in self.store.window_rows:
                text = self.store.texts[self.store.chunks[int(first)].source][int(start):int(end)]
                for t in set(self.analyzer.terms(text)):
                    counts[t] = counts.get(t, 0) + 1
            self._sentence_df = counts
        return self._sentence_df.get(term, 0) / max(1, len(self.store.window_rows))

    def term_share(self, wanted: set[str], present: set[str]) -> float:
        """The share of the IDF weight of `wanted` terms that `present` holds (0 when `wanted` weighs nothing)."""
        total = sum(self.idf(t) for t in wanted)
        return sum(self.idf(t) for t in wanted & present) / total if total else 0.0

    def idf(self, term: str) -> float:
        """Inverse document frequency of an analyzed term over the chunks (BM25's formula)."""
        n = len(self.store.chunks)
        df = self._df.get(term, 0)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def _passage(self, row: int, score: float) -> Passage:
        c = self.store.chunks[row]
        return Passage(source=c.source, chunk_id=c.id, text=c.text, start=c.start, end=c.end, score=round(score, 6))


def _query_vector(embedder: Embedder, query: str) -> np.ndarray:
    """A query's unit vector, shape (dim,): through the embedder's own query side when it has one (E5 embeds
    a question unlike a passage)."""
    embed_query = getattr(embedder, "embed_query", None)
    return embed_query(query)[0] if embed_query is not None else embedder.embed([query])[0]
