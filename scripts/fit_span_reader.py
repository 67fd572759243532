"""Fit the span reader's thresholds on the `tune` splits and the dev set (never `check`).

Every question is answered in `span` mode with refusal switched off (QA_SPAN_MIN_MARGIN far below any
margin), so each row records the reader's best margin and whether its answer is right (SCORING.md). The
refusal threshold `span_min_margin` is the margin that maximizes, over these rows,
    right answers + W x refused unanswerable questions
(W = answerable / unanswerable rows of the sets that hold unanswerable ones, as `make calibrate` weighs
them) while refusing at most `--max-refused` (10 %) of the answerable questions of any one set. With it,
the coverage refusal: an unsure span (margin under `span_uncovered_margin`) over a passage that names under
`span_uncovered_share` of the question's terms is refused too; the pair is fitted jointly with the margin
(`--no-coverage`: the margin alone). The curve (share answered, accuracy by threshold) is printed and written to bench/span-fit.json with the chosen value; the value is
then set as `Settings.span_min_margin` (and the pair) by hand, with this file named beside it. The same rows fit
`span_list_gap`: a question that asks for several things (qa/answer/questions.py) is answered with the spans
its answer recorded (`span_alternatives`) whose margin is within the gap of the best one's, the answer
rescored by SCORING.md; the gap chosen maximizes right answers + token F1 over the answerable rows
(-1: never list).

With `--both`, the same rows are answered again in `both` mode with the generator reading every question
(span_alone_margin far above any margin; no reply cache, so that each reply is timed), and the curve of
`span_alone_margin` is printed and written to bench/both-fit.json: for each threshold, the share the span
reader answers alone, answerable accuracy, and the answer p50 (each row timed by the path it takes). The
threshold chosen is the most accurate at which every set answers at least `--min-fast-share` (0.6) of its
questions without the generator: the issue's speed line (answer p50 within 1.0 s) holds set by set, and a
set's p50 is a fast one only when over half its questions take the fast path (the generator's path takes
3-4 s on two cores). The rows' own p50 is printed, not used: `--reuse` re-reads a run's rows, whose replies
may have come from the cache.

Run: .venv/bin/python scripts/fit_span_reader.py --sample 200 --seed 5
     .venv/bin/python scripts/fit_span_reader.py --sample 0 --rank-weight 2.25 --max-refused 0.08
     .venv/bin/python scripts/fit_span_reader.py --sample 100 --seed 5 --both --min-margin -3.75 --out /tmp/f.json
     .venv/bin/python scripts/fit_span_reader.py --reuse reports --both --min-margin -3.75 --out /tmp/f.json
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

from qa.settings import Settings  # noqa: E402


def collect(sample: int | None, seed: int, names: list[str], reader: str = "span",
            rank_weight: float = 0.0) -> list[dict]:
    """Rows of every tune split (and dev), answered without refusal: in span mode (no generator loaded), or
    in both mode with the generator reading every question the span reader does not refuse."""
    # no reply cache: the curve's p50 needs every reply timed
    settings = Settings.from_env(reader=reader, span_min_margin=-1e9, span_alone_margin=1e9, span_list_gap=-1.0,
                                 span_uncovered_share=0.0,
                                 span_rank_weight=rank_weight, generation_cache_dir="")
    reports = Path(os.environ.get("QA_FIT_REPORTS", ROOT / "reports")) / f"fit-{reader}"
    return answer_tune_splits(settings, sample or None, seed, names, reports, with_generator=reader == "both")


def margin_of(row: dict) -> float:
    """The reader's best margin for a row (-inf when it read nothing: refused whatever the threshold)."""
    margin = (row.get("features") or {}).get("span_margin")
    return float("-inf") if margin is None else float(margin)


