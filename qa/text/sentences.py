"""Sentence boundaries: one rule for the chunker, the evidence and the model's replies.

Part of what decides an index's contents: `qa/index/sync.py` hashes every module of `qa/text/` and `qa/ingest/`,
so a change here makes older indexes stale.
"""
from __future__ import annotations

import re

from qa.text.language import ABBREVIATIONS, HANGUL_SYLLABLES

# A sentence ends at a line break, or at . ! ? (and closing quotes) followed by space and a capital,
# digit, quote or bullet. Abbreviations and initials ("Dr.", "U.S.", "e.g.") do not end sentences.
_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[•\-A-Z0-9" + HANGUL_SYLLABLES + "])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, white space excluded.

    >>> t = "Chile ranks 18th. Dr. Kim agreed.\\nNext line"
    >>> [t[s:e] for s, e in sentence_spans(t)]
    ['Chile ranks 18th.', 'Dr. Kim agreed.', 'Next line']
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start, line_end = line.start(), line.end()
        for m in _END.finditer(text, start, line_end):
            word = re.search(r"([\w.]+)[.!?]?$", text[start:m.start() + 1])
            token = (word.group(1) if word else "").lower().rstrip(".")
            if token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()) or re.fullmatch(r"(\w\.)+\w", token):
                continue
            spans.append((start, m.end()))
            start = m.end()
            while start < line_end and text[start].isspace():
                start += 1
        if start < line_end:
            spans.append((start, line_end))
    return [(s, e) for s, e in spans if text[s:e].strip()]
