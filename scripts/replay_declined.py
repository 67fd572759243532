"""Replay the declining-generator refusal (QA_SPAN_REFUSE_WHEN_DECLINED) over a `tune` run made without it.

In `both` mode the generator is asked only when the span reader is unsure; with the rule off, a reply saying
the passage does not answer falls back to the unsure span, with the rule on it is a refusal. Nothing else
differs, so the rule's effect on a run's rows is exact: each row whose recorded reply declines (and was not
itself the answer) becomes a refusal. Reads reports/public/<set>-tune/results.jsonl (written by
scripts/eval_public.py) and the set's tune questions; prints both sides per set.

    .venv/bin/python scripts/replay_declined.py --sets wiki,reviews,tables --out bench/declined-replay.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.answer.verification import declines_the_passage  # noqa: E402

PUBLIC = Path(os.environ.get("QA_PUBLIC_DIR", ROOT.parent / "shared" / "eval" / "public"))


def declined(row: dict) -> bool:
    """True when the row's generator reply says the passage does not answer and the span answered instead."""
    reply = row.get("raw") or ""
    return (bool(reply) and (row.get("features") or {}).get("answered_by") != "generator"
            and declines_the_passage(reply))


def figures(rows: list[dict], unanswerable: set[str], refuse_declined: bool) -> dict:
    """Answerable accuracy, answerable refused, unanswerable refused and token F1 of `rows`."""
    def refused(r: dict) -> bool:
        return r["refused"] or (refuse_declined and declined(r))
    answerable = [r for r in rows if r["id"] not in unanswerable]
    others = [r for r in rows if r["id"] in unanswerable]
    return {"answerable": len(answerable),
            "answerable_accuracy": round(sum(r["correct"] and not refused(r) for r in answerable) / len(answerable), 4),
            "answerable_refused": round(sum(map(refused, answerable)) / len(answerable), 4),
            "unanswerable_refused": round(sum(map(refused, others)) / len(others), 4) if others else None,
            "token_f1": round(sum(0 if refused(r) else r["f1"] for r in answerable) / len(answerable), 4),
            "declined": sum(map(declined, rows))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="wiki,reviews,tables")
    parser.add_argument("--reports", default=str(ROOT / "reports" / "public"))
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    out = {}
    for name in args.sets.split(","):
        questions = [json.loads(line) for line in (PUBLIC / name / "tune.jsonl").read_text().splitlines() if line]
        unanswerable = {q["id"] for q in questions if q["type"] == "unanswerable"}
        rows = [json.loads(line) for line in (Path(args.reports) / f"{name}-tune" / "results.jsonl").read_text()
                .splitlines() if line]
        out[name] = {"rule_off": figures(rows, unanswerable, False), "rule_on": figures(rows, unanswerable, True)}
        print(name, json.dumps(out[name]))
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
