"""Embedding on a Ray cluster: the texts go through Ray Data `map_batches`, one embedder per worker (a Ray
actor that loads its model once), and the vectors come back in the texts' order.

`RayEmbedder` is an `Embedder`: `sync_index` uses it as it uses a local one (reading and chunking stay
in the driver, which only counts word pieces; embedding is what is bound by the cores). It has the local
embedder's name, so an index built through Ray is the same index (same manifest, same vectors within
float tolerance) and later syncs without Ray reuse it.

Vectors a job has received are spilled to `checkpoint_dir` as they arrive: a job killed midway leaves
the previous index as it was (nothing is written to it before every vector is in), and a re-run embeds
only the texts that are not in the checkpoint yet. `qa index` removes the checkpoint once the index is
written. (Documents not in English get a second vector in the multilingual space: that one is embedded
in the driver, as without Ray, and not checkpointed.)

Example (needs Ray and a model, so not run here):
    >>> embedder = RayEmbedder(make_embedder(settings), settings, address="local")  # doctest: +SKIP
    >>> embedder.embed(["tidal power", "wind farms"]).shape                           # doctest: +SKIP
    (2, 384)
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from qa.errors import QAError
from qa.models.embedding import Embedder, make_embedder
from qa.settings import Settings

LOCAL = "local"  # the address that means: start a Ray cluster on this machine
PROGRESS_EVERY_S = 5.0


class EmbedWorker:
    """One Ray actor: makes the embedder its settings name (once, in the worker) and embeds batches.

    >>> worker = EmbedWorker(Settings(embedder="hashing"))
    >>> out = worker({"row": np.array([7, 3]), "text": np.array(["tidal power", "wind"])})
    >>> out["row"].tolist(), out["vector"].shape
    ([7, 3], (2, 384))
    """

    def __init__(self, settings: Settings) -> None:
        self.embedder = make_embedder(settings)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.embed([str(t) for t in batch["text"]])
        return {"row": np.asarray(batch["row"]), "vector": vectors}


def text_keys(texts: Sequence[str]) -> list[str]:
    """The checkpoint's key of each text: a digest of its UTF-8 bytes.

    >>> text_keys(["a"]) == text_keys(["a"]) != text_keys(["b"])
    True
    """
    return [hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest() for t in texts]


class EmbeddingCheckpoint:
    """Vectors already received, in `folder` as numbered .npz parts (keys and vectors), for one embedder.

    A part is written to a temporary name and renamed, so a kill leaves whole parts only.

    >>> import tempfile
    >>> cp = EmbeddingCheckpoint(Path(tempfile.mkdtemp()) / "cp", "hashing-384", 2)
    >>> cp.add(["k1"], np.ones((1, 2), np.float32)); cp.flush()
    >>> EmbeddingCheckpoint(cp.folder, "hashing-384", 2).known()["k1"].tolist()
    [1.0, 1.0]
    >>> EmbeddingCheckpoint(cp.folder, "other", 2).known()
    {}
    """

    def __init__(self, folder: Path, embedder_name: str, dim: int) -> None:
        self.folder = Path(folder)
        self.tag = hashlib.sha256(embedder_name.encode()).hexdigest()[:12]
        self.dim = dim
        self._keys: list[str] = []
        self._vectors: list[np.ndarray] = []

    def _parts(self) -> list[Path]:
        return sorted(self.folder.glob(f"{self.tag}-*.npz")) if self.folder.is_dir() else []

    def known(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for part in self._parts():
            try:
                with np.load(part) as data:
                    if data["vectors"].shape[1:] != (self.dim,):
                        continue
                    out.update(zip(data["keys"].tolist(), data["vectors"]))
            except Exception:  # a damaged part (truncated zip, empty file...): its texts are embedded again
                continue
        return out

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        self._keys.extend(keys)
        self._vectors.append(np.asarray(vectors, np.float32))

    def flush(self) -> None:
        if not self._keys:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        number = len(self._parts())
        target = self.folder / f"{self.tag}-{number:06d}.npz"
        tmp = self.folder / f".{target.stem}.{os.getpid()}.tmp.npz"
        np.savez(tmp, keys=np.asarray(self._keys), vectors=np.vstack(self._vectors))
        os.replace(tmp, target)
        self._keys, self._vectors = [], []

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _ray():
    try:
        import ray
    except ImportError:
        raise QAError("Ray is not installed (pip install 'ray[data]==2.60.0')") from None
    return ray


CONNECT_TIMEOUT_S = 10.0


def _reachable(address: str) -> None:
    """A QAError at once when `address` names a host:port nothing answers on (`ray.init` would retry
    for minutes before failing)."""
    if address in (LOCAL, "auto"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit():
        raise QAError(f"--ray {address!r}: no port (head:6379 or ray://head:10001)")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except (OSError, ValueError) as e:
        raise QAError(f"cannot start or join the Ray cluster at {address}: nothing answers there "
                      f"({getattr(e, 'strerror', None) or e}); start it with `ray start --head` on the head "
                      "node, or leave the address out for a cluster on this machine") from None


def connect(address: str, say: Callable[[str], None] | None = None) -> dict:
    """Join the Ray cluster at `address`, or start one on this machine (`"local"`, every core); the
    cluster's resources. Connecting twice in a process is a no-op."""
    # Ray's own C++ log lines (e.g. a notice about actor restarts) would interleave with our progress
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    ray = _ray()
    if not ray.is_initialized():
        kwargs = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                      configure_logging=True)
        started = time.perf_counter()
        _reachable(address)
        try:
            if address == LOCAL:
                ray.init(num_cpus=os.cpu_count() or 1, **kwargs)
            else:
                ray.init(address=address, **kwargs)
        except (ConnectionError, ValueError, RuntimeError) as e:
            where = "a local Ray cluster" if address == LOCAL else f"the Ray cluster at {address}"
            raise QAError(f"cannot start or join {where}: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
                          " (check the address, e.g. ray://head:10001 or head:6379, and that `ray status` "
                          "works there)") from None
        if say:
            resources = ray.cluster_resources()
            say(f"Ray cluster: {int(resources.get('CPU', 0))} CPUs on {len(ray.nodes())} node(s) "
                f"({time.perf_counter() - started:.1f} s to {'start' if address == LOCAL else 'join'})")
        import ray.data  # configures its loggers on import: quiet them after

        for name in ("ray", "ray.data"):  # a failed worker is reported once, by us (RayEmbedder.embed)
            logging.getLogger(name).setLevel(logging.CRITICAL)
        data_context = ray.data.DataContext.get_current()
        data_context.enable_progress_bars = False  # ours is one line per few seconds, see RayEmbedder.embed
        data_context.print_on_execution_start = False
    return ray.cluster_resources()


