"""The public entry points: `Assistant` (a loaded pipeline over one index), `ask()` and `search()`.

Example:
    >>> from qa import ask
    >>> a = ask("How tall is the tower?", sources=["eiffel.txt"])   # doctest: +SKIP
    >>> a.text, a.refused, a.citations[0].source                   # doctest: +SKIP
    ('The tower is 330 metres tall [1].', False, 'eiffel.txt')
"""
from __future__ import annotations

import os
import re
import shutil
import threading
import unicodedata
import uuid
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from qa.answer.calibration import DEFAULT_FILE as DEFAULT_CALIBRATION
from qa.answer.calibration import Calibration
from qa.answer.conflicts import ConflictRules
from qa.answer.events import Answer, Progress, Verified
from qa.answer.orchestrator import Answerer
from qa.answer.questions import clean_question
from qa.answer.verification import Verifier
from qa.errors import QAError
from qa.index.store import IndexStore
from qa.index.sync import load_base, open_index, sync_index
from qa.ingest.documents import load_document
from qa.models.embedding import Embedder, make_embedder, multilingual_embedder
from qa.models.generation import Demand, Generator, LazyGenerator, make_generator
from qa.models.profiles import profile_name
from qa.models.span_reader import READER_DIR, Reads, SpanReader
from qa.retrieve.retrieval import Mode, Passage, Retriever
from qa.settings import Settings
from qa.text.rules import MARKER, marker_numbers

READERS = ("generator", "span", "both")

History = Sequence[tuple[str, str]]
Sources = Iterable[str] | str | None


