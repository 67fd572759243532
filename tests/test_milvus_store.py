"""The Milvus store on Milvus Lite (started in-process by the tests; nothing runs beforehand), with the
hashing embedder: the same index, search results and sync behaviour as the FAISS store."""
import dataclasses
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import ROOT, SEEDS

from qa.errors import IndexWriteError, QAError
from qa.index.store import IndexStore
from qa.index.sync import load_base, open_index, store_backend, sync_index
from qa.retrieve.retrieval import Retriever
from qa.settings import Settings

pytestmark = pytest.mark.integration  # a real engine: `make test` fails if pymilvus is missing
pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

QUERIES = ["robot density in Korea", "How much money goes to AI in the 2026 budget?", "Exaone model by LG",
           "Which company trains Solar?", "industrial robots per 10,000 workers"]


@pytest.fixture
def milvus(settings):
    return dataclasses.replace(settings, store="milvus")


def _rankings(store, embedder, sources=None):
    r = Retriever(store, embedder)
    return [(r.dense_ranking(q, 8, sources), [row for row, _ in r.lexical_ranking(q, 8, sources)],
             [(p.source, p.start) for p in r.search(q, k=5, sources=sources)]) for q in QUERIES]


def _same_rankings(a, b):
    for (dense_a, lex_a, top_a), (dense_b, lex_b, top_b) in zip(a, b):
        assert [row for row, _ in dense_a] == [row for row, _ in dense_b]
        assert np.allclose([s for _, s in dense_a], [s for _, s in dense_b], atol=1e-5)
        assert lex_a == lex_b and top_a == top_b


def test_milvus_holds_the_same_index_and_ranks_as_faiss(milvus, settings, embedder, corpus, tmp_path):
    store, report = sync_index(milvus.index_dir, [corpus], embedder, milvus)
    assert report.wrote and store.kind == "milvus" and store.describe().startswith("Milvus FLAT at ")
    loaded = store_backend(milvus).load(milvus.index_dir)
    faiss_settings = dataclasses.replace(settings, index_dir=tmp_path / "faiss-index")
    faiss_store, _ = sync_index(faiss_settings.index_dir, [corpus], embedder, faiss_settings)
    assert [c.id for c in loaded.chunks] == [c.id for c in faiss_store.chunks]
    assert np.array_equal(loaded.window_rows, faiss_store.window_rows)
    assert loaded.texts == faiss_store.texts and set(loaded.documents) == set(faiss_store.documents)
    assert np.allclose(loaded.vectors, faiss_store.vectors)
    _same_rankings(_rankings(loaded, embedder), _rankings(faiss_store, embedder))
    # sources: the best of those documents, in the engine's filter as in FAISS' selector
    _same_rankings(_rankings(loaded, embedder, ["budget.txt"]), _rankings(faiss_store, embedder, ["budget.txt"]))
    assert {p.source for p in Retriever(loaded, embedder).search("robots", k=5, sources=["models.md"])} == {"models.md"}
    assert not (milvus.index_dir / "CURRENT").exists()  # nothing written as FAISS files


def test_incremental_sync_adds_changes_and_removes(milvus, embedder, corpus):
    sync_index(milvus.index_dir, [corpus], embedder, milvus)
    embedded = embedder.texts_embedded
    _, report = sync_index(milvus.index_dir, [corpus], embedder, milvus, base=load_base(milvus.index_dir, milvus))
    assert not report.wrote and embedder.texts_embedded == embedded  # unchanged: nothing written
    (corpus / "budget.txt").write_text("Budget\n\nThe 2027 budget gives 12 trillion won to AI.\n")
    (corpus / "chips.txt").write_text("Chips\n\nSamsung makes HBM4 memory for AI accelerators.\n")
    (corpus / "models.md").unlink()
    store, report = sync_index(milvus.index_dir, [corpus], embedder, milvus, base=load_base(milvus.index_dir, milvus))
    assert report.updated == ["budget.txt"] and report.indexed == ["chips.txt"] and report.removed == ["models.md"]
    assert report.unchanged == ["robots.txt"]
    new_windows = sum(1 for first in store.window_rows[:, 0] if store.chunks[first].source in ("budget.txt", "chips.txt"))
    assert embedder.texts_embedded - embedded == new_windows  # robots.txt's vectors came back from Milvus
    loaded = load_base(milvus.index_dir, milvus)
    assert set(loaded.documents) == {"budget.txt", "chips.txt", "robots.txt"}
    top = Retriever(loaded, embedder).search("HBM4 memory", k=1)
    assert top[0].source == "chips.txt"
    assert not any(p.source == "models.md" for p in Retriever(loaded, embedder).search("VAETKI Exaone Solar", k=10))
    with pytest.raises(QAError, match="unknown document"):
        from qa.api import Assistant
        Assistant(milvus.index_dir, settings=milvus, embedder=embedder, generator=object()).check_sources(["models.md"])
    # the live generation and the one before it stay; older ones are dropped
    client = store_backend(milvus).client(milvus.index_dir)
    generations = {c.rsplit("_", 1)[0] for c in client.list_collections()}
    assert len(generations) == 2 and loaded.generation in generations


