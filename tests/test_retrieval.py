import pytest

from qa.api import Assistant
from qa.retrieve.retrieval import rrf_fuse
from qa.text.analyzer import Analyzer


def test_analyzer_numbers_stems_and_stopwords():
    a = Analyzer()
    assert a.terms("1,012 robots") == a.terms("1012 robot")
    assert "14.31" in a.terms("with 14.31 applications")
    assert a.terms("What is the robot density?") == ["robot", "densiti"]
    assert "1,000" not in a.terms("1,000,000") and "1000000" in a.terms("1,000,000")
    assert a.terms("VAETKI") == ["vaetki"]


def test_rrf_fusion_order():
    # 2 is second in one list and first in the other: it beats 1 (first in one list only)
    fused = rrf_fuse([[1, 2, 3], [2, 4]], k=60)
    assert [item for item, _ in fused] == [2, 1, 4, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    # ties break by item id, so results are deterministic
    assert [i for i, _ in rrf_fuse([[5], [6]], k=60)] == [5, 6]


@pytest.fixture
def assistant(settings, embedder, corpus):
    return Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder)


@pytest.mark.parametrize("query, source", [
    ("VAETKI", "models.md"),
    ("1,012", "robots.txt"),
    ("1012", "robots.txt"),
    ("57.8%", "budget.txt"),
    ("Exaone 4.0", "models.md"),
])
def test_exact_keywords_find_their_passage(assistant, query, source):
    assert assistant.search(query, k=1)[0].source == source
    assert assistant.search(query, k=1, mode="lexical")[0].source == source


def test_search_returns_exact_stored_spans_with_scores(assistant):
    passages = assistant.search("robots in Korea", k=3)
    assert 1 <= len(passages) <= 3
    texts = assistant.store.texts
    for p in passages:
        assert texts[p.source][p.start:p.end] == p.text
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_modes_and_k(assistant):
    assert len(assistant.search("budget", k=2, mode="dense")) == 2
    assert assistant.search("zzzz qqqq", k=3, mode="lexical") == []
    with pytest.raises(ValueError):
        assistant.search("budget", mode="nonsense")


def test_documents_lists_what_is_indexed(assistant):
    docs = {d["id"]: d for d in assistant.documents()}
    assert set(docs) == {"robots.txt", "models.md", "budget.txt"}
    assert all(d["chunks"] >= 1 and d["bytes"] > 0 for d in docs.values())
