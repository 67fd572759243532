"""Bring an index up to date with its sources, incrementally; open an index, repairing it if needed.

Example:
    >>> store, report = sync_index(Path("index"), [Path("seeds")], embedder, settings)  # doctest: +SKIP
    >>> report.summary()                                                               # doctest: +SKIP
    'indexed 4, updated 0, unchanged 0, skipped 0, removed 0'
"""
from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np

from qa.errors import IndexUnavailable, QAError, SourcesMissing
from qa.index.records import CorruptIndex, DocumentRecord, OlderIndex
from qa.index.store import FaissFiles, IndexStore
from qa.ingest.chunking import Chunk, chunk_document, sentence_windows
from qa.ingest.documents import Document, DocumentError, discover, document_from_bytes
from qa.models.embedding import PROGRESS_MIN_TEXTS, Embedder, multilingual_embedder
from qa.settings import Settings
from qa.text.rules import OTHER_SCRIPT_SHARE, in_other_script


def pipeline_modules() -> list[Path]:
    """The modules whose code decides what an index holds: every module of qa/ingest/ (loading, titles,
    chunking) and qa/text/ (normalization, sentences, the rules that shape titles, the BM25 analyzer), found
    by listing the packages so that a new module is covered without anyone adding it, and qa/index/lexical.py
    (the terms a Milvus index stores).

    >>> names = [f"{p.parent.name}/{p.name}" for p in pipeline_modules()]
    >>> all(n in names for n in ("ingest/chunking.py", "text/rules.py", "text/analyzer.py", "index/lexical.py"))
    True
    >>> "answer/orchestrator.py" in names or "index/store.py" in names
    False
    """
    package = Path(__file__).resolve().parents[1]
    modules = sorted(p for folder in ("ingest", "text") for p in (package / folder).glob("*.py"))
    if not modules:
        raise RuntimeError(f"no modules found under {package}/ingest or {package}/text")
    return [*modules, package / "index" / "lexical.py"]


