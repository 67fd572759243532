"""Did a change that should not change behaviour (moving code: issue 33) change any answer?

`record` answers the seeds dev set and a seeded 100-row sample of each public `tune` split (wiki, reviews,
tables; seed 5) with the default settings, without the answer cache or the generator's reply cache, and
writes each answer's text, refusal and citations (document and quoted sentence) to
`bench/answers-snapshot.jsonl`. `compare` answers the same questions again and lists every question whose
text, refusal or citations differ from the snapshot; it exits 1 when any does. Only `tune` and dev rows are
asked (never `check`).

Run: .venv/bin/python scripts/answers_unchanged.py record     (before the change, committed)
     .venv/bin/python scripts/answers_unchanged.py compare    (after it)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "bench" / "answers-snapshot.jsonl"
SETS = ("dev", "wiki", "reviews", "tables")
SAMPLE, SEED = 100, 5


def snapshot_row(name: str, row: dict) -> dict:
    """What must not change of one evaluated row: its text, refusal and citations.

    >>> snapshot_row("wiki", {"id": "w1", "answer": "Paris [1].", "refused": False,
    ...                       "citations": [{"n": 1, "source": "a.txt", "quote": "Paris is...", "score": 0.5}]})
    {'set': 'wiki', 'id': 'w1', 'text': 'Paris [1].', 'refused': False, 'citations': [['a.txt', 'Paris is...']]}
    """
    return {"set": name, "id": row["id"], "text": row["answer"], "refused": row["refused"],
            "citations": [[c["source"], c["quote"]] for c in row.get("citations") or []]}


def differences(before: list[dict], after: list[dict]) -> list[str]:
    """One line per question whose answer differs, or that only one side asked.

    >>> a = {"set": "dev", "id": "q1", "text": "7 [1].", "refused": False, "citations": [["s.txt", "It is 7."]]}
    >>> differences([a], [a]), differences([a], [{**a, "text": "8 [1]."}])
    ([], ["dev q1: text '7 [1].' -> '8 [1].'"])
    """
    old = {(r["set"], r["id"]): r for r in before}
    new = {(r["set"], r["id"]): r for r in after}
    lines = [f"{s} {i}: not asked now" for s, i in old.keys() - new.keys()]
    lines += [f"{s} {i}: not in the snapshot" for s, i in new.keys() - old.keys()]
    for key in sorted(old.keys() & new.keys()):
        for field in ("text", "refused", "citations"):
            if old[key][field] != new[key][field]:
                lines.append(f"{key[0]} {key[1]}: {field} {old[key][field]!r} -> {new[key][field]!r}")
    return lines


def answer_now() -> list[dict]:
    """Ask the questions with no cache of any kind (a fresh answer cache folder, no reply cache)."""
    with tempfile.TemporaryDirectory() as tmp:
        # the default settings whatever this shell has set (QA_GENERATION_CACHE_DIR among them): only where
        # the models and the public sets are
        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_") or k in ("QA_CACHE_DIR", "QA_PUBLIC_DIR")}
        subprocess.run([sys.executable, str(ROOT / "scripts" / "eval_public.py"), "--sets", ",".join(SETS),
                        "--splits", "tune", "--sample", str(SAMPLE), "--seed", str(SEED), "--no-cache",
                        "--out", str(Path(tmp) / "public.json")], cwd=ROOT, env=env, check=True)
    rows = []
    for name in SETS:
        results = ROOT / "reports" / "public" / f"{name}-tune" / "results.jsonl"
        rows += [snapshot_row(name, json.loads(line)) for line in results.read_text(encoding="utf-8").splitlines()]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("record", "compare"))
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    args = parser.parse_args(argv)
    if args.action == "compare" and not args.snapshot.is_file():
        parser.error(f"no snapshot at {args.snapshot}: record one first, before the change")
    t0 = time.perf_counter()
    rows = answer_now()
    if args.action == "record":
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        args.snapshot.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} answers recorded at {commit} in {args.snapshot} ({time.perf_counter() - t0:.0f} s)")
        return 0
    before = [json.loads(line) for line in args.snapshot.read_text(encoding="utf-8").splitlines()]
    lines = differences(before, rows)
    for line in lines:
        print(line)
    print(f"{len(rows)} answers, {len(lines)} differences from {args.snapshot.name} ({time.perf_counter() - t0:.0f} s)")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