def answering_passage(margins: list, weight: float, floor: float) -> int | None:
    """The passage the span path answers from, as the orchestrator ranks them: those at or over the refusal
    margin `floor` first, then by margin less `weight` x retrieval rank (the first on ties); None without
    margins.

    >>> answering_passage([1.0, 3.0], 2.5, -9.0), answering_passage([-6.0, 0.0], 9.0, -5.0)
    (0, 1)
    """
    if not margins:
        return None
    finite = [float("-inf") if m is None else m for m in margins]
    return min(range(len(finite)), key=lambda i: (finite[i] < floor, -(finite[i] - weight * i), i))


def coverage_table(rows: list[dict], thresholds: list[float], weight: float):
    """For each threshold (as the refusal margin) and row: the coverage and the margin of the passage the row
    is answered from (`answering_passage`); coverage 1.0 and margin -inf where unrecorded."""
    import numpy as np

    covers = np.ones((len(thresholds), len(rows)))
    margins = np.full((len(thresholds), len(rows)), float("-inf"))
    for j, r in enumerate(rows):
        features = r.get("features") or {}
        passage_margins, passage_covers = features.get("span_passage_margins"), features.get("span_passage_coverages")
        if not passage_margins or not passage_covers or len(passage_covers) != len(passage_margins):
            continue
        for i, t in enumerate(thresholds):
            p = answering_passage(passage_margins, weight, t)
            covers[i, j] = passage_covers[p]
            margins[i, j] = float("-inf") if passage_margins[p] is None else passage_margins[p]
    return covers, margins


def curve(rows: list[dict], thresholds: list[float], weight: float, share: float = 0.0,
          uncovered: float = 0.0, rank_weight: float = 0.0, table=None) -> list[dict]:
    """For each threshold: answerable right, answerable refused, unanswerable refused, and the objective,
    with the coverage refusal at (`share`, `uncovered`) as the orchestrator applies it: the answering
    passage (`coverage_table` at `rank_weight`, computed when not given) covering under `share` of the question while its
    margin is under `uncovered`.

    >>> rows = [{"type": "factoid", "correct": True, "features": {"span_margin": 2.0}},
    ...         {"type": "unanswerable", "correct": False, "features": {"span_margin": -1.0,
    ...          "span_passage_margins": [-1.0], "span_passage_coverages": [0.2]}}]
    >>> [(c["threshold"], c["objective"]) for c in curve(rows, [-2.0, 0.0, 3.0], 1.0)]
    [(-2.0, 1.0), (0.0, 2.0), (3.0, 1.0)]
    >>> curve(rows, [-2.0], 1.0, share=0.5, uncovered=1.0)[0]["objective"]
    2.0
    """
    import numpy as np

    covers, passage_margins = table if table is not None else coverage_table(rows, thresholds, rank_weight)
    margins = np.array([margin_of(r) for r in rows], dtype=float)
    unanswerable = np.array([r["type"] == "unanswerable" for r in rows], dtype=bool)
    correct = np.array([bool(r["correct"]) for r in rows]) & ~unanswerable
    sets = np.array([r.get("set", "") for r in rows])
    # (a set of under 100 answerable rows, the dev set's 30, is too small to hold to a share)
    answerable_of = {name: mine for name in dict.fromkeys(sets.tolist())
                     if (mine := ~unanswerable & (sets == name)).sum() >= 100}
    points = []
    for i, t in enumerate(thresholds):
        refused = (margins < t) | ((covers[i] < share) & (passage_margins[i] < uncovered))
        refused_unanswerable = int((refused & unanswerable).sum())
        right = int((correct & ~refused).sum())
        # the most any one set refuses of its answerable questions (the line holds set by set)
        worst = max((float((refused & mine).sum() / mine.sum()) for mine in answerable_of.values() if mine.any()),
                    default=0.0)
        points.append({"threshold": round(t, 4), "share": share, "uncovered": uncovered, "right": right,
                       "answerable": int((~unanswerable).sum()), "refused_answerable": int((refused & ~unanswerable).sum()),
                       "set_refused_max": round(worst, 4),
                       "refused_unanswerable": refused_unanswerable, "unanswerable": int(unanswerable.sum()),
                       "objective": round(right + weight * refused_unanswerable, 4)})
    return points


