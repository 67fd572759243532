"""What an index holds, as the stages above it see it: its documents' records, its stored sentences, and the
errors of an index that cannot be read as it is."""
from __future__ import annotations

import bisect
from dataclasses import dataclass


class CorruptIndex(Exception):
    """An index generation that cannot be loaded as it is (internal: the caller rebuilds it)."""


class OlderIndex(CorruptIndex):
    """An index written in an older format: sound, but rebuilt to hold what the current format keeps."""


@dataclass(frozen=True)
class DocumentRecord:
    """What the manifest keeps of each indexed document."""

    id: str
    path: str  # as found at indexing time, relative to the index folder when possible
    sha256: str
    size: int
    mtime_ns: int
    chunks: int
    chars: int
    title: str = ""
    added: str = ""  # when this document was first indexed (UTC, ISO 8601)
    marks: tuple = ()  # (start offset, page, heading) of each page or section, in order

    def location(self, offset: int) -> tuple[int | None, str | None]:
        """The page and the heading of the text at `offset` (None where the format has none).

        >>> DocumentRecord("a.pdf", "a.pdf", "", 0, 0, 1, 9, marks=((0, 1, None), (5, 2, None))).location(6)
        (2, None)
        """
        starts = [m[0] for m in self.marks]
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0:
            return None, None
        return self.marks[i][1], self.marks[i][2]

    @classmethod
    def from_manifest(cls, entry: dict) -> "DocumentRecord":
        """A manifest entry as a record (JSON gives lists where the record keeps tuples).

        >>> DocumentRecord.from_manifest({"id": "a", "path": "a", "sha256": "", "size": 1, "mtime_ns": 0,
        ...                               "chunks": 1, "chars": 1, "marks": [[0, 1, None]]}).marks
        ((0, 1, None),)
        """
        return cls(**{**entry, "marks": tuple(tuple(m) for m in entry.get("marks", ()))})


@dataclass(frozen=True)
class StoredSentence:
    """One indexed sentence: its vector id (`window`), its document and its exact span there."""

    window: int
    source: str
    start: int
    end: int
    text: str
