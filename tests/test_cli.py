import json

import pytest

from qa.cli import main


@pytest.fixture(autouse=True)
def fake_models(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_EMBEDDER", "hashing")
    monkeypatch.setenv("QA_READER", "generator")  # the path the scripted generator drives
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "default-index"))
    monkeypatch.setenv("QA_SEEDS_DIR", str(tmp_path / "no-seeds"))
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))


def test_index_then_search(corpus, tmp_path, capsys):
    index = str(tmp_path / "idx")
    assert main(["index", str(corpus), "--index", index]) == 0
    out = capsys.readouterr().out
    assert "indexed 3, updated 0, unchanged 0, skipped 0, removed 0" in out
    assert main(["index", str(corpus), "--index", index]) == 0
    assert "unchanged 3" in capsys.readouterr().out

    assert main(["search", "VAETKI", "-k", "2", "--index", index]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] models.md  score=")
    assert "NC AI built the VAETKI model." in out  # the full passage text, untruncated

    assert main(["search", "VAETKI", "--json", "--index", index]) == 0
    passages = json.loads(capsys.readouterr().out)
    assert set(passages[0]) == {"source", "chunk_id", "text", "start", "end", "score"}


def test_skipped_files_are_reported_and_exit_zero(corpus, tmp_path, capsys):
    (corpus / "blob.txt").write_bytes(b"\x00" * 64)
    assert main(["index", str(corpus), "--index", str(tmp_path / "idx")]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "blob.txt" in captured.err and "binary" in captured.err
    assert "skipped 1" in captured.out


@pytest.mark.parametrize("argv_tail, message", [
    (["does-not-exist"], "no such file or folder"),
    (["BINARY"], "binary content"),
])
def test_bad_paths_exit_2_and_leave_the_index(corpus, tmp_path, capsys, argv_tail, message):
    index = tmp_path / "idx"
    assert main(["index", str(corpus), "--index", str(index)]) == 0
    current = (index / "CURRENT").read_text()
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 50)
    paths = [str(tmp_path / "bin.txt") if a == "BINARY" else str(tmp_path / a) for a in argv_tail]
    capsys.readouterr()
    assert main(["index", *paths, "--index", str(index)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert (index / "CURRENT").read_text() == current


def test_search_without_an_index_exits_2(tmp_path, capsys):
    assert main(["search", "anything", "--index", str(tmp_path / "none")]) == 2
    assert "no index" in capsys.readouterr().err


def test_internal_failure_exits_1_without_traceback(corpus, tmp_path, capsys, monkeypatch):
    import qa.index.sync

    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(qa.index.sync, "sync_index", broken)
    assert main(["index", str(corpus), "--index", str(tmp_path / "idx")]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err


def test_help_works(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    for cmd in ["index", "search", "eval-retrieval"]:
        with pytest.raises(SystemExit) as e:
            main([cmd, "--help"])
        assert e.value.code == 0
    assert "usage: qa" in capsys.readouterr().out


def test_default_index_builds_from_default_corpus(corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_SEEDS_DIR", str(corpus))
    assert main(["index"]) == 0
    assert "indexed 3" in capsys.readouterr().out
    assert (tmp_path / "data" / "uploads").is_dir()
    assert main(["search", "VAETKI", "-k", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["source"] == "models.md"


@pytest.fixture
def scripted(monkeypatch):
    """`qa ask` with a scripted model: the reply repeats the first fact shown."""
    import qa.api
    from qa.models.generation import ScriptedGenerator

    def first_fact(messages):
        return messages[-1]["content"].split("\n")[1][3:]

    monkeypatch.setattr(qa.api, "make_generator", lambda name, settings: ScriptedGenerator(first_fact))


def test_ask_prints_answer_and_sources_and_json(corpus, tmp_path, capsys, scripted):
    index = str(tmp_path / "idx")
    assert main(["index", str(corpus), "--index", index]) == 0
    capsys.readouterr()
    assert main(["ask", "Which company built the VAETKI model?", "--index", index]) == 0
    out = capsys.readouterr().out
    assert "VAETKI" in out and "[1] models.md" in out
    assert main(["ask", "Which company built the VAETKI model?", "--index", index, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"text", "refused", "citations", "passages"}
    assert set(data["citations"][0]) == {"n", "source", "chunk_id", "text", "start", "end", "quote", "score", "page", "section"}
    assert data["refused"] is False and data["citations"][0]["quote"] in data["citations"][0]["text"]


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_bad_question_exits_2(corpus, tmp_path, capsys, scripted, question):
    index = str(tmp_path / "idx")
    assert main(["index", str(corpus), "--index", index]) == 0
    assert main(["ask", question, "--index", index]) == 2
    assert "question is empty" in capsys.readouterr().err


def test_indexing_without_ray_does_not_import_it(tmp_path):
    """`make test` and `make run` never need Ray: it is imported only with --ray or QA_RAY_ADDRESS."""
    import os
    import subprocess
    import sys

    from conftest import ROOT, SEEDS

    code = ("import sys; from qa.cli import main; rc = main(['index', %r, '--index', %r]); "
            "assert 'ray' not in sys.modules, 'ray imported'; sys.exit(rc)") % (str(SEEDS), str(tmp_path / "i"))
    env = {**os.environ, "QA_CACHE_DIR": str(tmp_path / "cache"), "QA_MULTILINGUAL_EMBEDDER": "off"}
    env.pop("QA_RAY_ADDRESS", None)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("indexed 4, ")


def test_index_and_page_stop_when_the_default_corpus_is_gone_and_the_index_is_unchanged(corpus, tmp_path,
                                                                                       monkeypatch, capsys):
    import sys

    from conftest import ROOT

    monkeypatch.setenv("QA_SEEDS_DIR", str(corpus))
    assert main(["index"]) == 0
    index = tmp_path / "default-index"
    current = (index / "CURRENT").read_text()
    corpus.rename(tmp_path / "elsewhere")  # the uploads folder exists (qa index made it); the seeds do not
    capsys.readouterr()
    assert main(["index"]) == 2
    err = capsys.readouterr().err
    assert f"{index}: updating it would remove all 3 of its documents" in err
    assert str(corpus) in err and "QA_SEEDS_DIR" in err and "--allow-remove-all" in err
    assert (index / "CURRENT").read_text() == current

    sys.path.insert(0, str(ROOT))
    import ui

    monkeypatch.setattr(ui, "build", lambda app: pytest.fail("the page was built over an index it would empty"))
    with pytest.raises(SystemExit) as e:
        ui.main()
    assert e.value.code == 2
    assert "updating it would remove all 3 of its documents" in capsys.readouterr().err
    assert (index / "CURRENT").read_text() == current

    assert main(["index", "--allow-remove-all"]) == 0
    assert "removed 3" in capsys.readouterr().out
    assert main(["search", "VAETKI", "--json"]) == 2 or json.loads(capsys.readouterr().out) == []


def test_index_without_paths_and_without_an_index_names_the_missing_corpus(capsys):
    assert main(["index"]) == 2  # QA_SEEDS_DIR points nowhere (the fixture)
    err = capsys.readouterr().err
    assert "no-seeds: no such folder" in err and "QA_SEEDS_DIR" in err


def test_index_stops_when_a_missing_default_folder_would_take_some_documents(corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_SEEDS_DIR", str(corpus))
    uploads = tmp_path / "data" / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "note.txt").write_text("Note\n\nThe pier is 40 m long.")
    assert main(["index"]) == 0
    current = (tmp_path / "default-index" / "CURRENT").read_text()
    monkeypatch.setenv("QA_SEEDS_DIR", str(tmp_path / "mistyped-seeds"))  # the upload is found, the seeds are not
    capsys.readouterr()
    assert main(["index"]) == 2
    err = capsys.readouterr().err
    assert "would remove 3 of its 4 documents" in err and "mistyped-seeds" in err and "--allow-remove-all" in err
    assert (tmp_path / "default-index" / "CURRENT").read_text() == current
    assert main(["index", "--allow-remove-all"]) == 0 and "removed 3" in capsys.readouterr().out
