"""File formats: turn a file's bytes or decoded text into parts of plain text, each with where it lies
(the PDF page, the DOCX heading above it), and the title the format itself gives, if any.

PDF through pypdf (pure Python, text layer and metadata, RC4/AES decryption), DOCX through python-docx
(paragraph styles tell headings). Both are read from memory: nothing is written to disk.

Example:
    >>> loaded = load_markdown("# Harbour report\\n\\nThe pier is 40 m long.")
    >>> loaded.title, [p.text for p in loaded.parts]
    ('Harbour report', ['# Harbour report\\n\\nThe pier is 40 m long.'])
"""
from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from qa.errors import DocumentError


@dataclass(frozen=True)
class Part:
    """A stretch of a document's text and where it lies: its PDF page (1-based) or the heading above it."""

    text: str
    page: int | None = None
    section: str | None = None


@dataclass(frozen=True)
class Loaded:
    """What a format loader read: the text in parts, in order, and the title the file itself states."""

    parts: list[Part]
    title: str | None = None


def _clean_title(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


# --- text formats ---------------------------------------------------------------------------------

def load_plain(text: str) -> Loaded:
    """Plain text: one part, no title of its own.

    >>> load_plain("Hello").parts
    [Part(text='Hello', page=None, section=None)]
    """
    return Loaded([Part(text)])


def load_markdown(text: str) -> Loaded:
    """Markdown: the text as it is; the first `#` heading is the title."""
    m = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.M)
    return Loaded([Part(text)], _clean_title(m.group(1)) if m else None)


class _HTMLText(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.h1: list[str] = []
        self._skip = 0
        self._in: str | None = None
        self._h1_done = False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag in ("title", "h1"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == self._in:
            self._in = None
            if tag == "h1":
                self._h1_done = True

    def handle_data(self, data):
        if self._skip:
            return
        self.parts.append(data)
        if self._in == "title":
            self.title.append(data)
        elif self._in == "h1" and not self._h1_done:
            self.h1.append(data)


def load_html(text: str) -> Loaded:
    """HTML: the text of the page (scripts and styles dropped); `<title>`, else the first `<h1>`, is the title.

    >>> load_html("<title>Tide tables</title><p>High water at 6:10.</p>").title
    'Tide tables'
    """
    parser = _HTMLText()
    parser.feed(text)
    title = _clean_title(html.unescape("".join(parser.title))) or _clean_title(html.unescape("".join(parser.h1)))
    return Loaded([Part(html.unescape("".join(parser.parts)))], title)


# --- binary formats -------------------------------------------------------------------------------

def load_pdf(raw: bytes, name: str = "document.pdf") -> Loaded:
    """A PDF's text layer, one part per page (numbered from 1); the metadata title is the title.

    Refused with a `DocumentError`: an encrypted PDF that needs a password, a damaged one, and one with
    no text layer at all (a scan: it needs OCR first, which this project does not do).

    >>> from pathlib import Path
    >>> loaded = load_pdf((Path(__file__).parents[2] / "tests/data/docs/marren_survey.pdf").read_bytes())
    >>> loaded.title, [p.page for p in loaded.parts]
    ('The Marren Valley Survey', [1, 2])
    """
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # an owner password only: readable by anyone
            except (DependencyError, NotImplementedError):
                opened = 0
            if not opened:
                raise DocumentError(f"{name}: the PDF is encrypted (password-protected); save an unprotected copy "
                                    f"and add that")
        parts = [Part(page.extract_text() or "", page=n) for n, page in enumerate(reader.pages, start=1)]
        title = _clean_title(reader.metadata.title if reader.metadata else None)
    except DocumentError:
        raise
    except Exception as e:  # pypdf meets damaged files with many kinds of error: each is one refusal here
        raise DocumentError(f"{name}: not a readable PDF ({type(e).__name__}: {e})".splitlines()[0][:300]) from None
    if not any(p.text.strip() for p in parts):
        raise DocumentError(f"{name}: the PDF has no text layer ({len(parts)} page{'s' if len(parts) != 1 else ''} "
                            f"of images: a scan?); run OCR on it first (for example ocrmypdf) and add the result")
    return Loaded(parts, title)


def load_docx(raw: bytes, name: str = "document.docx") -> Loaded:
    """A Word document's paragraphs and tables in order, each part under the heading above it; the core
    properties' title, else the first heading, is the title. A table row becomes one line, cells joined
    by `|`, as the table reader expects.

    >>> from pathlib import Path
    >>> loaded = load_docx((Path(__file__).parents[2] / "tests/data/docs/tollen_harbour.docx").read_bytes())
    >>> loaded.title, loaded.parts[-2].section
    ('Tollen Harbour Guide', 'Fees')
    """
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as e:  # not a zip, no document part, bad XML...: each is one refusal here
        raise DocumentError(f"{name}: not a readable Word (.docx) document ({type(e).__name__}: {e})"
                            .splitlines()[0][:300]) from None
    parts: list[Part] = []
    heading: str | None = None
    first_heading: str | None = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = [" | ".join(" ".join(c.text.split()) for c in row.cells) for row in block.rows]
            parts.append(Part("\n".join(rows), section=heading))
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        if style == "Title" or style.startswith("Heading"):
            heading = " ".join(text.split())
            first_heading = first_heading or heading
        parts.append(Part(text, section=heading))
    title = _clean_title(document.core_properties.title) or first_heading
    return Loaded(parts, title)
