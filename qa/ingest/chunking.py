"""Sentence-aware chunks sized in the embedder's own word pieces, with overlap.

A chunk's `text` is exactly `document.text[start:end]`; what is embedded adds the document title.

Example:
    >>> from qa.ingest.documents import document_from_text
    >>> from qa.models.embedding import HashingEmbedder
    >>> doc = document_from_text("a.txt", "Title\\nOne sentence here. Another one there.")
    >>> [c.text for c in chunk_document(doc, HashingEmbedder(), max_tokens=50)]
    ['Title\\nOne sentence here. Another one there.']
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from qa.ingest.documents import Document
from qa.models.embedding import Embedder
from qa.text.sentences import sentence_spans


@dataclass(frozen=True)
class Chunk:
    """A span of a document's normalized text."""

    id: str
    source: str
    start: int
    end: int
    text: str


def chunk_id(source: str, start: int, end: int, text: str) -> str:
    """Stable id: the same document, offsets and text always give the same id."""
    return hashlib.sha256(f"{source}\x00{start}\x00{end}\x00{text}".encode("utf-8")).hexdigest()[:16]


def _split_long(text: str, start: int, end: int, embedder: Embedder, limit: int) -> list[tuple[int, int, int]]:
    """Cut a sentence longer than the limit at word boundaries into pieces that fit.

    Word pieces add up across white space, so the words' own counts tell where to cut.
    """
    words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
    counts = embedder.count_tokens([text[s:e] for s, e in words])
    pieces: list[tuple[int, int, int]] = []
    first, total = 0, 0
    for i, n in enumerate(counts):
        if total and total + n > limit:
            pieces.append((words[first][0], words[i - 1][1], total))
            first, total = i, 0
        total += n
    pieces.append((words[first][0], words[-1][1], total))
    # A single "word" longer than the limit (a URL, a hash) is cut by characters.
    out: list[tuple[int, int, int]] = []
    for s, e, n in pieces:
        if n <= limit:
            out.append((s, e, n))
            continue
        step = max(1, (e - s) * limit // (n + 1))
        for cs in range(s, e, step):
            ce = min(e, cs + step)
            out.append((cs, ce, embedder.count_tokens([text[cs:ce]])[0]))
    return out


def _limit(doc: Document, embedder: Embedder, max_tokens: int) -> tuple[int, int]:
    """(the title's word pieces plus a separator, the chunk limit that leaves room for the title)."""
    title_tokens = embedder.count_tokens([doc.context_title])[0] + 1
    return title_tokens, max(16, min(max_tokens, embedder.max_tokens - title_tokens))


def text_units(doc: Document, embedder: Embedder, limit: int) -> list[tuple[int, int, int]]:
    """(start, end, word pieces) of each sentence, long sentences cut into pieces within `limit`."""
    spans = sentence_spans(doc.text)
    counts = embedder.count_tokens([doc.text[s:e] for s, e in spans])
    units: list[tuple[int, int, int]] = []
    for (s, e), n in zip(spans, counts):
        if n <= limit:
            units.append((s, e, n))
        else:
            units.extend(_split_long(doc.text, s, e, embedder, limit))
    return units


def chunk_document(doc: Document, embedder: Embedder, max_tokens: int = 200, overlap_tokens: int = 60) -> list[Chunk]:
    """Pack whole sentences into chunks of at most `max_tokens` word pieces (fewer when the title
    must fit too), consecutive chunks sharing about `overlap_tokens` of sentences.
    """
    _, limit = _limit(doc, embedder, max_tokens)
    units = text_units(doc, embedder, limit)
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and total + units[j][2] <= limit:
            total += units[j][2]
            j += 1
        start, end = units[i][0], units[j - 1][1]
        text = doc.text[start:end]
        chunks.append(Chunk(chunk_id(doc.id, start, end, text), doc.id, start, end, text))
        if j >= len(units):
            break
        # Step back over whole units worth at most `overlap_tokens`, always moving forward, and
        # leaving room for the next unit so that every chunk ends further than the one before.
        back, k = 0, j
        room = min(overlap_tokens, limit - units[j][2])
        while k - 1 > i and back + units[k - 1][2] <= room:
            k -= 1
            back += units[k][2]
        i = k
    return chunks


@dataclass(frozen=True)
class Window:
    """What is embedded for one sentence, the chunks (local indices, inclusive) that contain it, and
    the sentence's offsets in the document."""

    text: str
    first_chunk: int
    last_chunk: int
    start: int
    end: int


def sentence_windows(doc: Document, chunks: list[Chunk], embedder: Embedder, max_tokens: int = 200) -> list[Window]:
    """One window per sentence: the document title, the previous sentence for context, the sentence.

    A chunk's dense score is the best of its sentences' windows: one focused vector per sentence
    matches a question better than one vector for a whole chunk (measured in the README). The previous
    sentence is left out when the window would exceed what the embedder reads.
    """
    title_tokens, limit = _limit(doc, embedder, max_tokens)
    units = text_units(doc, embedder, limit)
    windows: list[Window] = []
    first = 0
    for i, (s, e, n) in enumerate(units):
        while first < len(chunks) and chunks[first].end < e:
            first += 1
        last = first
        while last + 1 < len(chunks) and chunks[last + 1].start <= s:
            last += 1
        if first >= len(chunks):
            break
        sentence = doc.text[s:e]
        previous = doc.text[units[i - 1][0]:units[i - 1][1]] if i else ""
        if previous and title_tokens + units[i - 1][2] + 1 + n <= embedder.max_tokens:
            sentence = f"{previous} {sentence}"
        text = sentence if s == 0 else f"{doc.context_title}\n{sentence}"
        windows.append(Window(text, first, last, s, e))
    return windows


def embedding_input(chunk: Chunk, title: str) -> str:
    """The chunk text with its document title for context (unless the chunk begins with it): what the
    lexical index sees."""
    if chunk.start == 0 or chunk.text.startswith(title):
        return chunk.text
    return f"{title}\n{chunk.text}"
