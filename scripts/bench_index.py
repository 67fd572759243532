"""Benchmark of the foundation: build the seeds' index from scratch, open a current index.

Each figure is measured in a fresh process, `--runs` times; the median is reported.
  build:  `python -m qa index seeds --index TMP` from an empty folder, embedder load included
  open:   `Assistant(TMP)` on a current index, after imports (the embedder loads lazily, on first query)
  first query: the first search after opening, which loads the embedder
Run: make bench-index   (writes bench/index.json)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OPEN_SNIPPET = """
import json, sys, time
from qa.api import Assistant
t0 = time.perf_counter()
a = Assistant(sys.argv[1])
t1 = time.perf_counter()
a.search("What is Korea's robot density?", k=5)
t2 = time.perf_counter()
print(json.dumps({"open_s": t1 - t0, "first_query_s": t2 - t1, "chunks": len(a.store.chunks),
                  "vectors": len(a.store.vectors)}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "index.json"))
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    builds, opens, firsts = [], [], []
    info = {}
    for _ in range(args.runs):
        folder = Path(tempfile.mkdtemp(prefix="qa-bench-"))
        try:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "qa", "index", str(ROOT / "seeds"), "--index", str(folder)],
                           check=True, env=env, capture_output=True)
            builds.append(time.perf_counter() - t0)
            out = subprocess.run([sys.executable, "-c", OPEN_SNIPPET, str(folder)], check=True, env=env,
                                 capture_output=True, text=True).stdout
            info = json.loads(out.strip().splitlines()[-1])
            opens.append(info["open_s"])
            firsts.append(info["first_query_s"])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs": args.runs,
        "build_from_scratch_s": round(statistics.median(builds), 2),
        "open_current_index_s": round(statistics.median(opens), 3),
        "first_query_with_embedder_load_s": round(statistics.median(firsts), 2),
        "chunks": info.get("chunks"),
        "vectors": info.get("vectors"),
        "targets": {"build_from_scratch_s": 30, "open_current_index_s": 3},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print("| measure | median | target |\n|---|---|---|")
    print(f"| build the seeds' index from scratch (fresh process, embedder load included) | {result['build_from_scratch_s']} s | < 30 s |")
    print(f"| open a current index (after imports) | {result['open_current_index_s']} s | < 3 s |")
    print(f"| first query after opening (loads the embedder) | {result['first_query_with_embedder_load_s']} s | |")
    print(f"({result['chunks']} chunks, {result['vectors']} sentence vectors; {result['machine']}; {args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
