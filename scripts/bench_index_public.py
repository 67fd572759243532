"""Indexing throughput on the public corpora: each corpus indexed from scratch into a temporary folder
(the embedder loaded and warmed first), sentences per second. `--code DIR` runs another checkout's `qa`
(e.g. a worktree of an earlier commit) with this one's interpreter, so two versions are compared in one
session on one machine. Writes (or adds to) bench/index-public.json.

    .venv/bin/python scripts/bench_index_public.py [--code /tmp/base --label before]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = Path(os.environ.get("QA_PUBLIC_DIR", ROOT.parent / "shared" / "eval" / "public"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", default=str(ROOT), help="the checkout whose qa package is measured")
    parser.add_argument("--label", default="now")
    parser.add_argument("--corpora", default="wiki,reviews,tables")
    parser.add_argument("--out", default=str(ROOT / "bench" / "index-public.json"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(args.code).resolve()))
    from qa.index.sync import sync_index
    from qa.models.embedding import make_embedder
    from qa.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(cache_dir=Path(tmp) / "cache")
        embedder = make_embedder(settings)
        embedder.embed(["warm-up sentence"] * 8)
        result = {"commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=args.code, capture_output=True,
                                           text=True).stdout.strip(),
                  "date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                  "load_average_start": [round(x, 2) for x in os.getloadavg()], "corpora": {}}
        for name in args.corpora.split(","):
            t0 = time.perf_counter()
            store, report = sync_index(Path(tmp) / f"index-{name}", [PUBLIC / name / "corpus"], embedder, settings)
            seconds = time.perf_counter() - t0
            sentences = len(store.window_rows)
            result["corpora"][name] = {"documents": len(report.indexed), "sentences": sentences,
                                       "seconds": round(seconds, 2), "sentences_per_s": round(sentences / seconds, 1)}
            print(f"{args.label} {name}: {sentences} sentences in {seconds:.1f} s ({sentences / seconds:.0f}/s)",
                  file=sys.stderr)
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.is_file() else {}
    results[args.label] = result
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
