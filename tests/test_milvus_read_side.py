"""The Milvus store's read side (qa/index/milvus_store.py) with a small fake client: an IVF index's search
parameters and description, and a vector the engine does not return. The engine itself:
tests/test_milvus_store.py."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.index.milvus_store import MilvusStore
from qa.index.records import CorruptIndex


class FakeClient:
    """Answers `query` with the vectors it holds and `search` with no hits, recording what it was asked."""

    def __init__(self, vectors: dict[int, list[float]]) -> None:
        self.vectors = vectors
        self.searches: list[dict] = []

    def query(self, collection, ids, output_fields):
        return [{"id": i, "vector": self.vectors[i]} for i in ids if i in self.vectors]

    def search(self, collection, **kwargs):
        self.searches.append(kwargs)
        return [[]]


def _store(client, index_params) -> MilvusStore:
    return MilvusStore(folder=Path("."), manifest={}, chunks=[], texts={}, window_rows=np.zeros((3, 4), np.int64),
                       client=client, uri="fake", generation="qa_g1", index_params=index_params, dim=2)


def test_an_ivf_index_is_described_and_searched_with_its_probes():
    client = FakeClient({})
    store = _store(client, {"index_type": "IVF_SQ8", "nlist": 1024})
    assert store.describe() == "Milvus IVF_SQ8 (nlist 1024, nprobe 32) at fake, collections qa_g1_*"
    store.search_windows(np.ones(2, np.float32), 2)
    assert client.searches and client.searches[-1]["search_params"]["params"] == {"nprobe": 32}


def test_a_vector_the_engine_does_not_return_is_a_damaged_index():
    store = _store(FakeClient({0: [1.0, 0.0], 1: [0.0, 1.0]}), {})
    assert store.vectors_of([1, 0]).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    with pytest.raises(CorruptIndex, match="window 2 has no vector in qa_g1_windows"):
        store.vectors_of([0, 2])
