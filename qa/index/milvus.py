"""The Milvus back-end (QA_STORE=milvus): the index of qa/index/store.py held in Milvus collections.

One generation is four collections named `<alias>_g<time>_<part>`:
    _windows       a row per sentence window: id (= vector id), doc (the document's number), document,
                   first and last chunk row, start and end offsets, and its vector (FLAT up to
                   QA_FLAT_MAX_VECTORS, IVF_SQ8 above, as the FAISS store chooses; inner product)
    _chunks        a row per chunk: id (= chunk row), doc, the chunk as JSON, its BM25 terms and the sparse
                   vector Milvus' own BM25 function computes from them
    _meta          the manifest and the document texts as one JSON text in pieces (Milvus wants a vector
                   field in every collection: a 2-dimensional zero vector stands in)
    _multilingual  (when some document is not in English) the second space's vector of those windows
The alias `<alias>` names the live generation's _meta collection. A sync writes a whole new
generation, then moves the alias (one atomic step in Milvus): a sync killed at any moment leaves the
alias on the previous generation, which keeps serving. The generation before the live one is kept for
servers that have not reopened the index yet; older ones are dropped.

Search runs in the engine: dense search over the window vectors and BM25 over the chunks, each
restricted to `sources` by a filter. The two rankings are fused by RRF in the retriever, as with FAISS:
dense ranks sentence windows and BM25 ranks chunks, so an engine-side fusion over one unit would rank a
chunk once per sentence. Chunks, windows and document texts (small beside the vectors) are read into
memory at load; vectors stay in the engine and are fetched by id in batches.

Example:
    >>> from qa.settings import Settings
    >>> backend = MilvusBackend(Settings(store="milvus", milvus_uri="/tmp/qa-example/milvus.db"))
    >>> backend.where(backend.settings.index_dir)
    'Milvus Lite /tmp/qa-example/milvus.db, collection qa'
    >>> store = backend.load(backend.settings.index_dir)  # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from qa.errors import IndexWriteError, QAError
from qa.index.faiss_index import choose_index_spec, nprobe_for
from qa.index.milvus_store import BM25_K1, MilvusStore, encode_terms, first_line
from qa.index.records import CorruptIndex, DocumentRecord, OlderIndex
from qa.index.store import FORMAT_VERSION, IndexStore
from qa.ingest.chunking import Chunk
from qa.models.embedding import PROGRESS_MIN_TEXTS

INSTALL = "pip install pymilvus==3.0.2 milvus-lite==3.2.2"
BATCH_ROWS = 2000  # rows a single insert sends (a gRPC message stays far below its 64 MB cap)
META_PIECE = 16000  # characters of one piece of the _meta text (VARCHAR holds 65,535 bytes)
BM25_B = 0.75  # bm25s' default, so both stores rank alike (k1: qa/index/milvus_store.py)

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


class MilvusBackend:
    """Reads and writes indexes in the Milvus that `settings` names (QA_MILVUS_URI and the rest)."""

    kind = "milvus"

    def __init__(self, settings, say=None) -> None:
        self.settings = settings
        self.say = say or (lambda message: None)  # progress lines of long writes

    # --- where -------------------------------------------------------------------------------------

    def uri(self, index_dir: Path) -> str:
        """The Milvus URI: QA_MILVUS_URI, else a Milvus Lite file in the index folder."""
        uri = self.settings.milvus_uri or str(Path(index_dir) / "milvus.db")
        if not (uri.endswith(".db") or re.match(r"(https?|tcp|unix)://", uri)):
            raise QAError(f"QA_MILVUS_URI={uri!r}: expected a Milvus Lite file ending in .db or a server "
                          "address such as http://localhost:19530")
        return uri

    def alias(self, index_dir: Path) -> str:
        """The alias naming this index folder's live generation: QA_MILVUS_COLLECTION, with a suffix
        telling index folders apart when they share one server."""
        name = self.settings.milvus_collection
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,150}", name):
            raise QAError(f"QA_MILVUS_COLLECTION={name!r}: use letters, digits and underscores, "
                          "starting with a letter")
        shared = bool(self.settings.milvus_uri)
        if shared and Path(index_dir).resolve() != Path(self.settings.index_dir).resolve():
            name += "_" + hashlib.sha1(str(Path(index_dir).resolve()).encode()).hexdigest()[:8]
        return name

    def where(self, index_dir: Path) -> str:
        """Where this back-end keeps the index of `index_dir`, for messages."""
        uri = self.uri(index_dir)
        return f"Milvus{' Lite' if uri.endswith('.db') else ''} {uri}, collection {self.alias(index_dir)}"

    def client(self, index_dir: Path):
        """A client of the Milvus at `uri(index_dir)`, made once per process; `QAError` naming the URI
        and what to check when it cannot be reached."""
        uri = self.uri(index_dir)
        s = self.settings
        key = (uri, s.milvus_token, s.milvus_server_pem, s.milvus_server_name)
        with _clients_lock:
            if key in _clients:
                return _clients[key]
            try:
                from pymilvus import MilvusClient

                # both log each failure with its traceback; the QAError below says it in one line
                for name in ("pymilvus", "milvus_lite"):
                    logging.getLogger(name).setLevel(logging.CRITICAL)
            except ImportError:
                raise QAError(f"QA_STORE=milvus needs pymilvus and milvus-lite: {INSTALL}") from None
            kwargs: dict = {"timeout": s.milvus_timeout}
            if s.milvus_token:
                kwargs["token"] = s.milvus_token
            if s.milvus_server_pem:
                kwargs.update(secure=True, server_pem_path=s.milvus_server_pem)
                if s.milvus_server_name:
                    kwargs["server_name"] = s.milvus_server_name
            if uri.endswith(".db"):
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
                hint = ("is another process using it? Milvus Lite serves one process; for several, run "
                        "`milvus-lite server` or a Milvus server and set QA_MILVUS_URI=http://host:19530")
            else:
                hint = ("check that the server is running and reachable, and QA_MILVUS_TOKEN / "
                        "QA_MILVUS_SERVER_PEM if it is secured")
            try:
                client = MilvusClient(uri=uri, **kwargs)
            except Exception as e:
                raise QAError(f"cannot connect to Milvus at {uri} ({first_line(e)}); {hint}") from None
            _clients[key] = client
            return client

    # --- reading -----------------------------------------------------------------------------------

    def _live_meta(self, client, alias: str) -> str | None:
        try:
            if alias not in client.list_aliases().get("aliases", []):
                return None
            return client.describe_alias(alias)["collection_name"]
        except Exception as e:
            raise QAError(f"Milvus: cannot read alias {alias} ({first_line(e)})") from None

    @staticmethod
    def _all_rows(client, collection: str, fields: list[str]) -> list[dict]:
        iterator = client.query_iterator(collection, batch_size=10_000, filter="id >= 0", output_fields=fields)
        rows: list[dict] = []
        try:
            while batch := iterator.next():
                rows.extend(batch)
        finally:
            iterator.close()
        return rows

    @staticmethod
    def _loaded(client, collection: str) -> None:
        """Load `collection` for search and query (a restarted engine holds collections released)."""
        client.load_collection(collection)

    def _read_meta(self, client, meta: str) -> dict:
        self._loaded(client, meta)
        pieces = sorted(self._all_rows(client, meta, ["piece"]), key=lambda r: r["id"])
        return json.loads("".join(p["piece"] for p in pieces))

    def read_manifest(self, index_dir: Path) -> dict | None:
        """The live generation's manifest, else the newest readable one's, else None (to rebuild from)."""
        client, alias = self.client(index_dir), self.alias(index_dir)
        metas: list = []
        with contextlib.suppress(QAError):
            metas = [self._live_meta(client, alias)]
        try:
            metas = [m for m in metas if m] + sorted(
                (c for c in client.list_collections() if re.fullmatch(rf"{alias}_g\d+_meta", c)), reverse=True)
        except Exception:
            return None
        for meta in metas:
            try:
                manifest = self._read_meta(client, meta)["manifest"]
                if isinstance(manifest.get("sources"), list):
                    return manifest
            except Exception:
                continue
        return None

    def load(self, index_dir: Path) -> MilvusStore | None:
        """The live generation; None when there is none; `CorruptIndex` when it is damaged."""
        client, alias = self.client(index_dir), self.alias(index_dir)
        meta = self._live_meta(client, alias)
        if meta is None:
            return None
        generation = meta[:-len("_meta")]
        try:
            stored = self._read_meta(client, meta)
            manifest, texts = stored["manifest"], stored["texts"]
            if manifest.get("format_version") != FORMAT_VERSION:
                raise OlderIndex(f"format version {manifest.get('format_version')} (expected {FORMAT_VERSION})")
            for part in ("chunks", "windows") + (("multilingual",) if manifest.get("multilingual_vectors") else ()):
                self._loaded(client, f"{generation}_{part}")
            chunk_rows = sorted(self._all_rows(client, f"{generation}_chunks", ["chunk"]), key=lambda r: r["id"])
            chunks = [Chunk(**json.loads(r["chunk"])) for r in chunk_rows]
            windows = self._all_rows(client, f"{generation}_windows", ["first", "last", "start", "end"])
            windows.sort(key=lambda r: r["id"])
            window_rows = np.array([[r["first"], r["last"], r["start"], r["end"]] for r in windows],
                                   np.int64).reshape(-1, 4)
            multilingual = multilingual_windows = None
            if manifest.get("multilingual_vectors"):
                rows = sorted(self._all_rows(client, f"{generation}_multilingual", ["vector"]), key=lambda r: r["id"])
                multilingual = np.array([r["vector"] for r in rows], np.float32)
                multilingual_windows = np.array([r["id"] for r in rows], np.int64)
        except CorruptIndex:
            raise
        except Exception as e:  # a collection missing, truncated JSON...
            raise CorruptIndex(f"{type(e).__name__}: {first_line(e)}") from None
        documents = {d["id"] for d in manifest["documents"]}
        n = len(chunks)
        if ([r["id"] for r in chunk_rows] != list(range(n)) or [r["id"] for r in windows] != list(range(len(windows)))
                or set(texts) != set(documents) or len(windows) != manifest.get("windows", len(windows))
                or (len(window_rows) and (window_rows[:, :2].min() < 0 or window_rows[:, :2].max() >= n))):
            raise CorruptIndex(f"inconsistent collections ({n} chunks, {len(windows)} windows)")
        if any(c.source not in texts or texts[c.source][c.start:c.end] != c.text for c in chunks):
            raise CorruptIndex("chunk offsets do not match the document texts")
        if multilingual is not None and len(multilingual) != manifest["multilingual_vectors"]:
            raise CorruptIndex("the multilingual vectors do not match the sentence windows")
        return self._store(client, index_dir, generation, manifest, chunks, texts, window_rows,
                           multilingual, multilingual_windows)

    def _store(self, client, index_dir, generation, manifest, chunks, texts, window_rows,
               multilingual, multilingual_windows) -> MilvusStore:
        return MilvusStore(folder=Path(index_dir), manifest=manifest, chunks=chunks, texts=texts,
                           window_rows=window_rows,
                           documents={d["id"]: DocumentRecord.from_manifest(d) for d in manifest["documents"]}, multilingual=multilingual,
                           multilingual_windows=multilingual_windows, client=client, uri=self.uri(index_dir),
                           generation=generation, index_params=manifest["milvus_index"],
                           dim=manifest["dim"],
                           _doc_numbers={d["id"]: i for i, d in enumerate(manifest["documents"])})

    # --- writing -----------------------------------------------------------------------------------

    def write_lock(self, index_dir: Path):
        """Serialize writers of one index folder (on this machine: the lock is a file in the folder)."""
        return IndexStore.write_lock(index_dir)

    def write(self, index_dir: Path, manifest: dict, chunks: list[Chunk], texts: dict[str, str],
              vectors: np.ndarray, window_rows: np.ndarray, flat_max: int,
              multilingual: tuple[np.ndarray, np.ndarray] | None = None) -> MilvusStore:
        """Write a new generation and move the alias to it. Raises `IndexWriteError` when Milvus refuses."""
        from qa.index.lexical import lexical_corpus
        from qa.text.analyzer import Analyzer

        client, alias = self.client(index_dir), self.alias(index_dir)
        generation = f"{alias}_g{time.time_ns()}"
        spec = choose_index_spec(len(vectors), flat_max)
        numbers = {d["id"]: i for i, d in enumerate(manifest["documents"])}
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else manifest["compat"]["embedder"]["dim"]
        index_params = ({"index_type": "FLAT"} if spec == "Flat"
                        else {"index_type": "IVF_SQ8", "nlist": int(spec[3:].split(",")[0])})
        manifest = {**manifest, "format_version": FORMAT_VERSION, "index_type": index_params["index_type"],
                    "milvus_index": index_params, "chunks": len(chunks), "windows": len(window_rows), "dim": dim,
                    "multilingual_vectors": len(multilingual[0]) if multilingual is not None else 0}
        created: list[str] = []
        try:
            from pymilvus import DataType, Function, FunctionType

            def make(part: str, fields: list[tuple], indexes: list[tuple], functions=()) -> str:
                schema = client.create_schema(auto_id=False)
                for name, dtype, kwargs in fields:
                    schema.add_field(name, dtype, **kwargs)
                for function in functions:
                    schema.add_function(function)
                params = client.prepare_index_params()
                for name, index_type, metric, extra in indexes:
                    params.add_index(name, index_type=index_type, metric_type=metric, params=extra)
                collection = f"{generation}_{part}"
                client.create_collection(collection, schema=schema, index_params=params)
                created.append(collection)
                return collection

            key = ("id", DataType.INT64, {"is_primary": True})
            doc = [("doc", DataType.INT64, {}), ("document", DataType.VARCHAR, {"max_length": 4096})]
            windows = make("windows", [key, *doc, *[(n, DataType.INT64, {}) for n in ("first", "last", "start", "end")],
                                       ("vector", DataType.FLOAT_VECTOR, {"dim": dim})],
                           [("vector", index_params["index_type"], "IP",
                             {"nlist": index_params["nlist"]} if "nlist" in index_params else {})])
            chunk_table = make("chunks", [key, *doc, ("chunk", DataType.VARCHAR, {"max_length": 65535}),
                                          ("terms", DataType.VARCHAR, {"max_length": 65535, "enable_analyzer": True,
                                                                       "analyzer_params": {"tokenizer": "standard"}}),
                                          ("sparse", DataType.SPARSE_FLOAT_VECTOR, {})],
                               [("sparse", "SPARSE_INVERTED_INDEX", "BM25", {"bm25_k1": BM25_K1, "bm25_b": BM25_B})],
                               [Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                         output_field_names=["sparse"])])
            terms = lexical_corpus(chunks, texts, Analyzer())
            sources = [chunks[int(first)].source for first in window_rows[:, 0]] if len(window_rows) else []
            self._insert(client, windows, "sentence windows", len(window_rows), lambda i: {
                "id": i, "doc": numbers[sources[i]], "document": sources[i],
                **dict(zip(("first", "last", "start", "end"), map(int, window_rows[i]))), "vector": vectors[i]})
            self._insert(client, chunk_table, "chunks", len(chunks), lambda i: {
                "id": i, "doc": numbers[chunks[i].source], "document": chunks[i].source,
                "chunk": json.dumps(asdict(chunks[i]), ensure_ascii=False), "terms": encode_terms(terms[i])})
            if multilingual is not None:
                ml_vectors, ml_windows = multilingual
                table = make("multilingual", [key, ("vector", DataType.FLOAT_VECTOR, {"dim": ml_vectors.shape[1]})],
                             [("vector", "FLAT", "IP", {})])
                self._insert(client, table, "multilingual vectors", len(ml_vectors),
                             lambda i: {"id": int(ml_windows[i]), "vector": ml_vectors[i]})
            text = json.dumps({"manifest": manifest, "texts": texts}, ensure_ascii=False)
            pieces = [text[i:i + META_PIECE] for i in range(0, len(text), META_PIECE)]
            # the _meta collection goes last: the alias only ever names a complete generation
            meta = make("meta", [key, ("piece", DataType.VARCHAR, {"max_length": 65535}),
                                 ("unused", DataType.FLOAT_VECTOR, {"dim": 2})], [("unused", "FLAT", "L2", {})])
            self._insert(client, meta, "", len(pieces), lambda i: {"id": i, "piece": pieces[i], "unused": [0.0, 0.0]})
            previous = self._live_meta(client, alias)
            if previous is None:
                client.create_alias(meta, alias)
            else:
                client.alter_alias(meta, alias)
        except Exception as e:
            for collection in created:
                with contextlib.suppress(Exception):
                    client.drop_collection(collection)
            raise IndexWriteError(f"cannot write the index to Milvus at {self.uri(index_dir)} "
                                  f"({first_line(e)}); the previous index is intact") from None
        self._drop_stale(client, alias, keep={generation, previous[:-len('_meta')] if previous else ""})
        ml_vectors, ml_windows = multilingual if multilingual is not None else (None, None)
        return self._store(client, index_dir, generation, manifest, chunks, texts, window_rows, ml_vectors, ml_windows)

    def _insert(self, client, collection: str, what: str, n: int, row) -> None:
        """Insert rows 0..n-1 (made by `row(i)`) in batches, saying how far it is on long writes."""
        loud = what and n >= PROGRESS_MIN_TEXTS
        step = max(BATCH_ROWS, (n // 10) // BATCH_ROWS * BATCH_ROWS)
        for at in range(0, n, BATCH_ROWS):
            client.insert(collection, [row(i) for i in range(at, min(n, at + BATCH_ROWS))])
            if loud and (at + BATCH_ROWS) % step == 0 and at + BATCH_ROWS < n:
                self.say(f"writing to Milvus: {at + BATCH_ROWS:,} of {n:,} {what}")
        client.flush(collection)

    @staticmethod
    def _drop_stale(client, alias: str, keep: set[str]) -> None:
        """Drop the collections of generations other than `keep` (older syncs, or one killed mid-write)."""
        with contextlib.suppress(Exception):
            for collection in client.list_collections():
                found = re.fullmatch(rf"({alias}_g\d+)_[a-z]+", collection)
                if found and found.group(1) not in keep:
                    client.drop_collection(collection)