def test_a_faiss_index_moves_into_milvus_without_re_embedding(settings, milvus, embedder, corpus, capsys):
    faiss_store, _ = sync_index(settings.index_dir, [corpus], embedder, settings)
    embedded = embedder.texts_embedded
    store = open_index(milvus.index_dir, embedder, milvus)
    assert store.kind == "milvus" and embedder.texts_embedded == embedded
    assert "moving the FAISS index into Milvus Lite" in capsys.readouterr().err
    assert np.allclose(store.vectors, faiss_store.vectors) and [c.id for c in store.chunks] == [c.id for c in faiss_store.chunks]
    # FAISS stays the default: the same folder still opens as FAISS without the setting
    assert IndexStore.load(settings.index_dir).kind == "faiss"


def test_qa_index_store_milvus_migrates_and_says_the_index_type(settings, embedder, corpus, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QA_EMBEDDER": "hashing", "QA_MULTILINGUAL_EMBEDDER": "hashing",
           "QA_DATA_DIR": str(tmp_path / "data")}
    index = tmp_path / "cli-index"
    run = lambda *extra: subprocess.run([sys.executable, "-m", "qa", "index", str(corpus), "--index", str(index), *extra],
                                        capture_output=True, text=True, env=env, timeout=300)
    first = run()
    assert first.returncode == 0 and "-> FAISS Flat in" in first.stdout, first.stderr
    moved = run("--store", "milvus")
    assert moved.returncode == 0, moved.stderr
    assert "moving the FAISS index into Milvus Lite" in moved.stderr and "embedding" not in moved.stderr
    assert "-> Milvus FLAT at " in moved.stdout and "indexed 0, updated 0, unchanged 3" in moved.stdout


def test_unreachable_or_misconfigured_milvus_is_a_clear_error(milvus, embedder, corpus):
    down = dataclasses.replace(milvus, milvus_uri="http://127.0.0.1:1", milvus_timeout=2.0)
    with pytest.raises(QAError, match=r"cannot connect to Milvus at http://127.0.0.1:1 .*server is running"):
        sync_index(down.index_dir, [corpus], embedder, down)
    from qa.api import Assistant
    with pytest.raises(QAError, match="127.0.0.1:1"):  # never a silent fallback to FAISS
        Assistant(down.index_dir, settings=down, embedder=embedder, generator=object())
    with pytest.raises(QAError, match="QA_MILVUS_URI='milvus'"):
        store_backend(dataclasses.replace(milvus, milvus_uri="milvus")).load(milvus.index_dir)
    with pytest.raises(QAError, match="QA_MILVUS_COLLECTION"):
        store_backend(dataclasses.replace(milvus, milvus_collection="my-index")).load(milvus.index_dir)
    assert Settings.from_env({"QA_STORE": "milvus", "QA_MILVUS_URI": "http://h:19530"}).milvus_uri == "http://h:19530"


