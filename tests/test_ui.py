"""The chat page's logic without a browser: names, escaping, uploads, removal, the streamed chat."""
import json
import re
import sys
from types import SimpleNamespace

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT))
import ui  # noqa: E402
from qa.answer.events import Answer, Citation  # noqa: E402
from qa.api import safe_name  # noqa: E402
from qa.models.generation import ScriptedGenerator  # noqa: E402
from qa.retrieve.retrieval import Passage  # noqa: E402


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("/abs/path/notes.md", "notes.md"),
    ("C:\\Users\\x\\report final.txt", "report_final.txt"),
    ("..hidden.txt", "hidden.txt"),
    ("한국 메모.txt", "한국_메모.txt"),
    ("<script>.txt", "script_.txt"),
])
def test_safe_name(name, expected):
    assert safe_name(name) == expected


def test_safe_name_limits_length():
    assert len(safe_name("a" * 500 + ".txt")) <= 100 and safe_name("a" * 500 + ".txt").endswith(".txt")


def _answer(text, refused=False, quote="robots <b>1,012</b>"):
    passage = Passage("evil<script>.txt", "c1", f"Before. {quote} after.", 0, 30, 0.5)
    cites = [] if refused else [Citation(1, passage.source, "c1", passage.text, 0, 30, quote, 0.5)]
    return Answer("q", text, refused, cites, [passage])


def test_answers_and_sources_are_escaped_with_links_and_highlights():
    html = ui.render_answer(_answer("Korea <script>alert(1)</script> has 1,012 [1]."), "t1")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<sup>[<a href='#src-t1-1'>1</a>]</sup>" in html
    cards = ui.render_sources(_answer("x [1]."), "t1")
    assert "id='src-t1-1'" in cards and "<mark>robots &lt;b&gt;1,012&lt;/b&gt;</mark>" in cards
    assert "evil&lt;script&gt;.txt" in cards and "<script>" not in cards
    # with the documents' titles: the title names the card, the file name beside it in small type
    cards = ui.render_sources(_answer("x [1]."), "t1", {"evil<script>.txt": "Robot <i>census</i>"})
    assert "[1] <span class='qa-doc-title'>Robot &lt;i&gt;census&lt;/i&gt;</span> <span class='qa-file'>evil" in cards
    looked = ui.render_sources(_answer("No.", refused=True), "t1", {"evil<script>.txt": "Robot census"})
    assert "<h4><span class='qa-doc-title'>Robot census</span> <span class='qa-file'>evil&lt;script&gt;.txt" in looked


def test_refusal_looks_different_and_shows_where_it_looked_briefly():
    answer = _answer("The documents do not say.", refused=True)
    assert "qa-refusal" in ui.render_answer(answer, "t")
    assert "do not answer the question" in ui.render_sources(answer, "t")
    long = Passage("a.txt", "c1", "word " * 400, 0, 2000, 0.5)
    cards = ui.render_sources(Answer("q", "The documents do not say.", True, [], [long] * 5), "t")
    assert cards.count("qa-card") == 2 and len(cards) < 2 * (ui.REFUSAL_PASSAGE_CHARS + 250)
    assert cards.startswith("<details")  # collapsed


def test_one_card_per_passage_and_no_raw_scores():
    passage = Passage("a.txt", "c1", "First claim here. Second claim there.", 0, 40, 0.0328)
    cites = [Citation(1, "a.txt", "c1", passage.text, 0, 40, "First claim here.", 0.0328),
             Citation(2, "a.txt", "c1", passage.text, 0, 40, "Second claim there.", 0.0328)]
    cards = ui.render_sources(Answer("q", "First [1]. Second [2].", False, cites, [passage]), "t")
    assert cards.count("class='qa-card'") == 1 and "[1, 2]" in cards
    assert "id='src-t-1'" in cards and "id='src-t-2'" in cards  # both markers land on the card
    assert cards.count("<mark>") == 2 and "0.0328" not in cards and "score" not in cards


def test_the_understood_question_is_shown_only_when_it_says_more():
    said_more = Answer("How many parameters does it have?", "236 billion [1].", False, [], [],
                       rewritten="How many parameters does K-EXAONE have?")
    same = Answer("How many people attended?", "300 [1].", False, [], [],
                  rewritten="How many people attended (how many people attended)?")
    assert "Answered as" in ui.render_answer(said_more, "t") and "Answered as" not in ui.render_answer(same, "t")