class Assistant:
    """A loaded pipeline over one index: opened (and brought up to date) once, then shared by callers.

    `index=None` means the default index (`index/` of the project, over the default corpus: `seeds/`
    plus the uploads folder), built when missing. A relative path resolves against the current folder.
    """

    def __init__(self, index: str | Path | None = None, *, settings: Settings | None = None,
                 embedder: Embedder | None = None, generator: Generator | None = None,
                 span_reader: Reads | None = None) -> None:
        self.settings = settings or Settings.from_env()
        if self.settings.reader not in READERS:
            raise QAError(f"QA_READER={self.settings.reader!r} is not a reading mode (choose {', '.join(READERS)})")
        self._span_reader = span_reader
        self.index_dir = Path(index).resolve() if index is not None else self.settings.index_dir
        self.embedder = embedder or make_embedder(self.settings)
        self._lock = threading.RLock()
        self._upload_lock = threading.Lock()  # one upload at a time: its name is checked, then taken
        self._generators: dict[str, Generator] = {}
        self._generator_demand = Demand()  # replies asked of the generators now, by every session
        self._calibration_model: Calibration | None = None
        # a generator passed in is the caller's choice of model: no cascade puts another beside it
        self._cascade = generator is None
        if generator is not None:
            self._generators[self.settings.generator] = generator
        is_default = self.index_dir == self.settings.index_dir.resolve()
        store = open_index(self.index_dir, self.embedder, self.settings,
                           default_roots=self.settings.default_corpus if is_default else None)
        self._set_store(store)

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path], index: str | Path, *, settings: Settings | None = None,
                   embedder: Embedder | None = None, generator: Generator | None = None,
                   span_reader: Reads | None = None) -> "Assistant":
        """Build or update the index in `index` to hold exactly the files under `paths`, then open it."""
        settings = settings or Settings.from_env()
        embedder = embedder or make_embedder(settings)
        index_dir = Path(index).resolve()
        sync_index(index_dir, [Path(p) for p in paths], embedder, settings, base=load_base(index_dir, settings))
        return cls(index_dir, settings=settings, embedder=embedder, generator=generator, span_reader=span_reader)

    def _set_store(self, store: IndexStore) -> None:
        retriever = Retriever(store, self.embedder, self.settings.rrf_k,
                              multilingual=multilingual_embedder(self.settings))
        with self._lock:
            self.store, self.retriever = store, retriever

    def search(self, query: str, k: int | None = None, mode: Mode = "hybrid", *,
               sources: Sources = None) -> list[Passage]:
        """The `k` best passages for `query` (hybrid dense + BM25 by default); with `sources` (document
        names as `documents()` lists them), the best passages of those documents only."""
        with self._lock:
            retriever = self.retriever
        return retriever.search(query, k or self.settings.top_k, mode, self.check_sources(sources, retriever))

    def _calibration(self) -> Calibration:
        """The answer-or-refuse model, loaded once."""
        with self._lock:
            if self._calibration_model is None:
                self._calibration_model = Calibration.load(self.settings.calibration_file or DEFAULT_CALIBRATION)
            return self._calibration_model

    def check_sources(self, sources: Sources, retriever: Retriever | None = None) -> list[str] | None:
        """`sources` as a list of known document names (None: no restriction); `QAError` naming the
        documents the index holds when one is unknown.

        A single name may be given as a string. An empty list is an error, not "every document".
        """
        if sources is None:
            return None
        names = [sources] if isinstance(sources, str) else list(sources)
        if not names:
            raise QAError("sources is empty: name at least one document, or leave it out to search them all")
        if retriever is None:
            with self._lock:
                retriever = self.retriever
        known = retriever.store.documents
        unknown = [n for n in names if n not in known]
        if unknown:
            listed = sorted(known)
            shown = ", ".join(listed[:20]) + (f", ... ({len(listed) - 20} more)" if len(listed) > 20 else "")
            raise QAError(f"unknown document{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                          f"the index holds: {shown or 'no documents'}")
        return list(dict.fromkeys(names))

    def generator(self, name: str | None = None) -> Generator:
        """The generator `name` (default: the settings'), loaded once and shared."""
        name = name or self.settings.generator
        with self._lock:
            if name not in self._generators:
                self._generators[name] = make_generator(name, self.settings)
            return self._generators[name]

    def span_reader(self) -> Reads:
        """The trained span reader, loaded once (its weights' hash checked); `ReaderMissing` when they are
        missing or damaged."""
        with self._lock:
            if self._span_reader is None:
                self._span_reader = SpanReader(self.settings.cache_dir, Path(self.settings.span_reader_dir or READER_DIR),
                                               threads=self.settings.threads or None)
            return self._span_reader

    def cascade_model(self, generator: str | None = None) -> str | None:
        """The profile the cascade escalates to for a question asked with `generator`; None without a
        cascade: none set, a generator chosen for this question or passed to the assistant, or a back-end
        other than llama.cpp (it serves one model of its own)."""
        name = self.settings.escalate_generator
        if (not name or name.lower() in ("off", "none") or not self._cascade or generator not in (None, self.settings.generator)
                or profile_name(name) == profile_name(self.settings.generator) or self.settings.backend != "llama_cpp"):
            return None
        return name

    def _stronger(self, generator: str | None):
        """The cascade's second generator, loaded on first use (see `cascade_model`)."""
        name = self.cascade_model(generator)
        return (lambda: self.generator(name)) if name else None

    def ask_stream(self, question: str, *, history: History | None = None, k: int | None = None,
                   generator: str | None = None, sources: Sources = None, raw: bool = False,
                   reader: str | None = None) -> Iterator[Progress | Verified | str | Answer]:
        """Events while it works (qa/answer/events.py): `Progress` steps, a `Verified` event for each claim once it
        has passed verification, then the final `Answer`. With `raw=True`, also the model's own text pieces
        (`str`) as it writes them: unverified, for a caller that wants to see the model at work.

        With `history` ([(user, assistant), ...]) a follow-up ("How many parameters does it have?") is
        rewritten into a standalone question first (`Answer.rewritten`). With `sources` (document names),
        only those documents are searched. `reader` chooses the reading mode for this question (default
        `Settings.reader`: "generator", "span" or "both").
        """
        reader = reader or self.settings.reader
        if reader not in READERS:
            raise QAError(f"{reader!r} is not a reading mode (choose {', '.join(READERS)})")
        question = clean_question(question, self.settings.max_question_chars)
        if k is not None and not 1 <= int(k) <= 50:
            raise QAError(f"k must be between 1 and 50, not {k}")
        with self._lock:
            retriever = self.retriever
        sources = self.check_sources(sources, retriever)
        # reading spans, most questions never need the generator: it loads at the first that does
        model = self.generator(generator) if reader == "generator" else LazyGenerator(lambda: self.generator(generator))
        answerer = Answerer(retriever, model, k=int(k or self.settings.top_k),
                            context_sentences=self.settings.context_sentences,
                            prompt_examples=self.settings.prompt_examples,
                            max_new_tokens=self.settings.max_new_tokens, sources=sources,
                            verifier=Verifier.from_settings(retriever, self.settings),
                            max_answer_words=self.settings.max_answer_words, calibration=self._calibration(),
                            answer_threshold=None if self.settings.answer_threshold < 0 else self.settings.answer_threshold,
                            stronger=self._stronger(generator), escalate_below=self.settings.escalate_below,
                            conflict_rules=ConflictRules.from_settings(self.settings), reader=reader,
                            span_reader=self.span_reader() if reader != "generator" else None,
                            span_min_margin=self.settings.span_min_margin,
                            span_alone_margin=self.settings.span_alone_margin,
                            span_generator_passages=self.settings.span_generator_passages,
                            span_complete_phrase=self.settings.span_complete_phrase,
                            span_refuse_when_declined=self.settings.span_refuse_when_declined,
                            span_list_gap=self.settings.span_list_gap,
                            span_rank_weight=self.settings.span_rank_weight,
                            span_uncovered_share=self.settings.span_uncovered_share,
                            span_uncovered_margin=self.settings.span_uncovered_margin,
                            generator_demand=self._generator_demand,
                            span_busy_after=self.settings.span_busy_after, answer_parts=self.settings.answer_parts)
        yield from answerer.stream(question, history, raw=raw)

    def ask(self, question: str, *, history: History | None = None, k: int | None = None,
            generator: str | None = None, sources: Sources = None, reader: str | None = None) -> Answer:
        """A verified answer with citations, or a refusal (`refused=True`) when the documents do not say."""
        result = None
        for item in self.ask_stream(question, history=history, k=k, generator=generator, sources=sources,
                                    reader=reader):
            result = item
        return result

    def add(self, paths: Iterable[str | Path]) -> list[str]:
        """Index more files (or folders), incrementally; returns the ids of the documents added or updated.

        Raises `DocumentError` for a named file that cannot be indexed, leaving the index unchanged.
        """
        paths = [Path(p).resolve() for p in paths]
        with self._lock:
            roots = self._roots()
            extra = [p for p in paths if not any(p == r or r in p.parents for r in roots)]
            store, report = sync_index(self.index_dir, roots + extra, self.embedder, self.settings,
                                       base=self.store, strict=True)
            self._set_store(store)
        return report.indexed + report.updated

    def remove(self, source: str) -> None:
        """Remove the document `source` (its id). A file that the index holds as a named path is dropped
        from the sources; a file inside an indexed folder is deleted only if it is in the uploads folder."""
        with self._lock:
            record = self.store.documents.get(source)
            if record is None:
                raise QAError(f"no document {source!r} in the index")
            path = (self.index_dir / record.path).resolve()
            roots = [r for r in self._roots() if r != path]
            uploads = self.settings.uploads_dir.resolve()
            if any(r in path.parents for r in roots):
                if uploads not in path.parents:
                    raise QAError(f"{source} is part of the folder {path.parent}; remove the file there")
                path.unlink(missing_ok=True)
            store, _ = sync_index(self.index_dir, roots, self.embedder, self.settings, base=self.store, strict=False)
            self._set_store(store)

    def upload(self, source: str | Path) -> str:
        """Copy the file `source` into the uploads folder under a safe name no document has, and index it;
        returns the new document's id. Refused with a `QAError` before anything is saved: a file the loader
        refuses (type, size, empty, binary, undecodable) or content the index already holds. A file that
        then fails to index is removed again."""
        source = Path(source)
        name = safe_name(source.name)
        doc = load_document(source, name, self.settings.max_file_bytes)
        uploads = self.settings.uploads_dir
        with self._upload_lock:
            with self._lock:
                documents = self.store.documents
            same = next((r.id for r in documents.values() if r.sha256 == doc.sha256), None)
            if same:
                raise QAError(f"{name}: the same content is already indexed as {same}")
            target_name, n = name, 2
            while target_name in documents or (uploads / target_name).exists():
                target_name = f"{Path(name).stem}-{n}{Path(name).suffix}"
                n += 1
            uploads.mkdir(parents=True, exist_ok=True)
            target = uploads / target_name
            tmp = target.with_name(f".{target_name}.{uuid.uuid4().hex}.tmp")
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)  # never a half-copied file in the uploads folder
            try:
                self.add([target])
            except QAError:
                target.unlink(missing_ok=True)
                raise
        return target_name

    def uploaded(self) -> list[str]:
        """The ids of the indexed documents that lie in the uploads folder (those a page may remove)."""
        uploads = self.settings.uploads_dir.resolve()
        with self._lock:
            records = list(self.store.documents.values())
        return sorted(r.id for r in records if uploads in (self.index_dir / r.path).resolve().parents)

    def _roots(self) -> list[Path]:
        return [(self.index_dir / s).resolve() for s in self.store.manifest.get("sources", [])]

    def documents(self) -> list[dict]:
        """The indexed documents: name (its id), title, chunks, characters, size in bytes, date added.

        >>> Assistant().documents()[0]["title"]           # doctest: +SKIP
        'Harbour Operations Review 2024'
        """
        with self._lock:
            store = self.store
        return [{"name": r.id, "id": r.id, "title": r.title or r.id, "chunks": r.chunks, "chars": r.chars,
                 "bytes": r.size, "added": r.added} for r in store.documents.values()]

    def document(self, name: str) -> dict:
        """One document's whole text and title, with where its pages or headings start (for a viewer).
        Raises `QAError` for a name the index does not hold.

        >>> Assistant().document("report.pdf")["marks"][:1]   # doctest: +SKIP
        [{'start': 0, 'page': 1, 'section': None}]
        """
        with self._lock:
            store = self.store
        record = store.documents.get(name)
        if record is None:
            raise QAError(f"no document {name!r} in the index")
        return {"name": name, "title": record.title or name, "text": store.texts[name],
                "marks": [{"start": s, "page": p, "section": h} for s, p, h in record.marks]}


