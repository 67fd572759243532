"""The public entry points: `Assistant` (a loaded pipeline over one index) and `search()`.

Example:
    >>> from qa import search
    >>> search("robot density", k=1)[0].source      # doctest: +SKIP
    '000_708bc06f684926ae.txt'
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterable

from .embedding import Embedder, make_embedder
from .indexing import open_index, sync_index
from .retrieval import Mode, Passage, Retriever
from .settings import Settings
from .store import IndexStore


class Assistant:
    """A loaded pipeline over one index: opened (and brought up to date) once, then shared by callers.

    `index=None` means the default index (`index/` of the project, over the default corpus: `seeds/`
    plus the uploads folder), built when missing. A relative path resolves against the current folder.
    """

    def __init__(self, index: str | Path | None = None, *, settings: Settings | None = None,
                 embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.index_dir = Path(index).resolve() if index is not None else self.settings.index_dir
        self.embedder = embedder or make_embedder(self.settings)
        self._lock = threading.RLock()
        is_default = self.index_dir == self.settings.index_dir.resolve()
        store = open_index(self.index_dir, self.embedder, self.settings,
                           default_roots=self.settings.default_corpus if is_default else None)
        self._set_store(store)

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path], index: str | Path, *, settings: Settings | None = None,
                   embedder: Embedder | None = None) -> "Assistant":
        """Build or update the index in `index` to hold exactly the files under `paths`, then open it."""
        settings = settings or Settings.from_env()
        embedder = embedder or make_embedder(settings)
        index_dir = Path(index).resolve()
        try:
            base = IndexStore.load(index_dir)
        except Exception:
            base = None
        sync_index(index_dir, [Path(p) for p in paths], embedder, settings, base=base)
        return cls(index_dir, settings=settings, embedder=embedder)

    def _set_store(self, store: IndexStore) -> None:
        retriever = Retriever(store, self.embedder, self.settings.rrf_k)
        with self._lock:
            self.store, self.retriever = store, retriever

    def search(self, query: str, k: int | None = None, mode: Mode = "hybrid") -> list[Passage]:
        """The `k` best passages for `query` (hybrid dense + BM25 by default)."""
        with self._lock:
            retriever = self.retriever
        return retriever.search(query, k or self.settings.top_k, mode)

    def documents(self) -> list[dict]:
        """The indexed documents: id, chunks, characters and bytes."""
        with self._lock:
            store = self.store
        return [{"id": r.id, "chunks": r.chunks, "chars": r.chars, "bytes": r.size} for r in store.documents.values()]


_default: dict[tuple, Assistant] = {}
_default_lock = threading.Lock()


def _assistant_for(index: str | Path | None) -> Assistant:
    """One shared `Assistant` per index folder, created on first use."""
    key = (str(Path(index).resolve()) if index is not None else None,)
    with _default_lock:
        if key not in _default:
            _default[key] = Assistant(index)
        return _default[key]


def search(query: str, k: int = 5, index: str | Path | None = None) -> list[Passage]:
    """Ranked passages for `query` from `index` (default: the project's `index/`).

    >>> [p.source for p in search("Which firm praised Korea's approach?", k=1)]  # doctest: +SKIP
    ['003_4828a23bdb51d7f0.txt']
    """
    return _assistant_for(index).search(query, k)