def both_curve(span_rows: list[dict], both_rows: list[dict], min_margin: float,
               thresholds: list[float]) -> list[dict]:
    """For each `span_alone_margin`: the rows the span reader answers alone (its margin at or over it), the
    answerable right (a row under it takes its `both_rows` result: the generator read it), and the answer
    p50 with each row timed by the path it takes. Rows pair by set and id; under `min_margin`: refused.

    >>> s = [{"set": "w", "id": i, "type": "factoid", "correct": c, "features": {"span_margin": m},
    ...       "timings": {"total_s": 0.2}} for i, c, m in [(1, True, 5.0), (2, False, 1.0)]]
    >>> b = [{**r, "correct": True, "timings": {"total_s": 2.0}} for r in s]
    >>> [(c["threshold"], c["right"], c["alone"], c["p50_s"]) for c in both_curve(s, b, -9.0, [0.0, 3.0, 9.0])]
    [(0.0, 1, 2, 0.2), (3.0, 2, 1, 1.1), (9.0, 2, 0, 2.0)]
    >>> both_curve(s, b, -9.0, [3.0])[0]["set_fast_min"]
    0.5
    """
    from qa.answer.questions import answered_by_its_sentence

    generated = {(r["set"], r["id"]): r for r in both_rows}
    pairs = [(r, generated[(r["set"], r["id"])]) for r in span_rows if (r["set"], r["id"]) in generated]
    answerable = sum(1 for r, _ in pairs if r["type"] != "unanswerable")
    points = []
    for t in thresholds:
        right = alone = 0
        times = []
        for span, both in pairs:
            margin = margin_of(span)
            chosen = span if margin >= t or margin < min_margin else both
            alone += chosen is span and margin >= min_margin
            right += margin >= min_margin and span["type"] != "unanswerable" and bool(chosen["correct"])
            if chosen.get("timings", {}).get("total_s") is not None:
                times.append(chosen["timings"]["total_s"])
        points.append({"threshold": round(t, 4), "right": right, "answerable": answerable,
                       "accuracy": round(right / answerable, 4) if answerable else None, "alone": alone,
                       "rows": len(pairs), "p50_s": round(statistics.median(times), 3) if times else None,
                       "set_fast_min": min(fast_shares(pairs, t, min_margin, answered_by_its_sentence).values(),
                                            default=None)})
    return points


def fast_shares(pairs: list[tuple[dict, dict]], threshold: float, min_margin: float,
                by_sentence=lambda question: False) -> dict[str, float]:
    """Each set's share of questions answered without the generator at this threshold (answered alone,
    refused, or a yes-or-no or reason question, which the span's sentence answers). The speed line holds set by set:
    a set's answer p50 is a fast one only when over half its questions take the fast path."""
    fast: dict[str, list[bool]] = {}
    for span, _ in pairs:
        margin = margin_of(span)
        fast.setdefault(span["set"], []).append(margin >= threshold or margin < min_margin
                                                 or by_sentence(span.get("question", "")))
    return {name: round(sum(f) / len(f), 3) for name, f in fast.items()}


def saved_rows(reports: Path, reader: str) -> list[dict]:
    """The rows an earlier run of this script wrote under `reports` (fit-span/, fit-both/), each with its set."""
    rows = []
    for results in sorted((reports / f"fit-{reader}").glob("*/results.jsonl")):
        rows += [{**json.loads(line), "set": results.parent.name} for line in results.read_text().splitlines()]
    if not rows:
        raise SystemExit(f"no saved rows under {reports / f'fit-{reader}'}")
    return rows