def safe_name(name: str, limit: int = 100) -> str:
    """A file name that is only a name: no folders, no dots in front, only safe characters.

    >>> safe_name("../../etc/pass wd.txt")
    'pass_wd.txt'
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).lstrip("._") or "document"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem[: max(1, limit - len(ext) - 1)]
    return f"{stem}.{ext}" if ext else stem


def replace_markers(text: str, render: Callable[[list[int]], str]) -> str:
    """`text` with each citation marker (`[1]`, `[2, 3]`) replaced by `render(its numbers)`.

    >>> replace_markers("330 m [1]. Or 324 m [2, 3].", lambda ns: "<" + "+".join(map(str, ns)) + ">")
    '330 m <1>. Or 324 m <2+3>.'
    """
    return MARKER.sub(lambda m: render(marker_numbers(m.group())), text)


def same_generator(name: str | None, settings: Settings) -> bool:
    """True when the generator `name` (a profile such as "default", or a path) is the settings' own.

    >>> same_generator("default", Settings()), same_generator("light", Settings())
    (True, False)
    """
    return name is not None and profile_name(name) == profile_name(settings.generator)


_default: dict[tuple, Assistant] = {}
_default_lock = threading.Lock()


def _assistant_for(index: str | Path | None) -> Assistant:
    """One shared `Assistant` per index folder, created on first use."""
    key = (str(Path(index).resolve()) if index is not None else None,)
    with _default_lock:
        if key not in _default:
            _default[key] = Assistant(index)
        return _default[key]


def ask(question: str, *, history: History | None = None, k: int | None = None,
        generator: str | None = None, sources: Sources = None, reader: str | None = None) -> Answer:
    """Answer `question` from the default index (`index/`, over `seeds/` and the uploads folder);
    `sources` restricts it to the named documents.

    >>> ask("Where was the first showcase held?").text      # doctest: +SKIP
    'It was held at the convention centre [1].'
    """
    return _assistant_for(None).ask(question, history=history, k=k, generator=generator, sources=sources,
                                    reader=reader)


def search(query: str, k: int = 5, index: str | Path | None = None, *, sources: Sources = None) -> list[Passage]:
    """Ranked passages for `query` from `index` (default: the project's `index/`).

    >>> [p.source for p in search("Which firm praised the approach?", k=1)]  # doctest: +SKIP
    ['analysis.txt']
    """
    return _assistant_for(index).search(query, k, sources=sources)