@pytest.fixture
def app(settings, corpus, monkeypatch):
    import shutil

    shutil.copytree(corpus, settings.seeds_dir)
    import qa.api

    monkeypatch.setattr(qa.api, "make_generator",
                        lambda name, s: ScriptedGenerator(lambda m: "NC AI built the VAETKI model."))
    application = ui.App(settings)
    application.ready.wait(10)
    return application


def _file(tmp_path, name, data):
    path = tmp_path / "incoming" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return SimpleNamespace(name=str(path))


def _listed(table: str) -> list[str]:
    """The file names the documents panel lists, in its order."""
    return re.findall(r"data-doc='([^']*)'", table)


def test_upload_saves_sanitized_names_in_the_uploads_folder_only(app, tmp_path):
    message, table, _, _ = app.upload([_file(tmp_path, "my notes.txt", b"Notes\n\nKimchi is fermented.")],
                                      progress=lambda *a, **k: None)
    # the title, with the file name beside it in small type
    assert "<span class='qa-doc-title'>Notes</span> <span class='qa-file'>my_notes.txt</span>: indexed" in message
    assert (app.settings.uploads_dir / "my_notes.txt").exists()
    assert _listed(table)[0] == "my_notes.txt" and "qa-new" in table  # newest first, marked
    # the same name again gets a suffix, never overwrites
    message, _, _, _ = app.upload([_file(tmp_path, "my notes.txt", b"Notes\n\nSecond file.")],
                                  progress=lambda *a, **k: None)
    assert "my_notes-2.txt</span>: indexed" in message
    assert (app.settings.uploads_dir / "my_notes.txt").read_bytes() == b"Notes\n\nKimchi is fermented."


@pytest.mark.parametrize("name, data, error", [
    ("blob.txt", b"\x00\x01" * 100, "binary"),
    ("empty.txt", b"", "empty"),
    ("slides.pdf", b"%PDF-1.4 ...", "not a readable PDF"),
    ("notes.docx", b"PK not a zip", "not a readable Word"),
    ("slides.pptx", b"PK\x03\x04", "unsupported"),
    ("noext", b"plain text", "unsupported"),
])
def test_bad_uploads_give_a_message_and_change_nothing(app, tmp_path, name, data, error):
    before = app.documents_table()
    message, table, _, _ = app.upload([_file(tmp_path, name, data)], progress=lambda *a, **k: None)
    assert "❌" in message and error in message
    assert table == before and list(app.settings.uploads_dir.iterdir()) == []


def test_oversized_upload_is_refused(app, tmp_path):
    app.settings = app.assistant.settings = app.settings.__class__(**{**app.settings.__dict__, "max_file_bytes": 100})
    message, _, _, _ = app.upload([_file(tmp_path, "big.txt", b"word " * 100)], progress=lambda *a, **k: None)
    assert "over the 100-byte limit" in message


def test_remove_only_uploaded_documents(app, tmp_path):
    app.upload([_file(tmp_path, "temp.md", b"# Temp\n\nA temporary note.")], progress=lambda *a, **k: None)
    assert app.uploaded_ids() == ["temp.md"]
    message, table, _ = app.remove("temp.md")
    assert "removed" in message and not (app.settings.uploads_dir / "temp.md").exists()
    assert "temp.md" not in _listed(table) and "robots.txt" in _listed(table)
    assert "<span class='qa-doc-title'>Temp</span>" in message
    message, _, _ = app.remove("robots.txt")
    assert "not an uploaded document" in message


def test_chat_streams_then_shows_the_verified_answer(app):
    outputs = list(app.chat("Which company built the VAETKI model?", [], [], 5, "default"))
    texts = [o[1][-1]["content"] for o in outputs]
    # the step it is at in plain words, then the verified claim; never the model's unverified words first
    assert "Searching the documents" in texts[0] and any("Checking the answer" in t for t in texts)
    checked = next(i for i, t in enumerate(texts) if "Checking the answer" in t)
    assert all("NC AI" not in t for t in texts[:checked])
    assert any("▌" in t and "NC AI built the VAETKI model" in t for t in texts[checked:-1])
    final_box, chat, pairs, sources = outputs[-1]
    assert "NC AI built the VAETKI model" in chat[-1]["content"] and ">1</a>]</sup>" in chat[-1]["content"]
    assert pairs[-1][0] == "Which company built the VAETKI model?"
    assert "models.md" in sources and "<mark>" in sources
    # an empty question does nothing
    assert list(app.chat("   ", [], [], 5, "default"))[0][1] == []