def fit_both(args, span_rows: list[dict], min_margin: float) -> None:
    """The `span_alone_margin` curve from the span rows and the same rows read by the generator: the most
    accurate threshold whose answer p50 is within `--max-p50` in every set."""
    both_rows = (saved_rows(args.reuse, "both") if args.reuse else
                 collect(args.sample, args.seed, args.sets.split(","), reader="both", rank_weight=args.rank_weight))
    margins = [margin_of(r) for r in span_rows if margin_of(r) != float("-inf")]
    thresholds = [round(x / 2, 2) for x in range(int(2 * min(margins)) - 1, int(2 * max(margins)) + 3)]
    points = both_curve(span_rows, both_rows, min_margin, thresholds)
    # the answer p50 of the rows' own timings is not used to choose: a re-run reads cached replies
    fast = [p for p in points if p["set_fast_min"] is not None and p["set_fast_min"] >= args.min_fast_share]
    best = max(fast, key=lambda p: (p["right"], -p["threshold"])) if fast else None
    print(f"{'alone at':>9} {'alone':>6} {'right':>6} {'accuracy':>8} {'p50 s':>6} {'least fast share':>16}")
    for p in points:
        mark = "  <- chosen" if p is best else ""
        print(f"{p['threshold']:>9} {p['alone']:>6} {p['right']:>6} {p['accuracy']:>8} {p['p50_s']:>6} "
              f"{p['set_fast_min']:>16}{mark}")
    per_set = {}
    for name in dict.fromkeys(r["set"] for r in span_rows):
        mine = [r for r in span_rows if r["set"] == name]
        at = [best["threshold"]] if best else []
        per_set[name] = both_curve(mine, [r for r in both_rows if r["set"] == name], min_margin,
                                   at + [1e9, -1e9])  # chosen, generator always, span always
    out = args.both_out
    about = ("span_alone_margin: the most accurate threshold at which every set answers at least min_fast_share "
             "of its questions without the generator (set_fast_min). p50_s is the rows' own timing"
             + (f", re-read from {args.reuse} (replies there may have come from the cache: not a speed figure)"
                if args.reuse else ", every reply uncached") + ".")
    out.write_text(json.dumps({"_about": about, "span_alone_margin": best["threshold"] if best else None,
                               "span_min_margin": min_margin, "min_fast_share": args.min_fast_share, "sample": args.sample,
                               "seed": args.seed, "sets": args.sets, "chosen": best, "per_set": per_set,
                               "curve": points, "date": time.strftime("%Y-%m-%d %H:%M")}, indent=1) + "\n")
    print(f"span_alone_margin = {best['threshold'] if best else None} (written to {out})", file=sys.stderr)


def list_curve(rows: list[dict], gold: dict, gaps: list[float]) -> list[dict]:
    """For each list gap: right answers and token F1 summed over the answerable rows when a question that asks
    for several things also lists the recorded alternatives within the gap of the best margin (the answer
    text rescored by SCORING.md; rows answered by the generator or refused are left as they are).

    >>> q = {"type": "list", "answers": ["amber", "fish"]}
    >>> rows = [{"set": "w", "id": 1, "type": "list", "question": "What goods are sold?", "answer": "fish [1].",
    ...          "refused": False, "correct": False, "f1": 0.5,
    ...          "features": {"span_margin": 5.0, "answered_by": "span", "span_alternatives": [["amber", 4.0]]}}]
    >>> [(c["gap"], c["right"]) for c in list_curve(rows, {("w", 1): q}, [0.5, 2.0])]
    [(0.5, 0), (2.0, 1)]
    """
    from qa.answer.questions import answered_by_its_sentence, asks_for_several
    from qa.eval.scoring import score_answer, token_f1

    points = []
    for gap in gaps:
        right = f1 = 0.0
        for r in rows:
            if r["type"] == "unanswerable":
                continue
            features = r.get("features") or {}
            text, correct, score = r["answer"], r["correct"], r.get("f1") or 0.0
            if (not r["refused"] and features.get("answered_by") == "span" and asks_for_several(r["question"])
                    and not answered_by_its_sentence(r["question"])):
                extra = [t for t, m in features.get("span_alternatives") or []
                         if m is not None and m >= features["span_margin"] - gap]
                if extra:
                    q = gold[(r["set"], r["id"])]
                    text = f"{text} {', '.join(extra)}"
                    correct = score_answer(q, text, False)["correct"]
                    score = token_f1(q, text, False)
            right += bool(correct)
            f1 += score
        points.append({"gap": gap, "right": int(right), "f1_sum": round(f1, 3)})
    return points


