import json
import os

import numpy as np
import pytest

from qa.errors import IndexUnavailable, IndexWriteError
from qa.index.faiss_index import build_faiss, choose_index_spec, nprobe_for
from qa.index.records import CorruptIndex
from qa.index.store import CURRENT, FORMAT_VERSION, IndexStore
from qa.index.sync import open_index, sync_index


def _build(settings, embedder, corpus):
    store, _ = sync_index(settings.index_dir, [corpus], embedder, settings)
    return store


def _snapshot(store):
    return [c.id for c in store.chunks], store.vectors.copy()


def test_write_then_load_round_trip(settings, embedder, corpus):
    store = _build(settings, embedder, corpus)
    loaded = IndexStore.load(settings.index_dir)
    assert [c.id for c in loaded.chunks] == [c.id for c in store.chunks]
    assert np.array_equal(loaded.vectors, store.vectors)
    assert loaded.faiss_index.ntotal == len(loaded.vectors) == len(loaded.window_rows)
    assert loaded.manifest["format_version"] == FORMAT_VERSION and loaded.manifest["index_type"] == "Flat"
    assert set(loaded.documents) == {"robots.txt", "models.md", "budget.txt"}
    for doc in loaded.manifest["documents"]:
        assert len(doc["sha256"]) == 64


