"""The persistent index: FAISS vectors, chunk metadata and a manifest, written atomically.

Layout of an index folder:
    CURRENT            the name of the live generation folder (replaced atomically)
    gen-*/manifest.json  format version, embedder, chunking settings, source roots, documents
    gen-*/chunks.jsonl   one chunk a line, in vector order
    gen-*/documents.jsonl  each document's normalized text
    gen-*/windows.npy    for each vector: the first and last chunk row holding its sentence, and the
                         sentence's start and end offsets in its document
    gen-*/faiss.index    the FAISS index over one vector per sentence window; the vectors themselves are
                         read back from it (exactly for a flat index, to 8-bit precision for IVF-SQ8), so
                         an update reuses them and no second copy takes disk or memory
    gen-*/multilingual.npy, multilingual_windows.npy  (when some document is not in English) the second,
                         multilingual space: a vector for each sentence window of those documents, and the
                         window each one belongs to (searched exactly: such documents are few)
A writer builds a whole new generation beside the live one, then swaps CURRENT with os.replace: a
crash or kill at any moment leaves either the old or the new index, never a mixture.

Example:
    >>> store = IndexStore.open(Path("index"))        # doctest: +SKIP
    >>> len(store.chunks), store.manifest["embedder"]  # doctest: +SKIP
    (53, {'name': 'all-MiniLM-L6-v2', 'dim': 384})
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Collection, Iterable

import numpy as np

from qa.errors import IndexWriteError
from qa.index.faiss_index import build_faiss, choose_index_spec, enable_reconstruction, search_params
from qa.index.records import CorruptIndex, DocumentRecord, OlderIndex, StoredSentence
from qa.ingest.chunking import Chunk

# with `sources`, documents of up to this many sentence windows are searched exactly (see search_windows)
EXACT_SUBSET_MAX = 50_000
FORMAT_VERSION = 4  # 4: documents have a title, the date added and page/heading marks
CURRENT = "CURRENT"


@dataclass
class IndexStore:
    """One loaded generation of an index: manifest, chunks, document texts, vectors and FAISS index."""

    folder: Path
    manifest: dict
    chunks: list[Chunk]
    texts: dict[str, str]
    window_rows: np.ndarray  # (n_vectors, 4): first and last chunk row of each vector's sentence, its start, end
    faiss_index: object = None
    documents: dict[str, DocumentRecord] = field(default_factory=dict)
    # the multilingual space: vectors (m, dim) and the window id of each, ascending (m = 0: none)
    multilingual: np.ndarray | None = None
    multilingual_windows: np.ndarray | None = None
    _chunk_sentences: dict[int, list[int]] | None = field(default=None, repr=False, compare=False)
    _rows_by_source: dict[str, np.ndarray] | None = field(default=None, repr=False, compare=False)
    _windows_by_source: dict[str, np.ndarray] | None = field(default=None, repr=False, compare=False)

    # --- reading ---------------------------------------------------------------------------------

    @staticmethod
    def current_generation(index_dir: Path) -> Path | None:
        """The live generation folder, or None when the index folder holds none."""
        try:
            name = (Path(index_dir) / CURRENT).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as e:
            raise CorruptIndex(f"cannot read {CURRENT}: {e}") from None
        if not name.startswith("gen-") or "/" in name:
            raise CorruptIndex(f"{CURRENT} names {name!r}")
        return Path(index_dir) / name

    @staticmethod
    def read_manifest(index_dir: Path) -> dict | None:
        """The manifest of the live generation, else of the newest generation that has one, else None.

        Used to rebuild an index whose other files are damaged.
        """
        candidates = []
        with contextlib.suppress(CorruptIndex):
            gen = IndexStore.current_generation(index_dir)
            if gen:
                candidates.append(gen)
        if Path(index_dir).is_dir():
            candidates += sorted(Path(index_dir).glob("gen-*"), reverse=True)
        for gen in candidates:
            try:
                manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
                if isinstance(manifest, dict) and isinstance(manifest.get("sources"), list):
                    return manifest
            except (OSError, ValueError):
                continue
        return None

    @classmethod
    def load(cls, index_dir: Path) -> "IndexStore | None":
        """Load the live generation; None when there is none; `CorruptIndex` when it is damaged.

        Another process may make a new generation live and delete this one while it is being read: the
        files then go missing mid-read, and the new live generation is read instead."""
        for _ in range(5):
            gen = cls.current_generation(index_dir)
            if gen is None:
                return None
            try:
                return cls._load_generation(gen)
            except CorruptIndex:
                if cls.current_generation(index_dir) == gen:
                    raise  # still the live one: really damaged
        raise CorruptIndex("the live generation kept changing while it was read")

    @classmethod
    def _load_generation(cls, gen: Path) -> "IndexStore":
        """One generation folder's files, checked for consistency (`CorruptIndex` when they are not)."""
        import faiss

        try:
            manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("format_version") != FORMAT_VERSION:
                raise OlderIndex(f"format version {manifest.get('format_version')} (expected {FORMAT_VERSION})")
            with open(gen / "chunks.jsonl", encoding="utf-8") as f:
                chunks = [Chunk(**json.loads(line)) for line in f]
            with open(gen / "documents.jsonl", encoding="utf-8") as f:
                texts = {d["id"]: d["text"] for d in map(json.loads, f)}
            window_rows = np.load(gen / "windows.npy", allow_pickle=False)
            index = faiss.read_index(str(gen / "faiss.index"))
            documents = {d["id"]: DocumentRecord.from_manifest(d) for d in manifest["documents"]}
            multilingual = multilingual_windows = None
            if manifest.get("multilingual_vectors"):
                multilingual = np.load(gen / "multilingual.npy", allow_pickle=False)
                multilingual_windows = np.load(gen / "multilingual_windows.npy", allow_pickle=False)
        except CorruptIndex:
            raise
        except FileNotFoundError as e:
            raise CorruptIndex(f"missing {Path(e.filename).name}") from None
        except Exception as e:  # truncated JSON, bad npy header, FAISS read error...
            raise CorruptIndex(f"{type(e).__name__}: {e}".splitlines()[0][:200]) from None
        n = len(chunks)
        if (window_rows.shape != (index.ntotal, 4) or set(texts) != set(documents)
                or (len(window_rows) and (window_rows[:, :2].min() < 0 or window_rows[:, :2].max() >= n))):
            raise CorruptIndex(f"inconsistent files ({n} chunks, {len(window_rows)} windows, {index.ntotal} in FAISS)")
        if any(c.source not in texts or texts[c.source][c.start:c.end] != c.text for c in chunks):
            raise CorruptIndex("chunk offsets do not match the document texts")
        if multilingual is not None and (
                len(multilingual) != manifest["multilingual_vectors"] or multilingual_windows.shape != (len(multilingual),)
                or (len(multilingual_windows) and (multilingual_windows.min() < 0
                                                   or multilingual_windows.max() >= len(window_rows)))):
            raise CorruptIndex("the multilingual vectors do not match the sentence windows")
        enable_reconstruction(index)
        return cls(folder=gen, manifest=manifest, chunks=chunks, texts=texts,
                   window_rows=window_rows, faiss_index=index, documents=documents,
                   multilingual=multilingual, multilingual_windows=multilingual_windows)

    # --- writing ---------------------------------------------------------------------------------

    @staticmethod
    @contextlib.contextmanager
    def write_lock(index_dir: Path):
        """Serialize writers of one index folder across threads and processes."""
        Path(index_dir).mkdir(parents=True, exist_ok=True)
        with open(Path(index_dir) / ".lock", "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    @classmethod
    def write(cls, index_dir: Path, manifest: dict, chunks: list[Chunk], texts: dict[str, str],
              vectors: np.ndarray, window_rows: np.ndarray, flat_max: int,
              multilingual: tuple[np.ndarray, np.ndarray] | None = None) -> "IndexStore":
        """Write a new generation and make it live atomically. Raises `IndexWriteError` on a disk error.

        `multilingual`: the second space's vectors and their window ids, when some document has them."""
        import faiss

        index_dir = Path(index_dir)
        gen = index_dir / f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        spec = choose_index_spec(len(vectors), flat_max)
        manifest = {**manifest, "format_version": FORMAT_VERSION, "index_type": spec, "chunks": len(chunks),
                    "multilingual_vectors": len(multilingual[0]) if multilingual is not None else 0}
        try:
            index = build_faiss(vectors, spec)
            gen.mkdir(parents=True)
            _write_file(gen / "chunks.jsonl", "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in chunks))
            _write_file(gen / "documents.jsonl", "".join(
                json.dumps({"id": k, "text": v}, ensure_ascii=False) + "\n" for k, v in texts.items()))
            _save_array(gen / "windows.npy", window_rows)
            if multilingual is not None:
                _save_array(gen / "multilingual.npy", multilingual[0].astype(np.float32))
                _save_array(gen / "multilingual_windows.npy", multilingual[1].astype(np.int64))
            faiss.write_index(index, str(gen / "faiss.index"))
            _fsync_path(gen / "faiss.index")
            # The manifest goes last: a generation with a manifest is complete.
            _write_file(gen / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
            _fsync_path(gen)
            _write_file(index_dir / (CURRENT + ".tmp"), gen.name + "\n")
            os.replace(index_dir / (CURRENT + ".tmp"), index_dir / CURRENT)
            _fsync_path(index_dir)
        except OSError as e:
            shutil.rmtree(gen, ignore_errors=True)
            with contextlib.suppress(OSError):
                (index_dir / (CURRENT + ".tmp")).unlink()
            reason = "disk full" if e.errno == errno.ENOSPC else (e.strerror or str(e))
            raise IndexWriteError(f"cannot write the index in {index_dir}: {reason}; the previous index is intact") from None
        cls.remove_stale_generations(index_dir, keep=gen.name)
        documents = {d["id"]: DocumentRecord.from_manifest(d) for d in manifest["documents"]}
        enable_reconstruction(index)
        ml_vectors, ml_windows = multilingual if multilingual is not None else (None, None)
        return cls(folder=gen, manifest=manifest, chunks=chunks, texts=texts,
                   window_rows=window_rows, faiss_index=index, documents=documents,
                   multilingual=ml_vectors, multilingual_windows=ml_windows)

    # --- the read API of answering code: sentences, their neighbours, spans of text -----------------

    def sentence(self, window: int) -> StoredSentence:
        """The sentence whose vector is `window`."""
        first, _, start, end = (int(x) for x in self.window_rows[window])
        source = self.chunks[first].source
        return StoredSentence(int(window), source, start, end, self.texts[source][start:end])

    def sentences_in_chunk(self, row: int) -> list[int]:
        """The sentences (vector ids) whose sentence lies in chunk `row`, in document order."""
        if self._chunk_sentences is None:
            mapping: dict[int, list[int]] = {}
            for w, (first, last) in enumerate(self.window_rows[:, :2]):
                for r in range(int(first), int(last) + 1):
                    mapping.setdefault(r, []).append(w)
            self._chunk_sentences = mapping
        return self._chunk_sentences.get(row, [])

    def neighbour(self, window: int, step: int) -> StoredSentence | None:
        """The sentence right after (`step` = 1) or right before (`step` = -1) `window` in its document, when
        only white space lies between them; else None."""
        if step not in (1, -1):
            raise ValueError(f"step must be 1 or -1, not {step}")
        other = window + step
        if not 0 <= other < len(self.window_rows):
            return None
        here, there = self.sentence(window), self.sentence(other)
        if there.source != here.source:
            return None
        a, b = (here.end, there.start) if step > 0 else (there.end, here.start)
        if a > b or self.texts[here.source][a:b].strip():
            return None
        return there

    def location(self, source: str, offset: int) -> tuple[int | None, str | None]:
        """The page and heading at `offset` of the document `source` (None, None when it has neither)."""
        record = self.documents.get(source)
        return record.location(offset) if record is not None else (None, None)

    def text_span(self, source: str, start: int, end: int) -> str:
        """The text of document `source` between `start` and `end`, clipped to the document."""
        return self.texts[source][max(0, start):max(0, end)]

    # --- search: the answer side asks the store, whichever engine holds the vectors --------------------

    kind = "faiss"  # which back-end this is (settings: QA_STORE)
    engine_bm25 = False  # True: the engine ranks by BM25 itself (`bm25_ranking`); else the retriever does

    def rows_of(self, sources: Collection[str]) -> np.ndarray:
        """The chunk rows of the documents `sources` (document ids; one id may be a plain string), in index order."""
        if self._rows_by_source is None:
            self._rows_by_source = _ids_by_source(c.source for c in self.chunks)
        return _ids_of(self._rows_by_source, sources)

    def windows_of(self, sources: Collection[str]) -> np.ndarray:
        """The sentence windows (vector ids) of the documents `sources`, in index order."""
        if self._windows_by_source is None:
            self._windows_by_source = _ids_by_source(self.chunks[int(first)].source for first in self.window_rows[:, 0])
        return _ids_of(self._windows_by_source, sources)

    def search_windows(self, vector: np.ndarray, want: int,
                       sources: Collection[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The (at most) `want` sentence windows most similar to the unit `vector`, best first, as (scores,
        window ids); with `sources`, of those documents only: exactly up to EXACT_SUBSET_MAX of their
        windows (an IVF index probing a few lists could miss a document whose sentences sit in other
        lists), through a FAISS id selector probing every list above it."""
        n_windows = len(self.window_rows)
        if not n_windows or want <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        if sources is None:
            scores, hits = self.faiss_index.search(vector.reshape(1, -1), min(n_windows, want))
        else:
            windows = self.windows_of(sources)
            if not len(windows):
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            if len(windows) <= EXACT_SUBSET_MAX:
                exact = self.vectors_of(windows) @ vector
                order = np.argsort(-exact, kind="stable")[:want]
                return exact[order], windows[order]
            scores, hits = self.faiss_index.search(vector.reshape(1, -1), min(len(windows), want),
                                                   params=search_params(self.faiss_index, windows))
        found = hits[0] >= 0  # -1: FAISS's "no hit"
        return scores[0][found], hits[0][found]

    def describe(self) -> str:
        """Where the index lives and which index type holds its vectors (said by `qa index`)."""
        return f"FAISS {self.manifest.get('index_type')} in {self.folder.parent}"

    def vectors_of(self, ids) -> np.ndarray:
        """The stored vectors `ids` (exact for a flat index, 8-bit precision for IVF-SQ8)."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if not len(ids):
            return np.zeros((0, self.faiss_index.d), np.float32)
        return self.faiss_index.reconstruct_batch(ids)

    def multilingual_of(self, windows) -> tuple[np.ndarray, np.ndarray]:
        """The multilingual vectors of those of `windows` that have one, and those windows."""
        if self.multilingual is None or not len(self.multilingual):
            return np.zeros((0, 1), np.float32), np.zeros(0, np.int64)
        windows = np.asarray(windows, dtype=np.int64).reshape(-1)
        at = np.searchsorted(self.multilingual_windows, windows)
        at = np.clip(at, 0, len(self.multilingual_windows) - 1)
        has = self.multilingual_windows[at] == windows
        return self.multilingual[at[has]], windows[has]

    def vector(self, i: int) -> np.ndarray:
        """One stored vector."""
        return self.faiss_index.reconstruct(int(i))

    @property
    def vectors(self) -> np.ndarray:
        """Every stored vector (small indexes and tests; large ones use `vectors_of`)."""
        return self.vectors_of(np.arange(self.faiss_index.ntotal))

    @staticmethod
    def remove_stale_generations(index_dir: Path, keep: str) -> None:
        """Delete generations other than `keep` (left by earlier writes or by a crash mid-write)."""
        for old in Path(index_dir).glob("gen-*"):
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)


class FaissFiles:
    """The default back-end: an `IndexStore` in files under the index folder, searched by FAISS in-process."""

    kind = "faiss"

    def load(self, index_dir: Path) -> IndexStore | None:
        return IndexStore.load(index_dir)

    def read_manifest(self, index_dir: Path) -> dict | None:
        return IndexStore.read_manifest(index_dir)

    def write_lock(self, index_dir: Path):
        return IndexStore.write_lock(index_dir)

    def write(self, index_dir: Path, *args, **kwargs) -> IndexStore:
        return IndexStore.write(index_dir, *args, **kwargs)

    def where(self, index_dir: Path) -> str:
        """Where this back-end keeps the index of `index_dir`, for messages."""
        return str(index_dir)


def _ids_by_source(owners: Iterable[str]) -> dict[str, np.ndarray]:
    """For each document, the positions (row or window ids) it owns in the sequence `owners`."""
    by_source: dict[str, list[int]] = {}
    for i, source in enumerate(owners):
        by_source.setdefault(source, []).append(i)
    return {k: np.asarray(v, dtype=np.int64) for k, v in by_source.items()}


def _ids_of(by_source: dict[str, np.ndarray], sources: Collection[str]) -> np.ndarray:
    """The sorted ids of the documents `sources` (a plain string is one document id)."""
    sources = [sources] if isinstance(sources, str) else sources
    parts = [by_source[doc] for doc in set(sources) if doc in by_source]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _save_array(path: Path, array: np.ndarray) -> None:
    """An array saved as .npy and synced to disk."""
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def _write_file(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
