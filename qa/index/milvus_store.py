"""A loaded generation of a Milvus index (qa/index/milvus.py writes and opens it): the store's read side,
with search, BM25 and vectors answered by the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Collection

import numpy as np

from qa.errors import QAError
from qa.index.faiss_index import nprobe_for
from qa.index.records import CorruptIndex
from qa.index.store import IndexStore

FETCH_IDS = 1000  # ids one query asks for
MAX_LIMIT = 16384  # the most hits Milvus returns to one search
VECTOR_CACHE = 100_000  # vectors kept after fetching (the evidence step asks for the same ones again)
BM25_K1 = 1.5  # bm25s' default, so both stores rank alike


def first_line(e: Exception) -> str:
    message = getattr(e, "message", None) or str(e)
    return message.strip().splitlines()[0][:300] if message.strip() else type(e).__name__


def encode_terms(terms) -> str:
    """Our analyzer's terms as one text Milvus' standard tokenizer splits back into exactly those terms:
    each term hex-encoded (letters and digits only), so no term is split, stemmed or lower-cased again.

    >>> encode_terms(["3.5", "robot"])
    '332e35 726f626f74'
    """
    return " ".join(t.encode("utf-8").hex() for t in terms)


@dataclass
class MilvusStore(IndexStore):
    """A loaded generation in Milvus: chunks, windows and texts in memory, vectors in the engine."""

    client: object = field(default=None, repr=False, compare=False)
    uri: str = ""
    generation: str = ""  # the collections' common prefix
    index_params: dict = field(default_factory=dict)  # {"index_type": ..., "nlist": ...}
    dim: int = 0
    _doc_numbers: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    _cache: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    kind = "milvus"
    engine_bm25 = True

    def _filter(self, sources: Collection[str] | None) -> str:
        if sources is None:
            return ""
        names = [sources] if isinstance(sources, str) else list(sources)
        return f"doc in {sorted(self._doc_numbers[s] for s in names if s in self._doc_numbers)}"

    def _search(self, part: str, data, field_name: str, limit: int, sources, params: dict):
        try:
            return self.client.search(f"{self.generation}_{part}", data=data, anns_field=field_name,
                                      limit=limit, filter=self._filter(sources), output_fields=["id"],
                                      search_params=params)[0]
        except Exception as e:
            raise QAError(f"Milvus at {self.uri}: search failed ({first_line(e)})") from None

    def search_windows(self, vector: np.ndarray, want: int,
                       sources: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """As `IndexStore.search_windows`, in the engine; with `sources`, an IVF index probes every list
        (the documents' sentences may sit in lists a few probes miss)."""
        n = len(self.window_rows) if sources is None else len(self.windows_of(sources))
        if not n or want <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        params = {"metric_type": "IP"}
        if self.index_params.get("index_type") == "IVF_SQ8":
            nlist = self.index_params["nlist"]
            params["params"] = {"nprobe": nlist if sources is not None else nprobe_for(nlist)}
        hits = self._search("windows", [np.asarray(vector, np.float32).tolist()], "vector",
                            min(want, n, MAX_LIMIT), sources, params)
        return (np.array([h["distance"] for h in hits], np.float32),
                np.array([h["id"] for h in hits], np.int64))

    def bm25_ranking(self, terms: list[str], depth: int,
                     sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """Chunk rows by Milvus' BM25 score for `terms`, best first; rows sharing no term are left out."""
        if not terms or depth <= 0 or not len(self.chunks):
            return []
        hits = self._search("chunks", [encode_terms(terms)], "sparse", min(depth, MAX_LIMIT), sources,
                            {"metric_type": "BM25"})
        # Milvus Lite reports BM25 as a negative distance (the order is best first either way); its
        # scores are (k1 + 1) times bm25s' (Lucene's variant drops that factor): divided, they match
        ranked = [(int(h["id"]), abs(float(h["distance"])) / (1 + BM25_K1)) for h in hits]
        return sorted([r for r in ranked if r[1] > 0], key=lambda r: (-r[1], r[0]))

    def describe(self) -> str:
        spec = self.index_params.get("index_type", "FLAT")
        if spec == "IVF_SQ8":
            nlist = self.index_params["nlist"]
            spec += f" (nlist {nlist}, nprobe {nprobe_for(nlist)})"
        return f"Milvus {spec} at {self.uri}, collections {self.generation}_*"

    def vectors_of(self, ids) -> np.ndarray:
        """The stored vectors `ids`, fetched from the engine in batches (recent ones from a cache)."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        missing = [int(i) for i in dict.fromkeys(ids.tolist()) if int(i) not in self._cache]
        for at in range(0, len(missing), FETCH_IDS):
            batch = missing[at:at + FETCH_IDS]
            try:
                rows = self.client.query(f"{self.generation}_windows", ids=batch, output_fields=["vector"])
            except Exception as e:
                raise QAError(f"Milvus at {self.uri}: cannot read vectors ({first_line(e)})") from None
            if len(self._cache) + len(rows) > VECTOR_CACHE:
                self._cache.clear()
            for row in rows:
                self._cache[int(row["id"])] = np.asarray(row["vector"], np.float32)
        try:
            out = [self._cache[int(i)] for i in ids]
        except KeyError as e:
            raise CorruptIndex(f"window {e.args[0]} has no vector in {self.generation}_windows") from None
        return np.vstack(out) if out else np.zeros((0, self.dim), np.float32)

    def vector(self, i: int) -> np.ndarray:
        return self.vectors_of([i])[0]

    @property
    def vectors(self) -> np.ndarray:
        return self.vectors_of(np.arange(len(self.window_rows)))
