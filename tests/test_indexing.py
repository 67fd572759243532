import os

import pytest

from qa.errors import DocumentError, QAError
from qa.index.store import IndexStore
from qa.index.sync import is_stale, open_index, sync_index


def _sync(settings, embedder, roots, base=True, **kw):
    base_store = IndexStore.load(settings.index_dir) if base else None
    return sync_index(settings.index_dir, roots, embedder, settings, base=base_store, **kw)


def test_first_sync_indexes_everything(settings, embedder, corpus):
    store, report = _sync(settings, embedder, [corpus], base=False)
    assert sorted(report.indexed) == ["budget.txt", "models.md", "robots.txt"]
    assert report.wrote and embedder.calls == 1
    assert embedder.texts_embedded == len(store.vectors)


def test_unchanged_corpus_embeds_and_writes_nothing(settings, embedder, corpus):
    _sync(settings, embedder, [corpus], base=False)
    gen = (settings.index_dir / "CURRENT").read_text()
    embedded = embedder.texts_embedded
    _, report = _sync(settings, embedder, [corpus])
    assert not report.wrote and embedder.texts_embedded == embedded
    assert (settings.index_dir / "CURRENT").read_text() == gen


def test_changing_one_file_reembeds_only_that_file(settings, embedder, corpus):
    store, _ = _sync(settings, embedder, [corpus], base=False)
    before = {c.source: c.id for c in store.chunks}
    embedded = embedder.texts_embedded
    (corpus / "budget.txt").write_text("Budget\n\nThe 2027 budget gives 12 trillion won to AI. It is bigger.\n")
    store2, report = _sync(settings, embedder, [corpus])
    assert report.updated == ["budget.txt"] and sorted(report.unchanged) == ["models.md", "robots.txt"]
    budget_windows = sum(1 for first in store2.window_rows[:, 0] if store2.chunks[first].source == "budget.txt")
    assert embedder.texts_embedded - embedded == budget_windows
    after = {c.source: c.id for c in store2.chunks}
    assert after["robots.txt"] == before["robots.txt"] and after["budget.txt"] != before["budget.txt"]
    # reused vectors are the same vectors
    rows_old = [i for i, f in enumerate(store.window_rows[:, 0]) if store.chunks[f].source == "robots.txt"]
    rows_new = [i for i, f in enumerate(store2.window_rows[:, 0]) if store2.chunks[f].source == "robots.txt"]
    assert (store.vectors[rows_old] == store2.vectors[rows_new]).all()
    # window rows still point at chunks of their own document
    for first, last, start, end in store2.window_rows:
        assert store2.texts[store2.chunks[first].source][start:end] in store2.chunks[first].text
        assert store2.chunks[first].source == store2.chunks[last].source


def test_adding_and_removing_files(settings, embedder, corpus):
    _sync(settings, embedder, [corpus], base=False)
    embedded = embedder.texts_embedded
    (corpus / "new.md").write_text("# Chips\n\nSamsung makes memory chips.")
    (corpus / "models.md").unlink()
    store, report = _sync(settings, embedder, [corpus])
    assert report.indexed == ["new.md"] and report.removed == ["models.md"]
    assert embedder.texts_embedded - embedded == 2  # the two sentences of new.md
    assert set(store.documents) == {"budget.txt", "robots.txt", "new.md"}
    assert all(c.source != "models.md" for c in store.chunks)


def test_touched_but_unchanged_file_is_not_reembedded(settings, embedder, corpus):
    _sync(settings, embedder, [corpus], base=False)
    embedded = embedder.texts_embedded
    path = corpus / "robots.txt"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    store, report = _sync(settings, embedder, [corpus])
    assert embedder.texts_embedded == embedded and "robots.txt" in report.unchanged
    assert store.documents["robots.txt"].mtime_ns == path.stat().st_mtime_ns


def test_bad_files_in_a_folder_are_skipped_with_reasons(settings, embedder, corpus):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\xff" * 100)
    (corpus / "picture.png").write_bytes(b"\x89PNG\r\n")
    store, report = _sync(settings, embedder, [corpus], base=False)
    reasons = {os.path.basename(p): why for p, why in report.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "picture.png"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"] and "unsupported" in reasons["picture.png"]
    assert len(store.documents) == 3


def test_named_bad_file_or_missing_path_raises_and_changes_nothing(settings, embedder, corpus, tmp_path):
    _sync(settings, embedder, [corpus], base=False)
    gen = (settings.index_dir / "CURRENT").read_text()
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01" * 100)
    with pytest.raises(DocumentError, match="binary"):
        _sync(settings, embedder, [corpus, tmp_path / "binary.txt"])
    with pytest.raises(QAError, match="no such file"):
        _sync(settings, embedder, [tmp_path / "missing"])
    assert (settings.index_dir / "CURRENT").read_text() == gen


def test_open_index_updates_a_stale_index(settings, embedder, corpus, capsys):
    _sync(settings, embedder, [corpus], base=False)
    store = IndexStore.load(settings.index_dir)
    assert not is_stale(store, [corpus])
    (corpus / "extra.txt").write_text("Extra\n\nHyperCLOVA X is built by Naver.")
    assert is_stale(store, [corpus])
    reopened = open_index(settings.index_dir, embedder, settings)
    assert "extra.txt" in reopened.documents
    assert "updated" in capsys.readouterr().err


def test_other_settings_make_the_index_rebuild(settings, embedder, corpus, capsys):
    _sync(settings, embedder, [corpus], base=False)
    other = type(settings).from_env({}, **{**settings.__dict__, "chunk_tokens": 50})
    store = open_index(settings.index_dir, embedder, other)
    assert store.manifest["compat"]["chunking"]["max_tokens"] == 50
    assert "other settings" in capsys.readouterr().err


def test_the_same_file_added_twice_adds_no_duplicate_passages(settings, embedder, corpus):
    from qa.api import Assistant

    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder)
    chunks = len(a.store.chunks)
    a.add([corpus / "robots.txt"])
    a.add([corpus / "robots.txt"])
    assert len(a.store.chunks) == chunks
    assert sorted(d["id"] for d in a.documents()) == ["budget.txt", "models.md", "robots.txt"]