@pytest.mark.parametrize("victim, code, message", [
    ("faiss.write_index", 28, "disk full"), ("numpy.save", 28, "disk full"), ("os.replace", 28, "disk full"),
    ("numpy.save", 30, "Read-only file system"),
])
def test_failure_mid_write_leaves_the_old_index_loadable(settings, embedder, corpus, monkeypatch, victim, code, message):
    before = _snapshot(_build(settings, embedder, corpus))
    (corpus / "new.txt").write_text("A new document about semiconductors and memory chips.")

    def boom(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    module, name = victim.rsplit(".", 1)
    target = {"faiss": __import__("faiss"), "numpy": np, "os": os}[module]
    monkeypatch.setattr(target, name, boom)
    with pytest.raises(IndexWriteError, match=f"{message}.*previous index is intact"):
        sync_index(settings.index_dir, [corpus], embedder, settings, base=IndexStore.load(settings.index_dir))
    monkeypatch.undo()
    after = IndexStore.load(settings.index_dir)
    assert [c.id for c in after.chunks] == before[0] and np.array_equal(after.vectors, before[1])
    assert len(list(settings.index_dir.glob("gen-*"))) == 1  # the half-written generation is gone


def test_generations_are_swapped_and_old_ones_removed(settings, embedder, corpus):
    _build(settings, embedder, corpus)
    first = (settings.index_dir / CURRENT).read_text().strip()
    (corpus / "budget.txt").write_text("Budget\n\nThe budget changed to 11 trillion won.")
    sync_index(settings.index_dir, [corpus], embedder, settings, base=IndexStore.load(settings.index_dir))
    second = (settings.index_dir / CURRENT).read_text().strip()
    assert first != second
    assert [p.name for p in settings.index_dir.glob("gen-*")] == [second]


def test_a_reader_meets_a_writer_replacing_the_generation_it_is_reading(settings, embedder, corpus, monkeypatch):
    """Two processes on one index: one makes a new generation live and deletes the old while the other is
    reading the old one's files; the reader loads the new generation instead of calling the index damaged."""
    _build(settings, embedder, corpus)
    old = IndexStore.current_generation(settings.index_dir)
    (corpus / "new.txt").write_text("A new document about semiconductors and memory chips.")
    real = IndexStore._load_generation.__func__
    read = []

    def writer_runs_meanwhile(cls, gen):
        read.append(gen.name)
        if len(read) == 1:  # the other process's write lands between reading CURRENT and the files
            sync_index(settings.index_dir, [corpus], embedder, settings)
            assert not gen.exists()
        return real(cls, gen)

    monkeypatch.setattr(IndexStore, "_load_generation", classmethod(writer_runs_meanwhile))
    loaded = IndexStore.load(settings.index_dir)
    assert read[0] == old.name and read[1] != old.name and len(read) == 2
    assert "new.txt" in loaded.documents


def test_a_damaged_live_generation_is_still_an_error_when_nothing_replaced_it(settings, embedder, corpus):
    _build(settings, embedder, corpus)
    (IndexStore.current_generation(settings.index_dir) / "windows.npy").unlink()
    with pytest.raises(CorruptIndex, match="missing windows.npy"):
        IndexStore.load(settings.index_dir)


@pytest.mark.parametrize("damage", ["truncate_chunks", "garbage_faiss", "drop_windows", "bad_current", "bad_offsets"])
def test_corrupt_index_is_rebuilt_from_its_manifest(settings, embedder, corpus, damage, capsys):
    store = _build(settings, embedder, corpus)
    gen = store.folder
    if damage == "truncate_chunks":
        data = (gen / "chunks.jsonl").read_bytes()
        (gen / "chunks.jsonl").write_bytes(data[: len(data) // 2])
    elif damage == "garbage_faiss":
        (gen / "faiss.index").write_bytes(b"not a faiss index")
    elif damage == "drop_windows":
        (gen / "windows.npy").unlink()
    elif damage == "bad_current":
        (settings.index_dir / CURRENT).write_text("gen-does-not-exist\n")
    elif damage == "bad_offsets":
        lines = (gen / "chunks.jsonl").read_text().splitlines()
        first = json.loads(lines[0])
        first["start"] += 1
        lines[0] = json.dumps(first)
        (gen / "chunks.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(CorruptIndex):
        IndexStore.load(settings.index_dir)
    reopened = open_index(settings.index_dir, embedder, settings)
    assert [c.id for c in reopened.chunks] == [c.id for c in store.chunks]
    assert "rebuilding" in capsys.readouterr().err


def test_manifest_from_another_format_version_is_rebuilt(settings, embedder, corpus, capsys):
    store = _build(settings, embedder, corpus)
    manifest = json.loads((store.folder / "manifest.json").read_text())
    manifest["format_version"] = 999
    (store.folder / "manifest.json").write_text(json.dumps(manifest))
    reopened = open_index(settings.index_dir, embedder, settings)
    assert reopened.manifest["format_version"] == FORMAT_VERSION
    assert "rebuilding" in capsys.readouterr().err


def test_missing_index_without_sources_is_a_clear_error(settings, embedder, tmp_path):
    with pytest.raises(IndexUnavailable, match="holds no index"):
        open_index(tmp_path / "nowhere", embedder, settings)


def test_damaged_index_whose_sources_are_gone_is_a_clear_error(settings, embedder, corpus):
    store = _build(settings, embedder, corpus)
    (store.folder / "faiss.index").write_bytes(b"junk")
    for f in corpus.iterdir():
        f.unlink()
    corpus.rmdir()
    with pytest.raises(IndexUnavailable, match="sources are gone"):
        open_index(settings.index_dir, embedder, settings)


def test_missing_default_index_is_built_from_the_default_corpus(settings, embedder, corpus):
    store = open_index(settings.index_dir, embedder, settings, default_roots=[corpus])
    assert len(store.documents) == 3


def test_index_type_switches_above_the_threshold():
    assert choose_index_spec(10, 100) == "Flat"
    assert choose_index_spec(100, 100) == "Flat"
    assert choose_index_spec(101, 100).startswith("IVF")
    assert choose_index_spec(1_000_000, 50_000) == "IVF4096,SQ8"
    assert choose_index_spec(100_000, 50_000) == "IVF1024,SQ8"
    assert nprobe_for(4096) == 128 and nprobe_for(64) == 8


def test_ivf_index_finds_the_nearest_neighbours():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(50, 32)).astype(np.float32)
    vectors = centres[rng.integers(0, 50, 5000)] + 0.3 * rng.normal(size=(5000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    spec = choose_index_spec(len(vectors), 1000)
    index = build_faiss(vectors, spec)
    exact = build_faiss(vectors, "Flat")
    queries = vectors[:50]
    _, got = index.search(queries, 10)
    _, want = exact.search(queries, 10)
    recall = np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want)])
    assert spec.startswith("IVF") and recall >= 0.9


def test_read_api_sentences_neighbours_and_spans(settings, embedder, corpus):
    from qa.api import Assistant

    store = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder).store
    sentences = [store.sentence(w) for w in range(len(store.window_rows))]
    for s in sentences:
        assert store.texts[s.source][s.start:s.end] == s.text
    robots = [s for s in sentences if s.source == "robots.txt"]
    first, second = robots[1], robots[2]  # "Korea has 1,012 ...", "That robot density is ..."
    assert first.text.startswith("Korea has") and second.text.startswith("That robot density")
    assert store.neighbour(first.window, 1) == second
    assert store.neighbour(second.window, -1) == first
    # no neighbour across documents, nor past either end of the index
    last = max(range(len(sentences)), key=lambda w: w)
    assert store.neighbour(last, 1) is None and store.neighbour(0, -1) is None
    boundary = [w for w in range(len(sentences) - 1) if sentences[w].source != sentences[w + 1].source]
    assert boundary and all(store.neighbour(w, 1) is None for w in boundary)
    # every sentence of a chunk is listed for it, in document order
    for row, chunk in enumerate(store.chunks):
        listed = [store.sentence(w) for w in store.sentences_in_chunk(row)]
        assert listed and all(s.source == chunk.source for s in listed)
        assert [s.start for s in listed] == sorted(s.start for s in listed)
    assert store.text_span("robots.txt", -50, 6) == "Robots"