def _pipeline_version() -> str:
    """A hash of the code that decides what an index holds: changing that code makes older indexes stale,
    with no version number to forget to bump."""
    digest = hashlib.sha256()
    for path in pipeline_modules():
        digest.update(f"{path.parent.name}/{path.name}".encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


PIPELINE_VERSION = _pipeline_version()
LARGE_FILE_BYTES = 1_000_000  # reading such a file takes seconds (a long PDF): say so


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def say(message: str) -> None:
    """One line for the user on stderr (index rebuilt, file skipped...)."""
    print(f"qa: {message}", file=sys.stderr, flush=True)


def store_backend(settings: Settings):
    """The back-end `settings.store` names (QA_STORE): FAISS files (default) or Milvus.

    >>> from qa.settings import Settings
    >>> store_backend(Settings()).kind
    'faiss'
    >>> store_backend(Settings(store="elastic"))
    Traceback (most recent call last):
    qa.errors.QAError: QA_STORE='elastic': expected faiss or milvus
    """
    if settings.store == "faiss":
        return FaissFiles()
    if settings.store == "milvus":
        from qa.index.milvus import MilvusBackend  # only then: pymilvus is not needed otherwise

        return MilvusBackend(settings, say=say)
    raise QAError(f"QA_STORE={settings.store!r}: expected faiss or milvus")


@dataclass
class SyncReport:
    """What a sync did."""

    indexed: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    wrote: bool = False

    def summary(self) -> str:
        return (f"indexed {len(self.indexed)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
                f"skipped {len(self.skipped)}, removed {len(self.removed)}")


@dataclass
class _Planned:
    """One document of the index being written: its chunks, windows (local chunk indices) and vectors."""

    doc_id: str
    text: str
    chunks: list[Chunk]
    windows: list[tuple[int, int, int, int]]  # first chunk, last chunk (local), sentence start, end
    vectors: np.ndarray | None = None
    texts_to_embed: list[str] = field(default_factory=list)
    # the multilingual space (documents not in English): one vector per window, or the texts to embed
    multilingual: np.ndarray | None = None
    multilingual_texts: list[str] = field(default_factory=list)

    @classmethod
    def reuse(cls, old: IndexStore, doc_id: str, chunk_rows: dict, window_rows: dict) -> "_Planned":
        rows = chunk_rows.get(doc_id, [])
        wins = window_rows.get(doc_id, [])
        base = rows[0] if rows else 0
        ml_vectors, ml_windows = old.multilingual_of(wins)
        return cls(doc_id, old.texts[doc_id], [old.chunks[r] for r in rows],
                   [(int(a) - base, int(b) - base, int(s), int(e)) for a, b, s, e in old.window_rows[wins]],
                   vectors=old.vectors_of(wins),
                   multilingual=ml_vectors if len(wins) and len(ml_windows) == len(wins) else None)


def compatibility(embedder: Embedder, settings: Settings) -> dict:
    """What an index must have been built with to be reused as it is."""
    multilingual = multilingual_embedder(settings)
    return {
        "pipeline_version": PIPELINE_VERSION,
        "embedder": {"name": embedder.name, "dim": embedder.dim, "max_tokens": embedder.max_tokens},
        "chunking": {"max_tokens": settings.chunk_tokens, "overlap_tokens": settings.chunk_overlap_tokens},
        "multilingual": {"name": multilingual.name, "dim": multilingual.dim,
                         "min_share": OTHER_SCRIPT_SHARE} if multilingual else None,
    }


def _stored_path(path: Path, index_dir: Path) -> str:
    return os.path.relpath(path.resolve(), index_dir.resolve())


def _resolve_stored(stored: str, index_dir: Path) -> Path:
    return (index_dir / stored).resolve()


REMOVAL_WARNING_SHARE = 0.5  # removing more than this share of an index's documents is said on the terminal


def guard_removal(index_dir: Path, previous: dict | None, kept: set[str], *, allow_remove_all: bool = False,
                  missing_roots: Sequence[Path] = ()) -> None:
    """Refuse an update that would remove every document of an index because its sources are not found.

    `previous` is the index's manifest before the update (its "sources" are relative to `index_dir`), `kept`
    the ids of the documents found now. When every document would go and one of the recorded source
    folders does not exist (the index was copied elsewhere, the corpus moved), raises `SourcesMissing`
    naming the index, the folders it expected and how to point at them, unless `allow_remove_all`. The same
    when the caller was asked for folders that are gone (`missing_roots`, the default corpus) and the update
    would remove any document.

    Example:
        >>> manifest = {"sources": ["gone-folder"], "documents": [{"id": "a.txt"}, {"id": "b.txt"}]}
        >>> guard_removal(Path("/tmp/no-such-index"), manifest, set())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qa.errors.SourcesMissing: /tmp/no-such-index: updating it would remove all 2 of its documents, ...
        >>> guard_removal(Path("/tmp/no-such-index"), manifest, {"a.txt", "b.txt"})  # nothing removed: no word
    """
    if not previous:
        return
    before = [d["id"] for d in previous.get("documents", [])]
    removed = [d for d in before if d not in kept]
    if not before or not removed:
        return
    index_dir = Path(index_dir)
    if allow_remove_all:
        return
    missing = list(missing_roots)
    if len(removed) == len(before):
        missing += [p for p in (_resolve_stored(s, index_dir) for s in previous.get("sources", []))
                    if not p.exists() and p not in missing]
    if missing:
        every = len(removed) == len(before)
        share = f"all {len(before)} of its documents" if every else f"{len(removed)} of its {len(before)} documents"
        folders = "folders it was built from are" if len(missing) > 1 else "folder it was built from is"
        raise SourcesMissing(
            f"{index_dir}: updating it would remove {share}, because the {folders} not found: "
            f"{', '.join(map(str, missing))}. Point at the documents with QA_SEEDS_DIR=FOLDER (the default corpus) "
            f"or `qa index FOLDER... --index {index_dir}`; to {'empty' if every else 'update'} the index anyway: "
            f"`qa index --index {index_dir} --allow-remove-all`")


def say_removals(index_dir: Path, removed: Sequence[str], before: int) -> None:
    """One line on the terminal when an update removes more than half of an index's `before` documents."""
    if before and len(removed) > REMOVAL_WARNING_SHARE * before:
        shown = ", ".join(removed[:5]) + (f" and {len(removed) - 5} more" if len(removed) > 5 else "")
        say(f"{index_dir}: removing {len(removed)} of its {before} documents ({shown})")


def sync_index(index_dir: Path, roots: Sequence[Path], embedder: Embedder, settings: Settings, *,
               base: IndexStore | None = None, strict: bool = True, previous: dict | None = None,
               allow_remove_all: bool = False, missing_roots: Sequence[Path] = ()) -> tuple[IndexStore, SyncReport]:
    """Make the index in `index_dir` hold exactly the documents under `roots`.

    Unchanged files (same size and mtime, or same content hash) keep their chunks and vectors; only
    new and changed files are chunked and embedded. With `strict`, a root that does not exist or a
    named file that cannot be indexed raises a `QAError` before anything is written. Files inside
    folders that cannot be indexed are skipped and reported. An update that would remove every document
    of the index (`base`, or the manifest `previous`) because its sources are not found, or any of them when
    the caller names `missing_roots` it was asked for, raises `SourcesMissing` before anything is read or
    written, unless `allow_remove_all` (`guard_removal`).
    """
    index_dir = Path(index_dir)
    roots = [Path(r).resolve() for r in roots]
    if strict:
        for root in roots:
            if not root.exists():
                raise QAError(f"{root}: no such file or folder")
    named_files = {r for r in roots if r.is_file()}
    files, skipped_types = discover(roots)
    guard_removal(index_dir, base.manifest if base is not None else previous, {f.doc_id for f in files},
                  allow_remove_all=allow_remove_all, missing_roots=missing_roots)
    report = SyncReport(skipped=[(str(p), why) for p, why in skipped_types])
    if strict:
        for path, why in skipped_types:
            if path in named_files:
                raise DocumentError(f"{path.name}: {why}")

    compat = compatibility(embedder, settings)
    multilingual = multilingual_embedder(settings)
    old = base if base is not None and base.manifest.get("compat") == compat else None
    old_chunk_rows: dict[str, list[int]] = {}
    old_window_rows: dict[str, list[int]] = {}
    if old is not None:
        for row, chunk in enumerate(old.chunks):
            old_chunk_rows.setdefault(chunk.source, []).append(row)
        for w, first in enumerate(old.window_rows[:, 0]):
            old_window_rows.setdefault(old.chunks[first].source, []).append(w)

    # Per document, in file order: its chunks and windows, reused from the old index or new.
    plan: list[_Planned] = []
    records: list[DocumentRecord] = []
    for sf in files:
        record = old.documents.get(sf.doc_id) if old else None
        try:
            stat = sf.path.stat()
            same_stat = record is not None and (record.size, record.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
            if not same_stat and stat.st_size > settings.max_file_bytes:
                raise DocumentError(f"{sf.doc_id}: {stat.st_size:,} bytes is over the {settings.max_file_bytes:,}-byte limit")
            if not same_stat and stat.st_size >= LARGE_FILE_BYTES:
                say(f"reading {sf.doc_id} ({stat.st_size / 1e6:.1f} MB)")
            raw = None if same_stat else sf.path.read_bytes()
            sha = record.sha256 if same_stat else hashlib.sha256(raw).hexdigest()
            if record is not None and record.sha256 == sha:  # unchanged (or only touched)
                plan.append(_Planned.reuse(old, sf.doc_id, old_chunk_rows, old_window_rows))
                records.append(DocumentRecord(**{**asdict(record), "mtime_ns": stat.st_mtime_ns,
                                                 "path": _stored_path(sf.path, index_dir)}))
                report.unchanged.append(sf.doc_id)
                continue
            doc = document_from_bytes(sf.doc_id, raw, sf.path.suffix, sf.path)
        except (OSError, DocumentError) as e:
            error = e if isinstance(e, DocumentError) else DocumentError(f"{sf.doc_id}: cannot read ({e.strerror or e})")
            if strict and sf.path in named_files:
                raise error from None
            report.skipped.append((str(sf.path), str(error).split(": ", 1)[-1]))
            continue
        chunks = chunk_document(doc, embedder, settings.chunk_tokens, settings.chunk_overlap_tokens)
        windows = sentence_windows(doc, chunks, embedder, settings.chunk_tokens)
        other_language = multilingual is not None and in_other_script(doc.text)
        plan.append(_Planned(doc.id, doc.text, chunks, [(w.first_chunk, w.last_chunk, w.start, w.end) for w in windows],
                             texts_to_embed=[w.text for w in windows],
                             multilingual_texts=[w.text for w in windows] if other_language else []))
        records.append(DocumentRecord(id=doc.id, path=_stored_path(sf.path, index_dir), sha256=sha,
                                      size=stat.st_size, mtime_ns=stat.st_mtime_ns, chunks=len(chunks),
                                      chars=len(doc.text), title=doc.title,
                                      added=record.added if record and record.added else _now(),
                                      marks=tuple((m.start, m.page, m.section) for m in doc.marks)))
        (report.updated if record else report.indexed).append(doc.id)

    kept = {p.doc_id for p in plan}
    report.removed = sorted(set(old.documents) - kept) if old else []
    stored_roots = [_stored_path(r, index_dir) for r in roots]
    backend = store_backend(settings)
    if (old is not None and old.kind == backend.kind and not report.indexed and not report.updated
            and not report.removed and old.manifest.get("sources") == stored_roots
            and [r.mtime_ns for r in records] == [old.documents[r.id].mtime_ns for r in records]):
        return old, report

    previous_documents = (base.manifest if base is not None else previous or {}).get("documents", [])
    say_removals(index_dir, sorted({d["id"] for d in previous_documents} - kept), len(previous_documents))
    pending = [t for p in plan for t in p.texts_to_embed]
    if len(pending) >= PROGRESS_MIN_TEXTS:
        say(f"embedding {len(pending):,} sentences of {sum(1 for p in plan if p.texts_to_embed)} new or changed "
            f"document(s)")
    new_vectors = embedder.embed(pending) if pending else np.zeros((0, embedder.dim), np.float32)
    ml_pending = [t for p in plan for t in p.multilingual_texts]
    if ml_pending:
        if len(ml_pending) >= PROGRESS_MIN_TEXTS:
            say(f"embedding {len(ml_pending):,} sentences of {sum(1 for p in plan if p.multilingual_texts)} "
                f"document(s) not in English in the multilingual space")
        ml_new = multilingual.embed(ml_pending)
        ml_cursor = 0
        for p in plan:
            if p.multilingual_texts:
                p.multilingual = ml_new[ml_cursor:ml_cursor + len(p.multilingual_texts)]
                ml_cursor += len(p.multilingual_texts)
    chunks_out: list[Chunk] = []
    vector_parts: list[np.ndarray] = []
    window_parts: list[np.ndarray] = []
    ml_parts: list[np.ndarray] = []
    ml_window_parts: list[np.ndarray] = []
    cursor = windows_so_far = 0
    for p in plan:
        if p.vectors is None:
            p.vectors = new_vectors[cursor:cursor + len(p.texts_to_embed)]
            cursor += len(p.texts_to_embed)
        if p.multilingual is not None and len(p.multilingual):
            ml_parts.append(p.multilingual)
            ml_window_parts.append(np.arange(windows_so_far, windows_so_far + len(p.windows), dtype=np.int64))
        windows_so_far += len(p.windows)
        rows = np.asarray(p.windows, dtype=np.int64).reshape(-1, 4)
        rows[:, :2] += len(chunks_out)
        window_parts.append(rows)
        vector_parts.append(p.vectors)
        chunks_out.extend(p.chunks)
    vectors = np.vstack(vector_parts).astype(np.float32) if vector_parts else np.zeros((0, embedder.dim), np.float32)
    window_rows = np.vstack(window_parts) if window_parts else np.zeros((0, 4), np.int64)
    texts = {p.doc_id: p.text for p in plan}
    manifest = {
        "compat": compat,
        "sources": stored_roots,
        "documents": [asdict(r) for r in records],
    }
    with backend.write_lock(index_dir):
        store = backend.write(index_dir, manifest, chunks_out, texts, vectors, window_rows, settings.flat_max_vectors,
                                 multilingual=(np.vstack(ml_parts), np.concatenate(ml_window_parts)) if ml_parts else None)
    report.wrote = True
    return store, report


def open_index(index_dir: Path, embedder: Embedder, settings: Settings,
               default_roots: Sequence[Path] | None = None) -> IndexStore:
    """Open the index in `index_dir`, bringing it up to date with its sources first.

    A missing index is built from `default_roots` (when given); a damaged one, or one built with other
    settings, is rebuilt from the source paths in its manifest, with a one-line message. An index that
    cannot be rebuilt raises `IndexUnavailable`.
    """
    index_dir = Path(index_dir)
    backend = store_backend(settings)
    try:
        store = backend.load(index_dir)
        damage, older = None, False
    except OlderIndex as e:
        store, damage, older = None, str(e), True
    except CorruptIndex as e:
        store, damage, older = None, str(e), False
    if store is None:
        migrated = faiss_index_to_migrate(index_dir, backend) if not damage else None
        manifest = backend.read_manifest(index_dir) or (migrated.manifest if migrated else None)
        if manifest is not None:
            roots = [_resolve_stored(s, index_dir) for s in manifest["sources"]]
        elif default_roots is not None:
            roots = [Path(r) for r in default_roots]
        else:
            why = f"is damaged ({damage}) and has no manifest" if damage else "holds no index"
            raise IndexUnavailable(f"{index_dir} {why}; build it with: qa index PATHS --index {index_dir}")
        existing = [r for r in roots if r.exists()]
        if not existing:
            raise IndexUnavailable(f"{index_dir} cannot be rebuilt: its sources are gone ({', '.join(map(str, roots))})")
        state = ("written by an older version (" + damage + "), rebuilding" if older
                 else "damaged (" + damage + "), rebuilding" if damage
                 else _moving(backend, index_dir) if migrated
                 else "building")
        say(f"{index_dir}: {state} from {', '.join(map(str, existing))}")
        store, _ = sync_index(index_dir, existing, embedder, settings, base=migrated, strict=False, previous=manifest)
        return store

    roots = [_resolve_stored(s, index_dir) for s in store.manifest.get("sources", [])]
    existing = [r for r in roots if r.exists()]
    if store.manifest.get("compat") != compatibility(embedder, settings):
        if not existing:
            say(f"{index_dir}: built with other settings and its sources are gone; using it as it is")
            return store
        guard_removal(index_dir, store.manifest, {f.doc_id for f in discover(existing)[0]})
        say(f"{index_dir}: built with other settings; rebuilding")
        store, _ = sync_index(index_dir, existing, embedder, settings, strict=False)
        return store
    if not existing:
        return store  # nothing to compare with: serve what was built
    if is_stale(store, existing):
        store, report = sync_index(index_dir, existing, embedder, settings, base=store, strict=False)
        if report.wrote:
            say(f"{index_dir}: updated ({report.summary()})")
    return store


def load_base(index_dir: Path, settings: Settings) -> IndexStore | None:
    """The index a sync of `index_dir` starts from: the settings' store, else (QA_STORE=milvus over a
    folder holding a FAISS index) the FAISS index, whose vectors the new store reuses; None to build
    from nothing (a damaged index is said and rebuilt)."""
    backend = store_backend(settings)
    try:
        base = backend.load(index_dir)
    except CorruptIndex as e:
        say(f"{index_dir}: {'written by an older version' if isinstance(e, OlderIndex) else 'damaged'} ({e}); "
            "rebuilding")
        return None
    if base is None:
        base = faiss_index_to_migrate(index_dir, backend)
        if base is not None:
            say(f"{index_dir}: {_moving(backend, index_dir)}")
    return base


def _moving(backend, index_dir: Path) -> str:
    return f"moving the FAISS index into {backend.where(index_dir)} (its vectors are reused)"


def faiss_index_to_migrate(index_dir: Path, backend) -> IndexStore | None:
    """The FAISS index in `index_dir` when `backend` is another engine (its vectors move without
    re-embedding); None when there is none or it cannot be read."""
    if backend.kind == "faiss":
        return None
    try:
        return IndexStore.load(index_dir)
    except CorruptIndex:
        return None


def is_stale(store: IndexStore, roots: Sequence[Path]) -> bool:
    """True when the files under `roots` differ from what the index holds (names, sizes, mtimes)."""
    files, _ = discover(roots)
    if {f.doc_id for f in files} != set(store.documents):
        return True
    for f in files:
        record = store.documents[f.doc_id]
        try:
            stat = f.path.stat()
        except OSError:
            return True
        if (stat.st_size, stat.st_mtime_ns) != (record.size, record.mtime_ns):
            return True
    return False
