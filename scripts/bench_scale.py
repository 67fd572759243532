"""Scale benchmark of the stores: indexes of 100k and 1M passages built and queried through qa/index/store.py
(FAISS files) and qa/index/milvus.py (Milvus Lite), side by side in one run.

Vectors are clustered (a Gaussian mixture of 2,000 centres in 384 dimensions, normalized: uniform random
vectors have no neighbourhoods to find); each passage gets a generated text. Per size it reports the
index type the store chose, build time (FAISS training and adding, files written), size on disk, peak
RSS of the build, and, in a fresh process that opens the index: its memory, single-query p50/p95 for
k=10 and recall@10 against exact search on 1,000 held-out queries.

Milvus Lite is a single-process engine written in Python on FAISS: its figures say that the Milvus path
works at this size and what it costs on one machine, not how a Milvus cluster performs.

Run: make bench-scale   (or: .venv/bin/python scripts/bench_scale.py --sizes 100000 1000000 --stores faiss)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIM, CENTRES, NOISE, QUERIES = 384, 2000, 0.03, 1000

QUERY_SNIPPET = """
import json, resource, sys, time
from pathlib import Path
import numpy as np
from qa.index.store import IndexStore
folder, queries_file, truth_file, kind = sys.argv[1:5]
queries = np.load(queries_file); truth = np.load(truth_file)
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
base = rss_mb()
t = time.perf_counter()
if kind == "milvus":
    from qa.index.milvus import MilvusBackend
    from qa.settings import Settings
    store = MilvusBackend(Settings(store="milvus", milvus_uri=str(Path(folder) / "milvus.db"))).load(Path(folder))
else:
    store = IndexStore.load(folder)
open_s = time.perf_counter() - t
times, hits = [], 0
for q, want in zip(queries, truth):
    t = time.perf_counter()
    _, got = store.search_windows(q, 10)
    times.append(time.perf_counter() - t)
    hits += len(set(got.tolist()) & set(want.tolist()))
times.sort()
print(json.dumps({"index_type": store.describe(), "open_s": open_s, "query_p50_ms": 1000 * times[len(times) // 2],
                  "query_p95_ms": 1000 * times[int(0.95 * (len(times) - 1))],
                  "recall_at_10": hits / (10 * len(queries)),
                  "index_memory_mb": rss_mb() - base,
                  "process_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def clustered(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        block = centres[rng.integers(0, len(centres), m)] + NOISE * rng.standard_normal((m, DIM), dtype=np.float32)
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def build(n: int, rng: np.random.Generator, centres: np.ndarray):
    """The synthetic index's parts (manifest, chunks, texts, vectors, window rows): a passage per vector."""
    from qa.ingest.chunking import Chunk

    vectors = clustered(n, rng, centres)
    per_doc = 1000
    chunks, texts, docs = [], {}, []
    for d in range(0, n, per_doc):
        doc_id = f"doc{d // per_doc:05d}.txt"
        parts, offset = [], 0
        for i in range(d, min(n, d + per_doc)):
            text = f"Passage {i} about topic {i % CENTRES}."
            chunks.append(Chunk(f"c{i:08d}", doc_id, offset, offset + len(text), text))
            parts.append(text)
            offset += len(text) + 1
        texts[doc_id] = " ".join(parts)
        docs.append({"id": doc_id, "path": doc_id, "sha256": "0" * 64, "size": len(texts[doc_id]), "mtime_ns": 0,
                     "chunks": len(parts), "chars": len(texts[doc_id])})
    rows = np.zeros((n, 4), dtype=np.int64)
    rows[:, 0] = rows[:, 1] = np.arange(n)
    rows[:, 3] = [c.end - c.start for c in chunks]
    rows[:, 2] = 0
    for i, c in enumerate(chunks):
        rows[i, 2], rows[i, 3] = c.start, c.end
    manifest = {"compat": {"benchmark": True}, "sources": [], "documents": docs}
    return manifest, chunks, texts, vectors, rows


def write(kind: str, folder: Path, data) -> dict:
    """Write the index through the store `kind`; its build time, size on disk and index type."""
    from qa.index.store import IndexStore
    from qa.settings import Settings

    settings = Settings(store=kind, milvus_uri=str(folder / "milvus.db"))
    t = time.perf_counter()
    if kind == "milvus":
        from qa.index.milvus import MilvusBackend

        store = MilvusBackend(settings).write(folder, *data, settings.flat_max_vectors)
    else:
        store = IndexStore.write(folder, *data, settings.flat_max_vectors)
    build_s = time.perf_counter() - t
    # the benchmark's own queries and exact answers lie in the folder too: not part of the index
    files = [f for f in folder.rglob("*") if f.is_file() and f.name not in ("queries.npy", "truth.npy")]
    size = sum(f.stat().st_size for f in files)
    return {"build_s": build_s, "ingest_per_s": len(data[3]) / build_s, "disk_mb": size / 2**20,
            "index_type": store.describe().split(" at ")[0].split(" in ")[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--stores", default="faiss,milvus", help="comma-separated: faiss, milvus")
    parser.add_argument("--out", default=str(ROOT / "bench" / "scale.json"))
    args = parser.parse_args()
    import faiss

    results = []
    for n in args.sizes:
        rng = np.random.default_rng(n)
        centres = rng.standard_normal((CENTRES, DIM), dtype=np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        data = build(n, rng, centres)
        queries = clustered(QUERIES, rng, centres)
        exact = faiss.IndexFlatIP(DIM)
        exact.add(data[3])
        _, truth = exact.search(queries, 10)
        del exact
        for kind in args.stores.split(","):
            folder = Path(tempfile.mkdtemp(prefix=f"qa-scale-{n}-{kind}-"))
            try:
                np.save(folder / "queries.npy", queries)
                np.save(folder / "truth.npy", truth)
                # each write in its own process: its peak memory is its own
                out = subprocess.run([sys.executable, __file__, "--write", kind, str(folder), str(n)], check=True,
                                     capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
                built = json.loads(out.strip().splitlines()[-1])
                out = subprocess.run([sys.executable, "-c", QUERY_SNIPPET, str(folder), str(folder / "queries.npy"),
                                      str(folder / "truth.npy"), kind], check=True, capture_output=True, text=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
                queried = json.loads(out.strip().splitlines()[-1])
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            row = {"store": kind, "passages": n, **built, **queried, "index_type": built["index_type"],
                   "searched_by": queried["index_type"]}
            results.append({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()})
            print(json.dumps(results[-1]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print("\n| store | passages | index | build (ingest rate) | on disk | open | memory of the open index "
          "| query p50 / p95 (k=10) | recall@10 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['store']} | {r['passages']:,} | {r['index_type']} | {r['build_s']:.0f} s "
              f"({r['ingest_per_s']:,.0f}/s) | {r['disk_mb']:.0f} MB | {r['open_s']:.1f} s "
              f"| {r['index_memory_mb']:.0f} MB | {r['query_p50_ms']:.2f} / {r['query_p95_ms']:.2f} ms "
              f"| {r['recall_at_10']:.3f} |")
    return 0


def write_main(kind: str, folder: str, n: int) -> int:
    """Child process: rebuild the same data (same seed) and write it through the store `kind`."""
    rng = np.random.default_rng(n)
    centres = rng.standard_normal((CENTRES, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    data = build(n, rng, centres)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    row = write(kind, Path(folder), data)
    row["build_peak_rss_mb"] = max(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        sys.exit(write_main(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    sys.exit(main())
