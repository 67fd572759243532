"""End to end: the chat page in a real headless Chromium (Debian's chromium, driven by Playwright).

Starts ui.py on a free loopback port over temporary copies of the seeds (nothing reaches the real
uploads folder), asks, uploads, and checks what a person would see. Screenshots go to
$QA_SCREENSHOT_DIR (default: the test's temporary folder)."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ui")
    shutil.copytree(SEEDS, folder / "seeds")
    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "QA_SEEDS_DIR": str(folder / "seeds"),
           "QA_DATA_DIR": str(folder / "data"), "QA_INDEX_DIR": str(folder / "index")}
    log = open(folder / "ui.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "ui.py")], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((folder / "ui.log").read_text())
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("the page did not come up: " + (folder / "ui.log").read_text())
    yield url, folder
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def playwright():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def _open_page(playwright, tmp_path_factory, profile_name: str, url: str,
               viewport: dict | None = None, **options):
    """A new browser (its own empty profile folder, passed as --user-data-dir) on `url`, once the page is up."""
    profile = tmp_path_factory.mktemp(profile_name)
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=ARGS, headless=True,
        viewport=viewport or {"width": 1400, "height": 1000}, **options)
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    page.wait_for_selector("#qa-question textarea", timeout=60_000)
    return context, page


@pytest.fixture(scope="module")
def page(server, playwright, tmp_path_factory):
    context, page = _open_page(playwright, tmp_path_factory, "chromium-profile", server[0])
    yield page
    context.close()


def _shots(server) -> Path:
    folder = Path(os.environ.get("QA_SCREENSHOT_DIR") or server[1] / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _last_bot_text(page) -> str:
    return page.evaluate("""() => {
        const bots = document.querySelectorAll('#qa-chat .message.bot, #qa-chat [data-testid="bot"]');
        return bots.length ? bots[bots.length - 1].innerText : '';
    }""")


def _ask(page, question: str, done: str, timeout: float = 120) -> list[str]:
    """Ask and return every distinct text the last bot message showed, until it holds `done`."""
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    seen: list[str] = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = _last_bot_text(page)
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        if done in text and "▌" not in text:
            return seen
        time.sleep(0.03)
    raise AssertionError(f"no answer holding {done!r}; saw {seen[-3:]}")


# A seed question the default reading mode answers ("What is Korea's robot density?" is one it refuses:
# tests/test_integration_answer.py keeps that visible); these tests are about the page, not the reader.
ROBOTS = "How many robots per 10,000 workers does Korea have?"
DEFAULT_READING = "span reader, generator when unsure"


def _reading(page, label: str) -> None:
    """Choose how answers are read (Settings → Reading): the tests of waiting and stopping need an answer
    that takes a while, which the generator's path gives and the span reader's 0.3 s does not."""
    if not page.is_visible("#qa-reading"):
        page.locator("#qa-settings").get_by_text("Settings").first.click()
        page.wait_for_selector("#qa-reading", state="visible", timeout=5_000)
    page.click(f"#qa-reading label:has-text('{label}')")


def _upload(page, path: Path, expect: str) -> str:
    page.set_input_files("#qa-upload input[type=file]", str(path))
    page.wait_for_function(
        "(expect) => document.querySelector('#qa-upload-status').innerText.includes(expect)", arg=expect,
        timeout=120_000)
    return page.inner_text("#qa-upload-status")


def test_a_seed_question_streams_then_shows_a_cited_answer(page, server):
    seen = _ask(page, ROBOTS, "1,012")
    # the step it is at, in plain words, while it works; then only verified text (never the model's draft)
    assert any(word in s for s in seen[:-1] for word in ("Searching", "Reading", "Checking")), seen
    first_answer = next(i for i, s in enumerate(seen) if "1,012" in s)
    assert all(s.endswith("…") for s in seen[:first_answer]), seen
    final = seen[-1]
    assert "1,012" in final and "[1]" in final
    mark = page.inner_text("#qa-sources mark")
    assert "1,012" in mark
    assert "000_708bc06f684926ae.txt" in page.inner_text("#qa-sources .qa-file")  # the file name, in small type
    title = page.inner_text("#qa-sources .qa-card .qa-doc-title")  # beside the document's title
    assert title.strip() and not title.strip().endswith(".txt")
    page.screenshot(path=str(_shots(server) / "chat.png"), full_page=True)


def test_a_korean_question_is_answered_in_korean_on_the_page(page, server):
    seen = _ask(page, "한국에 설치된 산업용 로봇은 몇 대야?", "30,600")
    assert any("English" in s for s in seen[:-1]), seen  # the translation step shows as progress
    assert "30,600대입니다" in seen[-1]  # the Korean frame, the count with the question's counter
    assert "30,600" in page.inner_text("#qa-sources mark")  # the English sentence is the cited passage


def test_an_uploaded_document_answers_the_next_question(page, server, tmp_path):
    doc = tmp_path / "zephyr notes.txt"
    doc.write_text("Zephyr Robotics\n\nZephyr Robotics opened a factory in Daejeon that builds 4,321 delivery drones "
                   "each year.\n")
    status = _upload(page, doc, "indexed")
    assert "Zephyr Robotics zephyr_notes.txt: indexed" in status  # its title, then its file name
    page.wait_for_selector("#qa-docs tr[data-doc='zephyr_notes.txt']", timeout=10_000)
    assert _row_in_view(page, "zephyr_notes.txt")  # the new document shows without scrolling, marked
    assert "qa-new" in (page.get_attribute("#qa-docs tr[data-doc='zephyr_notes.txt']", "class") or "")
    assert (server[1] / "data" / "uploads" / "zephyr_notes.txt").exists()
    seen = _ask(page, "How many delivery drones does Zephyr Robotics build each year?", "4,321")
    assert "4,321" in seen[-1]
    page.screenshot(path=str(_shots(server) / "upload.png"), full_page=True)


def test_a_binary_upload_is_refused_with_a_message(page, server, tmp_path):
    blob = tmp_path / "blob.txt"
    blob.write_bytes(b"\x00\x01\x02\x03" * 300)
    status = _upload(page, blob, "binary")
    assert "❌" in status
    assert not (server[1] / "data" / "uploads" / "blob.txt").exists()


def test_script_in_a_document_is_shown_as_text(page, server, tmp_path):
    doc = tmp_path / "quokka.md"
    doc.write_text("Quokka census\n\n<script>window.__xss = 1</script> The island hosts 12,345 quokkas this year.\n")
    _upload(page, doc, "indexed")
    _ask(page, "How many quokkas does the island host?", "12,345")
    assert page.evaluate("() => window.__xss") is None
    assert "<script>" in page.inner_text("#qa-sources") + _last_bot_text(page)


_OBSERVE = """() => {
    const bots = () => document.querySelectorAll('#qa-chat .message.bot, #qa-chat [data-testid="bot"]');
    const before = bots().length;
    window.__seen = [];
    const record = () => {
        const all = bots();
        if (all.length <= before) return;  // the new question's answer only
        const text = all[all.length - 1].innerText;
        if (window.__seen[window.__seen.length - 1] !== text) window.__seen.push(text);
    };
    if (window.__observer) window.__observer.disconnect();
    window.__observer = new MutationObserver(record);
    window.__observer.observe(document.querySelector('#qa-chat'), {subtree: true, childList: true, characterData: true});
}"""


def _is_progress(text: str) -> bool:
    """Our progress line ("Reading the 3 most relevant sentences…"), or Gradio's own placeholder of a
    message on its way ("Loading content"), or nothing yet."""
    text = text.strip()
    return not text or text.endswith("…") or text == "Loading content"


@pytest.mark.parametrize("question, done", [(ROBOTS, "1,012"),
                                            ("Who is the mayor of Busan?", "do not say")])
def test_only_progress_and_verified_text_is_ever_shown(page, server, question, done):
    page.evaluate(_OBSERVE)
    seen = _ask(page, question, done)
    recorded = [t.replace("▌", "").strip() for t in page.evaluate("() => window.__seen")]
    final = seen[-1]
    assert recorded and recorded[-1] == final.strip()
    for text in recorded:
        # a progress line, or text the final answer holds (a claim shown once it was verified)
        assert _is_progress(text) or text in final, (text, final)
    if done == "do not say":  # the refusal: nothing on screen ever stated a claim
        assert all(_is_progress(t) or t == final.strip() for t in recorded), recorded


def _textarea_disabled(page) -> bool:
    return page.evaluate("() => document.querySelector('#qa-question textarea').disabled")


def test_one_question_at_a_time_with_a_visible_note(page, server):
    _reading(page, "generator 1.5B")
    page.fill("#qa-question textarea", "Where was the first presentation of the national AI models held?")
    page.click("#qa-ask")
    page.wait_for_function("() => document.querySelector('#qa-question textarea').disabled", timeout=10_000)
    assert "Stop" in page.get_attribute("#qa-question textarea", "placeholder")  # the wait note
    assert page.is_visible("#qa-stop")
    page.wait_for_function("() => !document.querySelector('#qa-question textarea').disabled", timeout=120_000)
    assert "COEX" in _last_bot_text(page) and "▌" not in _last_bot_text(page)  # the answer is complete
    seen = _ask(page, ROBOTS, "1,012")  # and the next question is answered
    assert "1,012" in seen[-1]
    _reading(page, DEFAULT_READING)


def test_stop_ends_an_answer_within_a_second(page, server):
    _reading(page, "generator 1.5B")
    page.fill("#qa-question textarea", "How many high-performance GPUs is South Korea getting?")
    page.click("#qa-ask")
    page.wait_for_function("() => document.querySelector('#qa-question textarea').disabled", timeout=10_000)
    page.click("#qa-stop")
    page.wait_for_function("""() => {
        const bots = document.querySelectorAll('#qa-chat .message.bot, #qa-chat [data-testid="bot"]');
        return bots.length && bots[bots.length - 1].innerText.includes('Stopped');
    }""", timeout=1_000)  # within a second of the click
    # the box is free again once the model has really stopped (its next step), not before
    page.wait_for_function("() => !document.querySelector('#qa-question textarea').disabled", timeout=15_000)
    seen = _ask(page, ROBOTS, "1,012")
    assert "1,012" in seen[-1]
    _reading(page, DEFAULT_READING)


def _contrast(page, selector: str) -> float:
    """WCAG contrast of the text of `selector` against the first opaque background behind it."""
    return page.evaluate("""(selector) => {
        const el = document.querySelector(selector);
        const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
        const lum = ([r, g, b]) => {
            const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
        };
        const fg = rgb(getComputedStyle(el).color);
        let node = el, bg = null;
        while (node && node.nodeType === 1) {
            const c = rgb(getComputedStyle(node).backgroundColor);
            if (c.length >= 3 && (c.length === 3 || c[3] > 0.5)) { bg = c; break; }
            node = node.parentElement;
        }
        bg = bg || [255, 255, 255];
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        return (a + 0.05) / (b + 0.05);
    }""", selector)


def test_cards_are_readable_in_dark_and_light_and_on_a_phone(server, playwright, tmp_path_factory):
    shots = _shots(server)
    for scheme, viewport, name in (("dark", {"width": 1400, "height": 1000}, "chat-dark.png"),
                                   ("light", {"width": 390, "height": 844}, "chat-phone.png")):
        context, page = _open_page(playwright, tmp_path_factory, f"chromium-{scheme}", server[0] + f"?__theme={scheme}",
                                   viewport, color_scheme=scheme)
        _ask(page, ROBOTS, "1,012")
        page.wait_for_selector("#qa-sources .qa-card")
        assert _contrast(page, "#qa-sources .qa-card .qa-text") >= 4.5
        assert _contrast(page, "#qa-sources .qa-card mark") >= 4.5
        page.screenshot(path=str(shots / name), full_page=True)
        _ask(page, "Who is the mayor of Busan?", "do not say")
        assert _contrast(page, "#qa-chat .qa-refusal") >= 4.5
        context.close()


# --- documents: PDF and Word, the live panel, the viewer, the filter (run last: they add and remove) ---

DOCS = ROOT / "tests" / "data" / "docs"


def _listed(page) -> list[str]:
    """The file names the documents table lists (each row's data-doc)."""
    return page.evaluate("() => Array.from(document.querySelectorAll('#qa-docs tr[data-doc]')).map(r => r.dataset.doc)")


def _documents_say(server) -> list[str]:
    """What `Assistant.documents()` says of the page's index, from this process."""
    from qa.api import Assistant
    from qa.settings import Settings

    folder = server[1]
    settings = Settings.from_env({"QA_SEEDS_DIR": str(folder / "seeds"), "QA_DATA_DIR": str(folder / "data"),
                                  "QA_INDEX_DIR": str(folder / "index")})
    return sorted(d["name"] for d in Assistant(settings=settings).documents())


def _wait_listed(page, expected: list[str], timeout: float = 15) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if sorted(_listed(page)) == expected:
            return
        time.sleep(0.25)
    raise AssertionError(f"the page lists {sorted(_listed(page))}, the index holds {expected}")


def _choose(page, selector: str, label: str) -> None:
    """Pick `label` in a Gradio dropdown."""
    page.click(f"{selector} input")
    page.keyboard.type(label)
    page.wait_for_selector(f"{selector} ul li", timeout=5_000)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def test_pdf_and_word_uploads_are_answered_citing_page_and_heading(page, server):
    assert "indexed" in _upload(page, DOCS / "marren_survey.pdf", "marren_survey.pdf: indexed")
    assert "indexed" in _upload(page, DOCS / "tollen_harbour.docx", "tollen_harbour.docx: indexed")
    assert "no text layer" in _upload(page, DOCS / "scanned.pdf", "no text layer")
    assert "encrypted" in _upload(page, DOCS / "locked.pdf", "encrypted")
    final = _ask(page, "How many species of birds did surveyors count around the Marren reservoir in 2023?", "214")[-1]
    assert "[1]" in final
    cards = page.inner_text("#qa-sources")
    assert "marren_survey.pdf" in cards and "page 2" in cards
    final = _ask(page, "How much does mooring cost a night at Tollen harbour for boats under 12 metres?", "42")[-1]
    assert "[1]" in final
    cards = page.inner_text("#qa-sources")
    assert "tollen_harbour.docx" in cards and "Fees" in cards


def test_the_viewer_opens_the_cited_passage(page, server):
    _ask(page, "How many species of birds did surveyors count around the Marren reservoir in 2023?", "214")
    page.click("#qa-sources a.qa-open")
    page.wait_for_selector("#qa-viewer mark", timeout=10_000)
    viewer = page.inner_text("#qa-viewer")
    assert "The Marren Valley Survey" in viewer and "page 2" in viewer  # title, page label
    assert "214 species" in page.inner_text("#qa-viewer mark")
    page.wait_for_function("""() => { const r = document.querySelector('#qa-viewer mark').getBoundingClientRect();
        const box = document.querySelector('#qa-viewer .qa-doc').getBoundingClientRect();
        return r.top >= box.top && r.bottom <= box.bottom; }""", timeout=5_000)  # scrolled into view
    page.screenshot(path=str(_shots(server) / "viewer.png"), full_page=True)
    # a row of the documents table opens that document too
    page.click("#qa-docs tr[data-doc='tollen_harbour.docx']")
    page.wait_for_function("() => document.querySelector('#qa-viewer').innerText.includes('Tollen Harbour Guide')",
                           timeout=10_000)
    assert "42 euros" in page.inner_text("#qa-viewer")


# Whether a row of the documents table is on screen whole: inside the table's scroll box and the window.
_ROW_IN_VIEW = """(name) => {
    const row = document.querySelector(`#qa-docs tr[data-doc="${name}"]`);
    if (!row) return false;
    const r = row.getBoundingClientRect(), box = document.querySelector('#qa-docs .qa-table').getBoundingClientRect();
    return r.height > 0 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.top >= 0 && r.bottom <= window.innerHeight;
}"""


def _row_in_view(page, name: str) -> bool:
    page.evaluate("() => window.scrollTo(0, 0)")
    return page.evaluate(_ROW_IN_VIEW, name)


# the status line's words, without Gradio's (hidden) loading timer beside them
STATUS_TEXT = "#qa-status [data-testid=markdown]"


def _indexed_count(page) -> int:
    text = page.inner_text(STATUS_TEXT)
    assert "`" not in text and "llama" not in text, text  # plain words, no internal names
    return int(text.split(" document")[0].replace(",", ""))


def test_the_documents_panel_reads_at_a_glance(page, server, tmp_path):
    """Ten documents and more: titles, whole cells, eight rows in view, the status counting them."""
    # enough documents for ten rows whatever ran before; the two named ones last, so newest
    named = [("orchard.txt", "Orchard Ledger"), ("lighthouse.md", "Lighthouse Keeping Through the Long Winters")]
    fillers = [(f"ledger_{i}.txt", f"Ledger Volume {i}") for i in range(max(0, 10 - len(named) - len(_listed(page))))]
    for name, title in fillers:
        doc = tmp_path / name
        doc.write_text(f"{title}\n\nThis volume lists the harbour crossings of {name}.\n")
        _upload(page, doc, f"{name}: indexed")
    before = len(_listed(page))  # the table follows an upload at once; the status line a moment later
    for name, title in named:
        doc = tmp_path / name
        doc.write_text(f"{title}\n\nThe {name.split('.')[0]} notes say the season ran for 97 days.\n")
        assert f"{title} {name}: indexed" in _upload(page, doc, f"{name}: indexed")
        assert _row_in_view(page, name)
    page.wait_for_function("([sel, n]) => document.querySelector(sel).innerText.startsWith(`${n} documents`)",
                           arg=[STATUS_TEXT, before + 2], timeout=15_000)  # the status follows the uploads
    rows = _listed(page)
    assert len(rows) >= 10 and _indexed_count(page) == len(rows)
    page.evaluate("() => window.scrollTo(0, 0)")
    assert sum(page.evaluate(_ROW_IN_VIEW, name) for name in rows) >= 8
    layout = page.evaluate("""() => {
        const table = document.querySelector('#qa-docs .qa-table');
        const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el);
                                return new Set(Array.from(r.getClientRects()).map(b => Math.round(b.top))).size; };
        const cells = Array.from(document.querySelectorAll('#qa-docs th, #qa-docs td.qa-num, #qa-docs td.qa-date'));
        return {sideways: table.scrollWidth > table.clientWidth + 1 || document.documentElement.scrollWidth > window.innerWidth,
                wrapped: cells.filter(c => lines(c) > 1).map(c => c.innerText),
                cut: cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.innerText),
                dates: Array.from(document.querySelectorAll('#qa-docs td.qa-date')).map(c => c.innerText.trim()),
                font: getComputedStyle(document.querySelector('#qa-docs td')).fontFamily};
    }""")
    assert not layout["sideways"] and layout["wrapped"] == [] and layout["cut"] == [], layout
    assert all(len(d) == 10 and d[4] == "-" and d[7] == "-" for d in layout["dates"]), layout["dates"]
    assert "mono" not in layout["font"].lower(), layout["font"]
    titles = page.evaluate("() => Array.from(document.querySelectorAll('#qa-docs td.qa-title')).map(c => c.innerText)")
    assert any(t.startswith("Lighthouse Keeping Through the Long Winters") for t in titles)
    # the chat's label never covers a message, however far the conversation has scrolled
    while page.locator("#qa-chat .message").count() < 4:  # a conversation long enough to scroll
        _ask(page, ROBOTS, "1,012")
    page.evaluate("() => { const log = document.querySelector('#qa-chat .bubble-wrap, #qa-chat [role=log]');"
                  " if (log) log.scrollTop = log.scrollHeight / 2; }")
    overlaps = page.evaluate("""() => {
        const labels = Array.from(document.querySelectorAll('#qa-chat-label, #qa-chat label, #qa-chat [data-testid="block-label"]'))
            .map(e => e.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
        const messages = Array.from(document.querySelectorAll('#qa-chat .message')).map(e => e.getBoundingClientRect())
            .filter(r => r.width > 0 && r.height > 0);
        const view = document.querySelector('#qa-chat').getBoundingClientRect();
        const shown = messages.filter(m => m.bottom > view.top && m.top < view.bottom);
        const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        return {labels: labels.length, shown: shown.length,
                overlaps: labels.flatMap(l => shown.filter(m => hit(l, {left: m.left, right: m.right,
                    top: Math.max(m.top, view.top), bottom: Math.min(m.bottom, view.bottom)})).map(() => 1)).length};
    }""")
    assert overlaps["labels"] >= 1 and overlaps["shown"] >= 1 and overlaps["overlaps"] == 0, overlaps
    page.screenshot(path=str(_shots(server) / "documents.png"), full_page=True)


def test_the_document_filter_restricts_the_answer(page, server):
    _choose(page, "#qa-only", "Tollen Harbour Guide")
    final = _ask(page, "How many species of birds did surveyors count around the Marren reservoir in 2023?",
                 "do not say")[-1]
    assert "214" not in final
    page.reload()
    page.wait_for_selector("#qa-question textarea", timeout=60_000)


def test_the_documents_list_is_what_the_index_holds_in_every_tab(page, server, playwright, tmp_path_factory):
    expected = _documents_say(server)
    assert "marren_survey.pdf" in expected and "tollen_harbour.docx" in expected
    _wait_listed(page, expected)
    page.reload()  # after a reload: the uploads are still listed
    page.wait_for_selector("#qa-question textarea", timeout=60_000)
    _wait_listed(page, expected)
    context, other = _open_page(playwright, tmp_path_factory, "chromium-second-tab", server[0])
    _choose(other, "#qa-removable", "marren_survey.pdf")
    other.click("#qa-remove")
    other.wait_for_function("() => document.querySelector('#qa-upload-status').innerText.includes('removed')",
                            timeout=60_000)
    context.close()
    expected = _documents_say(server)
    assert "marren_survey.pdf" not in expected
    _wait_listed(page, expected)  # the first tab follows within its refresh period