def chosen_passage(margins: list, answers: list, weight: float, floor: float) -> int | None:
    """The passage answered from at this rank weight, as qa/answer/orchestrator.py chooses it: the highest margin less
    weight x rank among those with an answer and a margin of at least `floor` (the refusal margin).

    >>> chosen_passage([1.0, 3.0, None], ["a", "b", None], 0.0, -9), chosen_passage([1.0, 3.0], ["a", "b"], 2.5, -9)
    (1, 0)
    >>> chosen_passage([1.0, 3.0], ["a", "b"], 2.5, 2.0)
    1
    """
    scored = [(m - weight * i, -i, i) for i, (m, a) in enumerate(zip(margins, answers))
              if m is not None and m >= floor and a]
    return max(scored)[2] if scored else None


def rank_curve(rows: list[dict], gold: dict, weights: list[float], floor: float) -> list[dict]:
    """For each rank weight: right answers and token F1 summed over the answerable rows answered by the span
    reader, each row answered from the passage that weight chooses (a row whose passage does not change keeps
    its measured answer, lists included; any other is its passage's answer rescored by SCORING.md).

    >>> q = {"type": "factoid", "answers": ["amber"]}
    >>> rows = [{"set": "w", "id": 1, "type": "factoid", "answer": "fish [1].", "refused": False,
    ...          "correct": False, "f1": 0.0, "features": {"answered_by": "span", "span_passage": 1,
    ...          "span_passage_margins": [2.0, 3.0], "span_passage_answers": ["amber", "fish"]}}]
    >>> [(c["weight"], c["right"]) for c in rank_curve(rows, {("w", 1): q}, [0.0, 2.0], -9.0)]
    [(0.0, 0), (2.0, 1)]
    """
    from qa.eval.scoring import score_answer, token_f1

    points = []
    for weight in weights:
        right = f1 = 0.0
        for r in rows:
            if r["type"] == "unanswerable":
                continue
            features = r.get("features") or {}
            correct, score = r["correct"], r.get("f1") or 0.0
            margins, answers = features.get("span_passage_margins"), features.get("span_passage_answers")
            if not r["refused"] and features.get("answered_by") == "span" and margins and answers:
                chosen = chosen_passage(margins, answers, weight, floor)
                if chosen is not None and chosen != features.get("span_passage"):
                    q = gold[(r["set"], r["id"])]
                    correct = score_answer(q, answers[chosen], False)["correct"]
                    score = token_f1(q, answers[chosen], False)
            right += bool(correct)
            f1 += score
        points.append({"weight": weight, "right": int(right), "f1_sum": round(f1, 3)})
    return points


def tune_gold(rows: list[dict]) -> dict:
    """The tune questions of the rows' sets, by (set, id)."""
    from eval_public import SETS

    from qa.eval.evaluation import load_questions

    return {(name, q["id"]): q for name in dict.fromkeys(r["set"] for r in rows)
            for q in load_questions(SETS[name][1]["tune"])}


def fit_rank(rows: list[dict], floor: float) -> tuple[float, list[dict], dict]:
    """The rank weight that maximizes right answers + token F1 over the answerable tune rows (answered from
    passages whose margin is at least `floor`, the refusal margin)."""
    gold = tune_gold(rows)
    points = rank_curve(rows, gold, [x / 4 for x in range(0, 41)], floor)
    best = max(points, key=lambda p: (p["right"] + p["f1_sum"], -p["weight"]))
    print(f"{'rank weight':>11} {'right':>6} {'F1 sum':>8}")
    for p in points:
        if p["weight"] % 1 == 0 or p is best:
            print(f"{p['weight']:>11} {p['right']:>6} {p['f1_sum']:>8}{'  <- chosen' if p is best else ''}")
    per_set = {name: rank_curve([r for r in rows if r["set"] == name], gold, [0.0, best["weight"]], floor)
               for name in dict.fromkeys(r["set"] for r in rows)}
    for name, (off, on) in per_set.items():
        print(f"{name}: right {off['right']} -> {on['right']}, F1 sum {off['f1_sum']} -> {on['f1_sum']}")
    return best["weight"], points, per_set


