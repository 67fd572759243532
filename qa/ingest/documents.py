"""Load documents: read bytes, detect the encoding, normalize, repair mojibake.

Example:
    >>> doc = document_from_text("notes.txt", "Title\\n\\nSome  text.")
    >>> doc.text, doc.title
    ('Title\\n\\nSome text.', 'Title')
"""
from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from qa.errors import DocumentError
from qa.ingest.formats import load_docx, load_html, load_markdown, load_pdf, load_plain
from qa.text.sentences import sentence_spans
from qa.text.tables import table_cells

MAX_TITLE_CHARS = 120
MAX_LINE_TITLE = 100  # a longer first line is a paragraph, not a title
_LIST_ITEM = re.compile(r"^([-*•·–]|\d+[.)])\s")


@dataclass(frozen=True)
class Mark:
    """Where a page (PDF) or a section under a heading (DOCX) starts in a document's normalized text."""

    start: int
    page: int | None = None
    section: str | None = None


@dataclass(frozen=True)
class Document:
    """A loaded document: a stable `id`, its normalized `text`, the sha256 of its raw bytes, its `title`
    (shown to people) and the `marks` of its pages or headings (for citations)."""

    id: str
    text: str
    sha256: str
    path: Path | None = None
    title: str = ""
    marks: tuple[Mark, ...] = ()

    @property
    def context_title(self) -> str:
        """The short first line, else the file name: the context added to what is embedded (kept as it
        was when display titles came, so that indexes and retrieval figures stay as measured)."""
        return title_of(self.id, self.text)


def title_of(doc_id: str, text: str) -> str:
    """The embedding's context title: a document's first line when that is short, else its file name."""
    first = text.split("\n", 1)[0].strip()
    return first if 0 < len(first) <= MAX_TITLE_CHARS else Path(doc_id).name


def title_from_text(doc_id: str, text: str) -> str:
    """A title for a document whose format states none: its first line when that line is short (at most
    `MAX_LINE_TITLE` characters, not a table row nor a list item); when the document opens with a
    paragraph instead (an article with no headline line), its opening sentence, cut after its first
    clause to fit; else its first short line further down; else its file name.

    A section heading further down names one part of the document, so the opening sentence, which says
    what the whole is about, comes before it.

    >>> title_from_text("a.txt", "Harbour works\\nThe harbour opened in 1931.")
    'Harbour works'
    >>> title_from_text("a.txt", "The harbour of Tollen is the oldest working port of the coast, rebuilt twice "
    ...                 "since 1931, and its trade doubled in ten years. It has three docks.\\n- Docks\\nDocks")
    'The harbour of Tollen is the oldest working port of the coast'
    >>> title_from_text("a.txt", "x" * 300 + "\\n- a bullet\\nHarbour works\\nMore.")
    'Harbour works'
    >>> title_from_text("dir/b.txt", "x" * 300)
    'b.txt'
    """
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if lines and len(lines[0]) > MAX_LINE_TITLE:
        lead = _opening_clause(lines[0])
        if lead:
            return lead
    for line in lines:
        if len(line) <= MAX_LINE_TITLE and table_cells(line) is None and not _LIST_ITEM.match(line):
            return line.lstrip("#").strip() or line
    return Path(doc_id).name


def _opening_clause(paragraph: str) -> str | None:
    """The paragraph's first sentence when it fits a title, else that sentence up to the last clause break
    (a comma, semicolon or dash); None when the paragraph is not prose (no sentence, no break)."""
    spans = sentence_spans(paragraph)
    if not spans:
        return None
    first = paragraph[spans[0][0]:spans[0][1]].strip()
    if len(first.split()) < 4:
        return None
    if len(first) <= MAX_LINE_TITLE:
        return first.rstrip(".")
    breaks = [m.start() for m in re.finditer(r",\s|;\s|\s[–—-]\s", first) if 20 <= m.start() <= MAX_LINE_TITLE]
    return first[:breaks[0]].strip() if breaks else None


# --- encodings ---------------------------------------------------------------------------------