def test_the_same_content_twice_is_refused(app, tmp_path):
    app.upload([_file(tmp_path, "a.txt", b"Note\n\nSame words.")], progress=lambda *a, **k: None)
    message, _, _, _ = app.upload([_file(tmp_path, "b.txt", b"Note\n\nSame words.")], progress=lambda *a, **k: None)
    assert "already indexed as a.txt" in message and not (app.settings.uploads_dir / "b.txt").exists()


def test_listens_on_loopback_unless_told_and_warns_without_login():
    assert ui.listen_settings({}) == ("127.0.0.1", 7860, None, None)
    host, port, auth, warning = ui.listen_settings({"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "8000"})
    assert (host, port, auth) == ("0.0.0.0", 8000, None) and "without authentication" in warning
    assert ui.listen_settings({"GRADIO_SERVER_NAME": "0.0.0.0", "QA_UI_USERNAME": "u", "QA_UI_PASSWORD": "p"})[2:] == (("u", "p"), None)


def test_stop_ends_the_answer_and_says_so(app):
    outputs = app.chat("Which company built the VAETKI model?", [], [], 5, "default")
    next(outputs)  # the question is shown; the search starts
    app.stop()
    rest = list(outputs)
    assert "Stopped" in rest[-1][1][-1]["content"] and all("NC AI" not in str(o[1]) for o in rest)
    assert rest[-1][2] == []  # no answer joins the conversation
    # the next question is answered as usual
    final = list(app.chat("Which company built the VAETKI model?", [], [], 5, "default"))[-1]
    assert "NC AI built the VAETKI model" in final[1][-1]["content"]


def test_a_question_over_the_limit_is_refused_with_its_length(app):
    final = list(app.chat("word " * 600, [], [], 5, "default"))[-1]
    message = final[1][-1]["content"]
    assert "2,999 characters long" in message and "limit is 2,000" in message  # said, not cut silently



def test_the_stop_button_says_so_at_once(app):
    chat = [{"role": "user", "content": "q"}, {"role": "assistant", "content": ui.render_progress("Reading")}]
    chat, stop = app.stop_chat(chat)
    assert chat[-1]["content"] == ui.STOPPED_HTML and stop["visible"] is False
    # a finished answer is left as it is
    done = [{"role": "assistant", "content": "1,012 [1]."}]
    assert app.stop_chat(done)[0] == done


def test_documents_panel_redraws_only_when_the_index_changed(app, tmp_path):
    table, _, only, seen, status = app.refresh_documents(None, None)
    assert sorted(_listed(table)) == sorted(d["name"] for d in app.assistant.documents())
    assert status.startswith("3 documents indexed.")
    assert app.refresh_documents(seen, None)[3] is seen  # unchanged: nothing redrawn
    app.upload([_file(tmp_path, "pier.md", b"# Pier notes\n\nThe pier is 40 m long.")], progress=lambda *a, **k: None)
    table, removable, only, seen2, status = app.refresh_documents(seen, ["robots.txt", "gone.txt"])
    assert seen2 != seen and _listed(table)[0] == "pier.md"
    assert "Pier notes<span class='qa-file'>pier.md</span>" in table
    assert status.startswith("4 documents indexed.")  # the status follows an upload
    assert removable["choices"] == [("Pier notes (pier.md)", "pier.md")]
    assert only["value"] == ["robots.txt"]  # a chosen document that is gone leaves the selection
    assert ("Pier notes (pier.md)", "pier.md") in only["choices"]


def test_the_viewer_shows_the_whole_document_with_the_passage_marked(app):
    text = app.assistant.document("robots.txt")["text"]
    start = text.index("Korea has 1,012")
    shown = app.view_document(json.dumps({"doc": "robots.txt", "start": start, "end": start + 20}))
    assert "<mark>Korea has 1,012 indu</mark>" in shown and "Robots in Korea" in shown
    assert "qa-refusal" in app.view_document(json.dumps({"doc": "nothing.txt"}))
    assert "qa-refusal" in app.view_document("not json")