def fit_lists(args, rows: list[dict]) -> tuple[float, list[dict], dict]:
    """The list gap that maximizes right answers + token F1 over the answerable tune rows (-1: never list)."""
    gold = tune_gold(rows)
    points = list_curve(rows, gold, [-1.0] + [x / 4 for x in range(0, 33)])
    best = max(points, key=lambda p: (p["right"] + p["f1_sum"], -p["gap"]))
    print(f"{'list gap':>8} {'right':>6} {'F1 sum':>8}")
    for p in points:
        if p["gap"] % 1 == 0 or p is best:
            print(f"{p['gap']:>8} {p['right']:>6} {p['f1_sum']:>8}{'  <- chosen' if p is best else ''}")
    per_set = {name: list_curve([r for r in rows if r["set"] == name], gold, [-1.0, best["gap"]])
               for name in dict.fromkeys(r["set"] for r in rows)}
    for name, (off, on) in per_set.items():
        print(f"{name}: right {off['right']} -> {on['right']}, F1 sum {off['f1_sum']} -> {on['f1_sum']}")
    return best["gap"], points, per_set


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="rows of each tune split (0: all of them)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sets", default="dev,wiki,reviews,tables")
    parser.add_argument("--max-refused", type=float, default=0.10)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "span-fit.json")
    parser.add_argument("--both", action="store_true", help="also fit span_alone_margin (bench/both-fit.json)")
    parser.add_argument("--min-fast-share", type=float, default=0.6,
                        help="--both: the least share of each set's questions answered without the generator "
                             "(over half keeps the answer p50 a fast one; 0.6 leaves room for sampling)")
    parser.add_argument("--both-out", type=Path, default=ROOT / "bench" / "both-fit.json")
    parser.add_argument("--min-margin", type=float, default=None,
                        help="with --both: the refusal margin already fitted (the settings'), not this sample's")
    parser.add_argument("--rank-weight", type=float, default=Settings.span_rank_weight,
                        help="the rank weight the rows are answered with (the refusal and list fits read it)")
    parser.add_argument("--coverage", action=argparse.BooleanOptionalAction, default=True,
                        help="fit the coverage refusal (span_uncovered_share, span_uncovered_margin) as well")
    parser.add_argument("--reuse", type=Path, default=None,
                        help="fit from the rows an earlier run wrote under this reports folder, asking nothing")
    args = parser.parse_args(argv)
    rows = (saved_rows(args.reuse, "span") if args.reuse else
            collect(args.sample, args.seed, args.sets.split(","), rank_weight=args.rank_weight))
    weight = balancing_weight(rows)
    margins = sorted({margin_of(r) for r in rows if margin_of(r) != float("-inf")})
    if not margins:
        raise SystemExit("no row reached the span reader: nothing to fit")
    thresholds = [round(x / 4, 2) for x in range(int(4 * min(margins)) - 1, int(4 * max(margins)) + 2)]
    # the passage each row is answered from, at each refusal margin, with the rank weight it was read with
    table = coverage_table(rows, thresholds, args.rank_weight)
    points = curve(rows, thresholds, weight, table=table)
    # the coverage refusal beside the margin's: every (share, margin) pair, each with its best threshold
    pairs = [(0.0, 0.0)] + ([(x / 20, m) for x in range(1, 15) for m in thresholds[::4]] if args.coverage else [])
    allowed = [p for share, uncovered in pairs for p in curve(rows, thresholds, weight, share, uncovered, table=table)
               if p["set_refused_max"] <= args.max_refused]
    if not allowed:
        raise SystemExit(f"every threshold refuses more than {args.max_refused:.0%} of some set's answerable rows "
                         f"(rows that reach no passage are refused at any threshold)")
    # on a tie the margin alone: the coverage refusal is on only where it gains
    best = max(allowed, key=lambda p: (p["objective"], p["share"] == 0.0, -p["threshold"], -p["share"], -p["uncovered"]))
    margin_only = max((p for p in allowed if p["share"] == 0.0), key=lambda p: (p["objective"], -p["threshold"]))
    per_set = {}
    for name in dict.fromkeys(r["set"] for r in rows):
        mine = [r for r in rows if r["set"] == name]
        totals = [r["timings"].get("total_s") for r in mine if r.get("timings", {}).get("total_s") is not None]
        per_set[name] = {**curve(mine, [best["threshold"]], 1.0, best["share"], best["uncovered"], args.rank_weight)[0],
                         "margin_only": curve(mine, [margin_only["threshold"]], 1.0)[0],
                         "p50_s": round(statistics.median(totals), 3) if totals else None}
    print(f"{'threshold':>9} {'right':>6} {'refused ans.':>12} {'refused unans.':>14} {'objective':>9}  (the margin alone)")
    for p in points:
        if p["threshold"] % 0.5 == 0 or p["threshold"] == margin_only["threshold"]:
            mark = "  <- best alone" if p["threshold"] == margin_only["threshold"] else ""
            print(f"{p['threshold']:>9} {p['right']:>6} {p['refused_answerable']:>12} "
                  f"{p['refused_unanswerable']:>14} {p['objective']:>9}{mark}")
    print(f"chosen: refused under the margin {best['threshold']}, or where the answering passage holds under "
          f"{best['share']} of the question's term weight with its margin under {best['uncovered']}: right "
          f"{best['right']}, refused answerable {best['refused_answerable']}, unanswerable "
          f"{best['refused_unanswerable']}/{best['unanswerable']}, objective {best['objective']} (the margin alone: "
          f"{margin_only['objective']})")
    for name, p in per_set.items():
        alone = p["margin_only"]
        print(f"{name}: right {p['right']}/{p['answerable']}, refused answerable {p['refused_answerable']}, "
              f"refused unanswerable {p['refused_unanswerable']}/{p['unanswerable']}, answer p50 {p['p50_s']} s "
              f"(the margin alone: right {alone['right']}, refused answerable {alone['refused_answerable']}, "
              f"unanswerable {alone['refused_unanswerable']})")
    list_gap, list_points, list_sets = fit_lists(args, rows)
    rank_weight, rank_points, rank_sets = fit_rank(rows, best["threshold"])
    args.out.write_text(json.dumps({"span_min_margin": best["threshold"], "span_uncovered_share": best["share"],
                                    "span_uncovered_margin": best["uncovered"], "margin_only": margin_only,
                                    "weight": round(weight, 3),
                                    "span_rank_weight": rank_weight, "rank_curve": rank_points,
                                    "rank_per_set": rank_sets, "rank_weight_read": args.rank_weight,
                                    "span_list_gap": list_gap, "list_curve": list_points, "list_per_set": list_sets,
                                    "sample": args.sample, "seed": args.seed, "sets": args.sets,
                                    "max_refused": args.max_refused, "chosen": best, "per_set": per_set,
                                    "curve": points, "date": time.strftime("%Y-%m-%d %H:%M")}, indent=1) + "\n")
    print(f"span_min_margin = {best['threshold']}, span_uncovered_share = {best['share']}, "
          f"span_uncovered_margin = {best['uncovered']}, span_list_gap = {list_gap}, span_rank_weight = {rank_weight} "
          f"(written to {args.out})",
          file=sys.stderr)
    if args.both:
        fit_both(args, rows, best["threshold"] if args.min_margin is None else args.min_margin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