def looks_binary(raw: bytes) -> bool:
    """True for bytes that are not text: NUL bytes, or many control characters in the first 8 KB."""
    head = raw[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > max(2, len(head) // 100)


def bomless_utf16(raw: bytes) -> str | None:
    r"""UTF-16 text saved without its byte-order mark (its NUL bytes make it look binary), or None.

    Accepted only when one byte order gives text with no control, private-use or unassigned characters
    and with spaces between words: random or binary bytes do not.

    >>> bomless_utf16("정부는 2030년까지 GPU를 확보한다.".encode("utf-16-le"))
    '정부는 2030년까지 GPU를 확보한다.'
    >>> bomless_utf16(b"\x00\x01" * 100) is None
    True
    """
    if len(raw) % 2 or b"\x00" not in raw[:8192]:
        return None
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:4096]
        odd = sum(1 for ch in sample if (ch < " " and ch not in "\t\n\r\f")
                  or unicodedata.category(ch) in ("Cn", "Co", "Cs"))
        spaces = sum(1 for ch in sample if ch.isspace())
        if not odd and spaces >= max(1, len(sample) // 50):
            return text
    return None


def decode_bytes(raw: bytes, name: str = "document") -> str:
    """Decode text bytes: UTF-8 (with or without BOM) first, else the encoding charset-normalizer detects.

    >>> decode_bytes("한국어 문서입니다. 인코딩을 감지합니다.".encode("cp949"))
    '한국어 문서입니다. 인코딩을 감지합니다.'
    """
    if not raw.strip():
        raise DocumentError(f"{name}: empty file")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DocumentError(f"{name}: invalid UTF-16 text") from None
    if looks_binary(raw):
        text = bomless_utf16(raw)
        if text is not None:
            return text
        raise DocumentError(f"{name}: binary content, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise DocumentError(f"{name}: unreadable text (no encoding fits)")
    return str(best)


# --- mojibake ------------------------------------------------------------------------------------
# Some scraped text had its UTF-8 bytes decoded as Thai (TIS-620 / cp874), which has no characters
# for the bytes 0x80-0x9F, so those bytes were lost: "•" (E2 80 A2) became "โข", "₩" (E2 82 A9)
# became "โฉ", and emoji (F0 9F ..) became "๐" plus a letter. Such a run of Thai characters sits
# inside Latin text; real Thai words do not parse as UTF-8 lead and continuation bytes.

_THAI_GROUP = re.compile(r"[\u0e00-\u0e7f]+(?: [\u0e00-\u0e7f]+)*")
# Characters common enough in prose that a unique candidate among them is a safe recovery.
# Rarer look-alikes (™, ″, ‡ ...) are left out on purpose: they collide with bullets and emoji.
_RECOVERABLE = set("•·–—‘’“”…€£¥₩₹₽¢°±×÷→←©®")
_DROPPED = "\x00"


def _thai_to_byte(ch: str) -> int | None:
    if ch == " ":  # the byte A0 decodes as a no-break space, later folded to a space
        return 0xA0
    code = ord(ch) - 0x0E00 + 0xA0
    return code if 0xA1 <= code <= 0xFB else None


def _utf8_length(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _split_sequences(data: bytes) -> list[bytes] | None:
    """Split into lead-byte-started sequences, each no longer than its lead allows; None if impossible.

    A two-byte lead with no continuation is refused: Thai consonants map to such leads, and real
    Thai words are strings of them, while lost bytes leave a two-byte character its second byte
    only in rare cases (C1 controls, a few capitals).
    """
    sequences: list[bytes] = []
    i = 0
    while i < len(data):
        size = _utf8_length(data[i])
        if size == 0:
            return None
        j = i + 1
        while j < len(data) and j - i < size and 0x80 <= data[j] <= 0xBF:
            j += 1
        if size == 2 and j == i + 1:
            return None
        sequences.append(data[i:j])
        i = j
    return sequences


def _recover_sequence(seq: bytes) -> str | None:
    """The one common character that `seq`, with its lost 0x80-0x9F bytes put back, can be."""
    size = _utf8_length(seq[0])
    missing = size - len(seq)
    if missing == 0:
        try:
            ch = seq.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return ch if ch in _RECOVERABLE else None
    if missing > 1:
        return None  # too many lost bytes to tell
    found = set()
    for pos in range(1, size):
        for lost in range(0x80, 0xA0):
            candidate = seq[:pos] + bytes([lost]) + seq[pos:]
            try:
                ch = candidate.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if ch in _RECOVERABLE:
                found.add(ch)
    return found.pop() if len(found) == 1 else None


def _repair_group(match: re.Match) -> str:
    group = match.group()
    data = [_thai_to_byte(ch) for ch in group]
    if None in data:
        return group
    sequences = _split_sequences(bytes(data))
    if sequences is None:
        return group  # real Thai text
    recovered = [_recover_sequence(seq) for seq in sequences]
    return "".join(ch for ch in recovered if ch) or _DROPPED


def repair_mojibake(text: str) -> str:
    """Repair UTF-8 symbols that were decoded as Thai with lost bytes; leave real Thai text alone.

    >>> repair_mojibake("- โขThe city invests โฉ1.4 trillion")
    '- •The city invests ₩1.4 trillion'
    >>> repair_mojibake("๐กUnderstand this")
    'Understand this'
    """
    if not re.search(r"[\u0e00-\u0e7f]", text):
        return text
    text = _THAI_GROUP.sub(_repair_group, text)
    if _DROPPED not in text:
        return text

    def close_gap(m: re.Match) -> str:
        return " " if m.group(1) or m.group(2) else ""

    text = re.sub(r"([ \t]*)\x00+([ \t]*)", close_gap, text)
    return "\n".join(line.strip(" \t") for line in text.split("\n"))


# --- normalization ------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_text(text: str) -> str:
    """NFC, mojibake repaired, control characters removed, spaces collapsed, paragraph breaks kept.

    >>> normalize_text("a\\u00a0 b\\r\\n\\n\\n\\nc ")
    'a b\\n\\nc'
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = re.sub(r"[^\S\n]+", " ", text)  # every horizontal white space, NBSP included
    text = repair_mojibake(text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# --- formats --------------------------------------------------------------------------------------

# suffix -> (reads bytes?, loader). Text loaders get the decoded text; binary ones the raw bytes.
LOADERS: dict[str, tuple[bool, Callable]] = {
    ".txt": (False, load_plain),
    ".text": (False, load_plain),
    ".md": (False, load_markdown),
    ".markdown": (False, load_markdown),
    ".html": (False, load_html),
    ".htm": (False, load_html),
    ".pdf": (True, load_pdf),
    ".docx": (True, load_docx),
}


def is_supported(path: Path) -> bool:
    """True when a loader exists for the file's suffix."""
    return path.suffix.lower() in LOADERS


def document_from_bytes(doc_id: str, raw: bytes, suffix: str = ".txt", path: Path | None = None) -> Document:
    """Build a `Document` from raw bytes: decode (text formats), read the format, normalize each part,
    and keep where each part starts (its page or heading) in the normalized text."""
    entry = LOADERS.get(suffix.lower())
    if entry is None:
        raise DocumentError(f"{doc_id}: unsupported type {suffix or '(none)'} (supported: {', '.join(sorted(LOADERS))})")
    binary, loader = entry
    loaded = loader(raw, doc_id) if binary else loader(decode_bytes(raw, doc_id))
    pieces: list[str] = []
    marks: list[Mark] = []
    offset = 0
    for part in loaded.parts:
        text = normalize_text(part.text)
        if not text:
            continue
        if pieces:
            offset += 2  # the paragraph break that joins parts
        if part.page is not None or part.section is not None:
            if not marks or (marks[-1].page, marks[-1].section) != (part.page, part.section):
                marks.append(Mark(offset, part.page, part.section))
        pieces.append(text)
        offset += len(text)
    text = "\n\n".join(pieces)
    if not text:
        raise DocumentError(f"{doc_id}: no text after normalization")
    title = loaded.title if loaded.title and len(loaded.title) <= MAX_TITLE_CHARS else None
    return Document(id=doc_id, text=text, sha256=hashlib.sha256(raw).hexdigest(), path=path,
                    title=title or title_from_text(doc_id, text), marks=tuple(marks))


def document_from_text(doc_id: str, text: str) -> Document:
    """Build a `Document` from a string (tests, pasted text)."""
    return document_from_bytes(doc_id, text.encode("utf-8"), Path(doc_id).suffix or ".txt")


def load_document(path: Path, doc_id: str | None = None, max_bytes: int = 20 * 1024 * 1024) -> Document:
    """Read one file. Raises `DocumentError` when it cannot be indexed.

    >>> load_document(Path("seeds/000_708bc06f684926ae.txt")).id   # doctest: +SKIP
    '000_708bc06f684926ae.txt'
    """
    path = Path(path)
    doc_id = doc_id or path.name
    if not is_supported(path):
        raise DocumentError(f"{doc_id}: unsupported type {path.suffix or '(none)'} "
                            f"(supported: {', '.join(sorted(LOADERS))})")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(f"{doc_id}: {size:,} bytes is over the {max_bytes:,}-byte limit")
        raw = path.read_bytes()
    except OSError as e:
        raise DocumentError(f"{doc_id}: cannot read ({e.strerror or e})") from None
    return document_from_bytes(doc_id, raw, path.suffix, path)


# --- corpus discovery -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceFile:
    """A file to index and the id its document gets."""

    path: Path
    doc_id: str


def discover(roots: Iterable[Path]) -> tuple[list[SourceFile], list[tuple[Path, str]]]:
    """Files under `roots` (folders searched recursively, hidden entries skipped) and the ones skipped.

    A file's id is its path relative to the folder it was found in (for a named file, its name).
    A name already taken by an earlier root gets a `~2`, `~3`... suffix so ids stay unique.
    """
    found: list[SourceFile] = []
    skipped: list[tuple[Path, str]] = []
    taken: set[str] = set()
    for root in roots:
        root = Path(root)
        if root.is_dir():
            files = sorted(p for p in root.rglob("*") if p.is_file()
                           and not any(part.startswith(".") for part in p.relative_to(root).parts))
            pairs = [(p, p.relative_to(root).as_posix()) for p in files]
        elif root.exists():
            pairs = [(root, root.name)]
        else:
            continue
        for path, doc_id in pairs:
            if not is_supported(path):
                skipped.append((path, f"unsupported type {path.suffix or '(none)'}"))
                continue
            unique = doc_id
            for n in itertools.count(2):
                if unique not in taken:
                    break
                stem, dot, ext = doc_id.rpartition(".")
                unique = f"{stem}~{n}.{ext}" if dot else f"{doc_id}~{n}"
            taken.add(unique)
            found.append(SourceFile(path=path, doc_id=unique))
    return found, skipped
