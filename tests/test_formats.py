"""PDF and Word documents (fixtures written by scripts/make_fixtures.py), titles, and citations that name
a page or a heading, through the API, the CLI and the loader."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qa.api import Assistant
from qa.cli import main
from qa.errors import DocumentError
from qa.ingest.documents import document_from_bytes, document_from_text, load_document
from qa.models.generation import ScriptedGenerator

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "tests" / "data" / "docs"


def test_fixtures_are_what_the_script_writes(tmp_path):
    # the committed files are reproducible: the script writes the same bytes again (pypdf's encryption
    # draws a random key, so the locked copy is compared by what it refuses, below)
    script = ROOT / "scripts" / "make_fixtures.py"
    out = tmp_path / "long.pdf"
    subprocess.run([sys.executable, str(script), "--long", "3", str(out)], check=True, capture_output=True)
    doc = load_document(out)
    assert [m.page for m in doc.marks] == [1, 2, 3] and doc.title == "Northern Canal Sluice Register"
    sys.path.insert(0, str(script.parent))
    try:
        import make_fixtures
    finally:
        sys.path.remove(str(script.parent))
    assert make_fixtures.write_pdf([make_fixtures.PAGE_ONE, make_fixtures.PAGE_TWO],
                                   title="The Marren Valley Survey") == (DOCS / "marren_survey.pdf").read_bytes()


def test_pdf_text_keeps_its_pages_and_metadata_title():
    doc = load_document(DOCS / "marren_survey.pdf")
    assert doc.title == "The Marren Valley Survey"
    assert [m.page for m in doc.marks] == [1, 2]
    page_two = doc.marks[1].start
    assert doc.text[page_two:].startswith("Wildlife")
    assert doc.text.index("31 million cubic metres") < page_two < doc.text.index("214 species")


def test_docx_paragraphs_tables_and_headings():
    doc = load_document(DOCS / "tollen_harbour.docx")
    assert doc.title == "Tollen Harbour Guide"  # the core properties' title
    assert [m.section for m in doc.marks] == ["Harbour Operations", "Opening hours", "Fees"]
    fees = next(m.start for m in doc.marks if m.section == "Fees")
    assert doc.text.index("42 euros") > fees > doc.text.index("7:30")
    assert "North quay | 140 m" in doc.text  # a table row, cells joined as the table reader expects


@pytest.mark.parametrize("name, message", [
    ("scanned.pdf", "no text layer"),
    ("locked.pdf", "encrypted"),
])
def test_pdfs_that_cannot_be_read_are_refused_saying_why(name, message):
    with pytest.raises(DocumentError, match=message):
        load_document(DOCS / name)


def test_titles_from_each_format():
    assert document_from_bytes("a.html", b"<title>Tide tables</title><h1>Other</h1><p>High water.</p>", ".html").title == "Tide tables"
    assert document_from_bytes("b.html", b"<h1>Port news</h1><p>Text.</p><h1>Later</h1>", ".html").title == "Port news"
    assert document_from_text("c.md", "Intro line that is long enough to be a paragraph " * 3 + "\n\n# Real heading\n\nBody.").title == "Real heading"
    long_first = "word " * 30  # a paragraph, not a title
    assert document_from_text("d.txt", f"{long_first}\n| a | b |\n- a list item\nShort heading\nBody.").title == "Short heading"
    assert document_from_text("dir/e.txt", "x" * 500).title == "e.txt"


def test_seed_titles_are_their_headlines():
    titles = {d.id: d.title for d in (load_document(p) for p in sorted((ROOT / "seeds").iterdir()))}
    assert titles["000_708bc06f684926ae.txt"] == "Korea Ranks Third Globally in Notable AI Model Releases, Excels in 'Physical AI'"
    assert titles["001_4565a06977f9453b.txt"] == "Why South Korea is a global leader in AI adoption"
    assert titles["003_4828a23bdb51d7f0.txt"] == "South Korea Just Launched a Game-Changing AI Race Against U.S. and China"
    # the third article's text carries no headline line: it opens with its lead paragraph, whose first
    # clause says what the article is about (its first short line is only its first section's heading)
    assert titles["002_d8a45157726e6f81.txt"] == ("South Korea is emerging as a leading force in the development of "
                                                  "large language models (LLMs)")


@pytest.fixture
def office(tmp_path) -> Path:
    folder = tmp_path / "office"
    folder.mkdir()
    for name in ("marren_survey.pdf", "tollen_harbour.docx"):
        shutil.copy(DOCS / name, folder / name)
    return folder


def _replying(reply: str) -> ScriptedGenerator:
    return ScriptedGenerator(lambda messages: reply)


@pytest.mark.parametrize("question, reply, source, where", [
    ("How many species of birds did surveyors count around the reservoir?", "214 species",
     "marren_survey.pdf", {"page": 2, "section": None}),
    ("How much does mooring cost a night for boats under 12 metres?", "42 euros",
     "tollen_harbour.docx", {"page": None, "section": "Fees"}),
])
def test_answers_cite_the_page_or_the_heading(office, settings, embedder, question, reply, source, where):
    shutil.copytree(office, settings.seeds_dir)  # the default corpus of a temporary project
    assistant = Assistant(settings=settings, embedder=embedder, generator=_replying(reply))
    answer = assistant.ask(question)
    assert not answer.refused, answer
    cited = answer.citations[0]
    assert cited.source == source and {"page": cited.page, "section": cited.section} == where
    assert reply in answer.text
    listed = {d["name"]: d for d in assistant.documents()}
    assert listed["marren_survey.pdf"]["title"] == "The Marren Valley Survey"
    assert listed["tollen_harbour.docx"]["title"] == "Tollen Harbour Guide"
    assert all(d["added"] and d["chunks"] > 0 and d["bytes"] > 0 for d in listed.values())
    document = assistant.document(source)
    assert cited.quote in document["text"] and document["title"] == listed[source]["title"]


def test_cli_indexes_office_files_and_names_the_page(office, tmp_path, capsys, monkeypatch):
    import qa.api

    monkeypatch.setenv("QA_EMBEDDER", "hashing")
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_ANSWER_THRESHOLD", "0")
    monkeypatch.setattr(qa.api, "make_generator", lambda name, s: _replying("214 species"))
    index = str(tmp_path / "idx")
    assert main(["index", str(office), "--index", index]) == 0
    assert "indexed 2" in capsys.readouterr().out
    assert main(["ask", "How many species of birds were counted around the reservoir?", "--index", index]) == 0
    out = capsys.readouterr().out
    assert "[1] marren_survey.pdf (page 2" in out
    assert main(["ask", "How many species of birds were counted around the reservoir?", "--index", index, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["citations"][0]["page"] == 2


def test_cli_refuses_a_scanned_pdf_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QA_EMBEDDER", "hashing")
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    assert main(["index", str(DOCS / "scanned.pdf"), "--index", str(tmp_path / "idx")]) == 2
    assert "no text layer" in capsys.readouterr().err


def test_an_older_index_is_rebuilt_with_one_line(settings, embedder, office, capsys):
    from qa.index.sync import open_index, sync_index

    sync_index(settings.index_dir, [office], embedder, settings)
    generation = next(settings.index_dir.glob("gen-*"))
    manifest = json.loads((generation / "manifest.json").read_text())
    manifest["format_version"] = 3
    (generation / "manifest.json").write_text(json.dumps(manifest))
    store = open_index(settings.index_dir, embedder, settings)
    assert set(store.documents) == {"marren_survey.pdf", "tollen_harbour.docx"}
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "older version" in err


def test_long_work_says_what_it_is_doing(tmp_path, capsys, monkeypatch):
    import qa.index.sync

    monkeypatch.setenv("QA_EMBEDDER", "hashing")
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(qa.index.sync, "LARGE_FILE_BYTES", 1000)
    monkeypatch.setattr(qa.index.sync, "PROGRESS_MIN_TEXTS", 5)
    assert main(["index", str(DOCS / "marren_survey.pdf"), "--index", str(tmp_path / "idx")]) == 0
    err = capsys.readouterr().err
    assert "reading marren_survey.pdf" in err and "embedding 8 sentences of 1" in err


@pytest.mark.parametrize("name, message", [("scanned.pdf", "no text layer"), ("locked.pdf", "encrypted")])
def test_assistant_add_refuses_unreadable_pdfs_and_keeps_the_index(office, settings, embedder, name, message):
    shutil.copytree(office, settings.seeds_dir)
    assistant = Assistant(settings=settings, embedder=embedder, generator=_replying("214 species"))
    before = [d["name"] for d in assistant.documents()]
    with pytest.raises(DocumentError, match=message):
        assistant.add([DOCS / name])
    assert [d["name"] for d in assistant.documents()] == before
