"""Fit the span reader's thresholds on the `tune` splits and the dev set (never `check`).

Every question is answered in `span` mode with refusal switched off (QA_SPAN_MIN_MARGIN far below any
margin), so each row records the reader's best margin and whether its answer is right (SCORING.md). The
refusal threshold `span_min_margin` is the margin that maximizes, over these rows,
    right answers + W x refused unanswerable questions
(W = answerable / unanswerable rows of the sets that hold unanswerable ones, as `make calibrate` weighs
them) while refusing at most `--max-refused` (10 %) of the answerable questions. The curve (share answered,
accuracy by threshold) is printed and written to bench/span-fit.json with the chosen value; the value is
then set as `Settings.span_min_margin` by hand, with this file named beside it.

Run: .venv/bin/python scripts/fit_span_reader.py --sample 200 --seed 5
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from calibrate import answer_tune_splits, balancing_weight  # noqa: E402


def collect(sample: int | None, seed: int, names: list[str]) -> list[dict]:
    """Rows of every tune split (and dev), answered in span mode without refusal (no generator loaded)."""
    from qa.settings import Settings

    settings = Settings.from_env(reader="span", span_min_margin=-1e9)
    reports = Path(os.environ.get("QA_FIT_REPORTS", ROOT / "reports" / "fit-span"))
    return answer_tune_splits(settings, sample, seed, names, reports, with_generator=False)


def margin_of(row: dict) -> float:
    """The reader's best margin for a row (-inf when it read nothing: refused whatever the threshold)."""
    margin = (row.get("features") or {}).get("span_margin")
    return float("-inf") if margin is None else float(margin)


def curve(rows: list[dict], thresholds: list[float], weight: float) -> list[dict]:
    """For each threshold: answerable right, answerable refused, unanswerable refused, and the objective.

    >>> rows = [{"type": "factoid", "correct": True, "features": {"span_margin": 2.0}},
    ...         {"type": "unanswerable", "correct": False, "features": {"span_margin": -1.0}}]
    >>> [(c["threshold"], c["objective"]) for c in curve(rows, [-2.0, 0.0, 3.0], 1.0)]
    [(-2.0, 1.0), (0.0, 2.0), (3.0, 1.0)]
    """
    answerable = [r for r in rows if r["type"] != "unanswerable"]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    points = []
    for t in thresholds:
        right = sum(1 for r in answerable if margin_of(r) >= t and r["correct"])
        refused = sum(1 for r in answerable if margin_of(r) < t)
        refused_unanswerable = sum(1 for r in unanswerable if margin_of(r) < t)
        points.append({"threshold": round(t, 4), "right": right, "answerable": len(answerable),
                       "refused_answerable": refused, "refused_unanswerable": refused_unanswerable,
                       "unanswerable": len(unanswerable),
                       "objective": round(right + weight * refused_unanswerable, 4)})
    return points


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sets", default="dev,wiki,reviews,tables")
    parser.add_argument("--max-refused", type=float, default=0.10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "span-fit.json")
    args = parser.parse_args(argv)
    rows = collect(args.sample, args.seed, args.sets.split(","))
    weight = balancing_weight(rows)
    margins = sorted({margin_of(r) for r in rows if margin_of(r) != float("-inf")})
    if not margins:
        raise SystemExit("no row reached the span reader: nothing to fit")
    thresholds = [round(x / 4, 2) for x in range(int(4 * min(margins)) - 1, int(4 * max(margins)) + 2)]
    points = curve(rows, thresholds, weight)
    allowed = [p for p in points if p["refused_answerable"] <= args.max_refused * p["answerable"]]
    if not allowed:
        raise SystemExit(f"every threshold refuses more than {args.max_refused:.0%} of the answerable rows "
                         f"(rows that reach no passage are refused at any threshold)")
    best = max(allowed, key=lambda p: (p["objective"], -p["threshold"]))
    per_set = {}
    for name in dict.fromkeys(r["set"] for r in rows):
        mine = [r for r in rows if r["set"] == name]
        totals = [r["timings"].get("total_s") for r in mine if r.get("timings", {}).get("total_s") is not None]
        per_set[name] = {**curve(mine, [best["threshold"]], 1.0)[0],
                         "p50_s": round(statistics.median(totals), 3) if totals else None}
    print(f"{'threshold':>9} {'right':>6} {'refused ans.':>12} {'refused unans.':>14} {'objective':>9}")
    for p in points:
        if p["threshold"] % 0.5 == 0 or p is best:
            mark = "  <- chosen" if p is best else ""
            print(f"{p['threshold']:>9} {p['right']:>6} {p['refused_answerable']:>12} "
                  f"{p['refused_unanswerable']:>14} {p['objective']:>9}{mark}")
    for name, p in per_set.items():
        print(f"{name}: right {p['right']}/{p['answerable']}, refused answerable {p['refused_answerable']}, "
              f"refused unanswerable {p['refused_unanswerable']}/{p['unanswerable']}, answer p50 {p['p50_s']} s")
    args.out.write_text(json.dumps({"span_min_margin": best["threshold"], "weight": round(weight, 3),
                                    "sample": args.sample, "seed": args.seed, "sets": args.sets,
                                    "max_refused": args.max_refused, "chosen": best, "per_set": per_set,
                                    "curve": points, "date": time.strftime("%Y-%m-%d %H:%M")}, indent=1) + "\n")
    print(f"span_min_margin = {best['threshold']} (written to {args.out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