@pytest.mark.parametrize("module, rebuilds", [("text/analyzer.py", True), ("ingest/chunking.py", True),
                                              ("index/lexical.py", True), ("answer/prompt.py", False)])
def test_changing_the_code_that_shapes_stored_text_or_terms_rebuilds_the_index(settings, embedder, corpus, capsys,
                                                                                monkeypatch, tmp_path, module,
                                                                                rebuilds):
    """The index's pipeline hash covers every module of ingest/ and text/ and the BM25 corpus: one byte
    changed in any of them makes an index built before stale; answering code does not."""
    import shutil
    from pathlib import Path

    import qa.index.sync as sync

    package = Path(sync.__file__).resolve().parents[1]
    copy = tmp_path / "qa"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("data", "__pycache__"))
    copies = [copy / p.relative_to(package) for p in sync.pipeline_modules()]
    monkeypatch.setattr(sync, "pipeline_modules", lambda: copies)
    assert sync._pipeline_version() == sync.PIPELINE_VERSION  # the same bytes, the same hash
    _sync(settings, embedder, [corpus], base=False)
    capsys.readouterr()

    with open(copy / module, "a", encoding="utf-8") as f:
        f.write("\n# changed\n")
    monkeypatch.setattr(sync, "PIPELINE_VERSION", sync._pipeline_version())
    calls = embedder.calls
    sync.open_index(settings.index_dir, embedder, settings)
    said = capsys.readouterr().err
    assert ("built with other settings; rebuilding" in said) is rebuilds
    assert (embedder.calls > calls) is rebuilds


def test_an_update_that_would_remove_every_document_because_its_sources_are_gone_stops(settings, embedder, corpus,
                                                                                        tmp_path, capsys):
    from qa.errors import SourcesMissing

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    _sync(settings, embedder, [corpus, uploads], base=False)
    current = (settings.index_dir / "CURRENT").read_text()
    corpus.rename(tmp_path / "corpus-moved")  # the page's case: the uploads folder is there, the corpus is not
    with pytest.raises(SourcesMissing) as e:
        open_index(settings.index_dir, embedder, settings)
    message = str(e.value)
    assert str(settings.index_dir) in message and str(corpus) in message
    assert "QA_SEEDS_DIR" in message and "--allow-remove-all" in message and "--index" in message
    assert (settings.index_dir / "CURRENT").read_text() == current
    assert len(IndexStore.load(settings.index_dir).documents) == 3
    store, report = _sync(settings, embedder, [uploads], allow_remove_all=True)
    assert sorted(report.removed) == ["budget.txt", "models.md", "robots.txt"] and not store.documents
    assert "removing 3 of its 3 documents" in capsys.readouterr().err


def test_removing_every_document_of_folders_that_exist_is_an_ordinary_update(settings, embedder, corpus, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("Note\n\nKimchi is fermented cabbage.")
    _sync(settings, embedder, [corpus], base=False)
    store, report = _sync(settings, embedder, [other])  # the user named other sources: nothing is missing
    assert sorted(store.documents) == ["note.txt"] and len(report.removed) == 3


def test_removing_more_than_half_the_documents_is_said(settings, embedder, corpus, capsys):
    _sync(settings, embedder, [corpus], base=False)
    (corpus / "models.md").unlink()
    _sync(settings, embedder, [corpus])
    assert "removing" not in capsys.readouterr().err  # one of three: an ordinary update
    (corpus / "budget.txt").unlink()
    (corpus / "new.txt").write_text("New\n\nA new note.")
    _sync(settings, embedder, [corpus])
    assert "removing 1 of its 2 documents" not in capsys.readouterr().err  # half is not more than half
    (corpus / "robots.txt").unlink()
    (corpus / "new.txt").unlink()
    (corpus / "other.txt").write_text("Other\n\nAnother note.")
    _sync(settings, embedder, [corpus])
    assert "removing 2 of its 2 documents (new.txt, robots.txt)" in capsys.readouterr().err