def test_a_failed_write_keeps_the_previous_generation(milvus, embedder, corpus, monkeypatch):
    sync_index(milvus.index_dir, [corpus], embedder, milvus)
    backend = store_backend(milvus)
    client = backend.client(milvus.index_dir)
    before = set(client.list_collections())
    (corpus / "chips.txt").write_text("Chips\n\nSamsung makes HBM4 memory.\n")
    real_insert = type(client).insert

    def refuse(self, collection, rows, **kw):
        if collection.endswith("_chunks"):
            raise RuntimeError("disk quota exceeded")
        return real_insert(self, collection, rows, **kw)

    monkeypatch.setattr(type(client), "insert", refuse)
    with pytest.raises(IndexWriteError, match="disk quota exceeded.*previous index is intact"):
        sync_index(milvus.index_dir, [corpus], embedder, milvus, base=load_base(milvus.index_dir, milvus))
    monkeypatch.undo()
    assert set(client.list_collections()) == before  # the half-written generation is dropped
    assert "chips.txt" not in load_base(milvus.index_dir, milvus).documents


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from qa.models.embedding import HashingEmbedder
    from qa.index.sync import load_base, sync_index
    from qa.index.milvus import MilvusBackend
    from qa.settings import Settings

    settings = Settings.from_env({}, index_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[1]) / "data",
                                 embedder="hashing", multilingual_embedder="hashing", store="milvus")
    real = MilvusBackend._insert
    def insert(self, client, collection, what, n, row):
        if sys.argv[3] in collection:  # killed while this collection of the new generation is written
            os.kill(os.getpid(), signal.SIGKILL)
        real(self, client, collection, what, n, row)
    MilvusBackend._insert = insert
    sync_index(settings.index_dir, [Path(sys.argv[2])], HashingEmbedder(), settings,
               base=load_base(settings.index_dir, settings))
""")


@pytest.mark.parametrize("moment", ["_chunks", "_meta"])
def test_a_sync_killed_midway_leaves_the_previous_generation_serving(milvus, embedder, corpus, tmp_path, moment):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    build = subprocess.run([sys.executable, str(script), str(milvus.index_dir), str(corpus), "never"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert build.returncode == 0, build.stderr
    (corpus / "budget.txt").write_text("Budget\n\nThe 2027 budget gives 12 trillion won to AI.\n")
    killed = subprocess.run([sys.executable, str(script), str(milvus.index_dir), str(corpus), moment],
                            capture_output=True, text=True, env=env, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    store = open_index(milvus.index_dir, embedder, milvus)  # opens the previous generation, then updates it
    assert "12 trillion" in store.texts["budget.txt"]
    assert Retriever(store, embedder).search("2027 budget", k=1)[0].source == "budget.txt"
    client = store_backend(milvus).client(milvus.index_dir)
    assert len({c.rsplit("_", 1)[0] for c in client.list_collections()}) == 2  # the killed one is dropped


def test_documents_not_in_english_keep_their_multilingual_vectors(milvus, embedder, tmp_path):
    folder = tmp_path / "ko"
    folder.mkdir()
    (folder / "ko.txt").write_text("로봇\n\n한국에는 산업용 로봇이 많다. 로봇 밀도는 세계 최고이다.\n", encoding="utf-8")
    (folder / "en.txt").write_text("Robots\n\nKorea has many industrial robots.\n", encoding="utf-8")
    store, _ = sync_index(milvus.index_dir, [folder], embedder, milvus)
    loaded = load_base(milvus.index_dir, milvus)
    assert loaded.multilingual is not None and len(loaded.multilingual) == len(store.multilingual) > 0
    assert np.allclose(loaded.multilingual, store.multilingual)
    assert np.array_equal(loaded.multilingual_windows, store.multilingual_windows)


def test_a_damaged_generation_is_rebuilt_from_its_sources(milvus, embedder, corpus, capsys):
    store, _ = sync_index(milvus.index_dir, [corpus], embedder, milvus)
    client = store_backend(milvus).client(milvus.index_dir)
    client.drop_collection(f"{store.generation}_chunks")
    rebuilt = open_index(milvus.index_dir, embedder, milvus)
    assert "damaged" in capsys.readouterr().err and set(rebuilt.documents) == set(store.documents)
    assert rebuilt.generation != store.generation


def test_the_default_store_is_faiss_and_needs_no_milvus():
    code = ("import sys; from qa.settings import Settings; from qa.index.sync import store_backend; "
            "assert store_backend(Settings.from_env({})).kind == 'faiss'; "
            "import qa.api, qa.index.sync, qa.retrieve.retrieval; assert 'pymilvus' not in sys.modules")
    run = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_a_milvus_lite_file_open_in_another_process_is_a_clear_error(milvus, embedder, corpus, tmp_path):
    sync_index(milvus.index_dir, [corpus], embedder, milvus)  # this process now serves the .db file
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QA_STORE": "milvus", "QA_EMBEDDER": "hashing",
           "QA_MULTILINGUAL_EMBEDDER": "hashing", "QA_DATA_DIR": str(tmp_path / "data")}
    run = subprocess.run([sys.executable, "-m", "qa", "search", "robots", "--index", str(milvus.index_dir)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "cannot connect to Milvus at" in run.stderr and "another process" in run.stderr
