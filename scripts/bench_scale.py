"""Scale benchmark of the store: indexes of 100k and 1M passages built and queried through qa/store.py.

Vectors are clustered (a Gaussian mixture of 2,000 centres in 384 dimensions, normalized: uniform random
vectors have no neighbourhoods to find); each passage gets a generated text. Per size it reports the
index type the store chose, build time (FAISS training and adding, files written), size on disk, peak
RSS of the build, and, in a fresh process that opens the index: its memory, single-query p50/p95 for
k=10 and recall@10 against exact search on 1,000 held-out queries.

Run: make bench-scale   (or: .venv/bin/python scripts/bench_scale.py --sizes 100000 1000000)
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
import numpy as np
from qa.store import IndexStore
folder, queries_file, truth_file = sys.argv[1:4]
queries = np.load(queries_file); truth = np.load(truth_file)
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
base = rss_mb()
t = time.perf_counter()
store = IndexStore.load(folder)
open_s = time.perf_counter() - t
times, hits = [], 0
for q, want in zip(queries, truth):
    t = time.perf_counter()
    _, got = store.faiss_index.search(q.reshape(1, -1), 10)
    times.append(time.perf_counter() - t)
    hits += len(set(got[0]) & set(want))
times.sort()
print(json.dumps({"open_s": open_s, "query_p50_ms": 1000 * times[len(times) // 2],
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


def build(n: int, folder: Path, rng: np.random.Generator, centres: np.ndarray) -> dict:
    from qa.chunking import Chunk
    from qa.settings import Settings
    from qa.store import IndexStore

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
    t = time.perf_counter()
    store = IndexStore.write(folder, manifest, chunks, texts, vectors, rows, Settings().flat_max_vectors)
    build_s = time.perf_counter() - t
    size = sum(f.stat().st_size for f in store.folder.iterdir())
    faiss_size = (store.folder / "faiss.index").stat().st_size
    return {"vectors": vectors, "build_s": build_s, "disk_mb": size / 2**20, "faiss_mb": faiss_size / 2**20,
            "index_type": store.manifest["index_type"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--out", default=str(ROOT / "bench" / "scale.json"))
    args = parser.parse_args()
    import faiss

    results = []
    for n in args.sizes:
        rng = np.random.default_rng(n)
        centres = rng.standard_normal((CENTRES, DIM), dtype=np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        folder = Path(tempfile.mkdtemp(prefix=f"qa-scale-{n}-"))
        try:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            built = build(n, folder, rng, centres)
            build_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            queries = clustered(QUERIES, rng, centres)
            exact = faiss.IndexFlatIP(DIM)
            exact.add(built.pop("vectors"))
            _, truth = exact.search(queries, 10)
            del exact
            np.save(folder / "queries.npy", queries)
            np.save(folder / "truth.npy", truth)
            out = subprocess.run([sys.executable, "-c", QUERY_SNIPPET, str(folder), str(folder / "queries.npy"),
                                  str(folder / "truth.npy")], check=True, capture_output=True, text=True,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
            queried = json.loads(out.strip().splitlines()[-1])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        row = {"passages": n, **built, "build_peak_rss_mb": max(build_peak, before) / 1024, **queried}
        results.append({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()})
        print(json.dumps(results[-1]), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print("\n| passages | index | build | on disk (FAISS) | memory of the open index | query p50 / p95 (k=10) | recall@10 |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['passages']:,} | {r['index_type']} | {r['build_s']:.0f} s | {r['disk_mb']:.0f} MB "
              f"({r['faiss_mb']:.0f} MB) | {r['index_memory_mb']:.0f} MB | {r['query_p50_ms']:.2f} / "
              f"{r['query_p95_ms']:.2f} ms | {r['recall_at_10']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
