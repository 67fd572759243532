"""Index a long PDF (written by scripts/make_fixtures.py) with `qa index` in a fresh process: wall time,
peak memory (the child's maximum resident set) and what was indexed. Writes bench/pdf-<pages>.json.

    python scripts/bench_pdf.py --pages 300
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        pdf, index = Path(tmp) / f"long-{args.pages}.pdf", Path(tmp) / "index"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_fixtures.py"), "--long", str(args.pages), str(pdf)],
                       check=True, capture_output=True)
        t0 = time.perf_counter()
        # stderr goes to the terminal: the progress lines are part of what is measured
        run = subprocess.run([sys.executable, "-m", "qa", "index", str(pdf), "--index", str(index)],
                             cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ})
        seconds = time.perf_counter() - t0
        if run.returncode != 0:
            print(run.stdout, file=sys.stderr)
            return run.returncode
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        generation = (index / "CURRENT").read_text().strip()
        manifest = json.loads((index / generation / "manifest.json").read_text())
        record = manifest["documents"][0]
        result = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "pages": args.pages, "pdf_bytes": pdf.stat().st_size, "chars": record["chars"],
                  "chunks": record["chunks"], "page_marks": len(record["marks"]), "seconds": round(seconds, 1),
                  "peak_rss_mb": round(peak_mb), "limit_mb": 1536}
    out = args.out or ROOT / "bench" / f"pdf-{args.pages}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0 if result["peak_rss_mb"] <= result["limit_mb"] else 1


if __name__ == "__main__":
    sys.exit(main())