class RayEmbedder:
    """An `Embedder` whose `embed` runs on a Ray cluster: `workers` actors (0: one per CPU / `worker_cpus`),
    each with an embedder made from `settings` with `worker_cpus` threads. Token counts come from `local`,
    the same embedder in this process (it only tokenizes)."""

    def __init__(self, local: Embedder, settings: Settings, address: str = LOCAL, *, workers: int = 0,
                 worker_cpus: int = 1, block_rows: int = 4096, checkpoint_dir: Path | None = None,
                 say: Callable[[str], None] | None = None) -> None:
        workers_make = make_embedder(settings).name  # tokenizer only: the model loads on first use
        if workers_make != local.name:
            raise ValueError(f"the workers would embed with {workers_make!r}, not {local.name!r}: "
                             "pass the settings the local embedder was made from")
        self.local = local
        self.name, self.dim, self.max_tokens = local.name, local.dim, local.max_tokens
        self.settings = settings
        self.address = address
        self.workers = workers
        self.worker_cpus = max(1, worker_cpus)
        self.block_rows = max(1, block_rows)  # texts a worker takes at a time; also the checkpoint's unit
        self.checkpoint = EmbeddingCheckpoint(checkpoint_dir, local.name, local.dim) if checkpoint_dir else None
        self.say = say or (lambda message: None)
        self.texts_embedded = 0  # texts the cluster embedded (checkpointed ones are not counted)
        self.arrivals: list[tuple[float, int]] = []  # (perf_counter, rows) of each batch received: for benchmarks

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.local.count_tokens(texts)

    def worker_count(self) -> int:
        resources = connect(self.address, self.say)
        cpus = int(resources.get("CPU", 1))
        if self.workers * self.worker_cpus > cpus:  # the actor pool would wait for CPUs forever
            raise QAError(f"QA_RAY_WORKERS={self.workers} x QA_RAY_WORKER_CPUS={self.worker_cpus} needs "
                          f"{self.workers * self.worker_cpus} CPUs; the Ray cluster has {cpus}")
        return self.workers or max(1, cpus // self.worker_cpus)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        keys = text_keys(texts)
        todo = np.arange(len(texts))
        if self.checkpoint is not None:
            known = self.checkpoint.known()
            have = np.array([k in known for k in keys], bool)
            for row in np.flatnonzero(have):
                out[row] = known[keys[row]]
            todo = np.flatnonzero(~have)
            if have.any():
                self.say(f"{int(have.sum()):,} sentence(s) already embedded by an earlier run (checkpoint)")
        if len(todo):
            self._embed_on_cluster(texts, keys, todo, out)
        return out

    def _embed_on_cluster(self, texts: list[str], keys: list[str], todo: np.ndarray, out: np.ndarray) -> None:
        ray = _ray()
        import pyarrow as pa

        workers = self.worker_count()
        # Once here, before the actors start: an embedder that prepares a file on first use (the ONNX
        # export into the cache) would otherwise do it in every actor at once on this machine.
        self.local.embed(texts[:1])
        # Longest first, in blocks of similar lengths: a batch pads to its longest text, and the slowest
        # blocks start early instead of ending the job alone.
        order = todo[np.argsort([-len(texts[r]) for r in todo], kind="stable")]
        size = self.block_rows
        blocks = [pa.table({"row": order[i:i + size], "text": [texts[r] for r in order[i:i + size]]})
                  for i in range(0, len(order), size)]
        worker_settings = dataclasses.replace(self.settings, threads=self.worker_cpus)
        dataset = ray.data.from_arrow(blocks).map_batches(
            EmbedWorker, fn_constructor_kwargs={"settings": worker_settings}, batch_size=size,
            batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=self.worker_cpus)
        self.say(f"embedding {len(order):,} sentences on {workers} Ray worker(s)")
        try:
            self._receive(dataset, keys, order, out)
        except QAError:
            raise
        except Exception as e:  # a worker failed (a model missing on a node, out of memory...): Ray wraps it
            cause = next((line for line in reversed(str(e).splitlines()) if line.strip()), type(e).__name__)
            raise QAError(f"the Ray job failed: {cause.strip()[:300]}; the vectors received so far are kept, run the "
                          "same command again to go on") from None

    def _receive(self, dataset, keys: list[str], order: np.ndarray, out: np.ndarray) -> None:
        done, started, last = 0, time.perf_counter(), time.perf_counter()
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            rows = np.asarray(batch["row"], np.int64)
            vectors = np.asarray(batch["vector"], np.float32)
            out[rows] = vectors
            done += len(rows)
            self.arrivals.append((time.perf_counter(), len(rows)))
            if self.checkpoint is not None:
                self.checkpoint.add([keys[r] for r in rows], vectors)
                self.checkpoint.flush()
            now = time.perf_counter()
            if now - last >= PROGRESS_EVERY_S or done == len(order):
                rate = done / max(now - started, 1e-9)
                self.say(f"embedded {done:,}/{len(order):,} ({rate:,.0f}/s)")
                last = now
        if done != len(order):
            raise QAError(f"the Ray job returned {done:,} of {len(order):,} vectors")
        self.texts_embedded += done


def check_address(address: str) -> str:
    """`address` when it names a Ray cluster: "local", "auto" (the one `ray start` runs here), host:port or
    ray://host:port that answers; else a QAError (`qa index --ray seeds` would read the folder as an
    address), before any document is read.

    >>> check_address("local")
    'local'
    >>> check_address("seeds")
    Traceback (most recent call last):
    qa.errors.QAError: --ray 'seeds': not a Ray address (local, auto, host:port or ray://host:port); put --ray after the paths
    """
    if address in (LOCAL, "auto"):
        return address
    if ":" in address:
        _reachable(address)
        return address
    raise QAError(f"--ray {address!r}: not a Ray address (local, auto, host:port or ray://host:port); "
                  "put --ray after the paths")


def checkpoint_dir(settings: Settings, index_dir: Path) -> Path:
    """Where a Ray job on `index_dir` keeps the vectors it has received: in the cache, beside nothing the
    index's own writes replace.

    >>> checkpoint_dir(Settings(cache_dir=Path("/c")), Path("/i")).parent
    PosixPath('/c/embedding-checkpoints')
    """
    tag = hashlib.sha256(str(Path(index_dir).resolve()).encode()).hexdigest()[:12]
    return Path(settings.cache_dir) / "embedding-checkpoints" / tag


def shutdown() -> None:
    """Leave the Ray cluster (and stop it, when this process started it)."""
    try:
        import ray
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()
