"""`make calibrate`: learn the answer-or-refuse score (qa/answer/calibration.py) on the `tune` splits and the dev set.

Every question is answered with refusal by score switched off (QA_ANSWER_THRESHOLD=0), so each answer
that found support records its features and whether SCORING.md judges it right. A logistic regression
over those features gives P(right); the threshold is the one that maximizes, over these rows,
    right answers + W x refused unanswerable questions + 0.25 x refused wrong answers
(W = answerable / unanswerable rows of the sets that have unanswerable ones, so that answerable accuracy
and unanswerable refused weigh the same, as the issue judges them; the fit weighs those rows by W too;
plus a little credit for not stating what is wrong) while the
score refuses at most `--max-refused` (20 %) of the answerable questions. Weights, threshold and how they
were obtained go to qa/data/calibration.json. `check` splits are never read.

Replies are cached by prompt (QA_GENERATION_CACHE_DIR, default $QA_CACHE_DIR/generations): decoding is
greedy, so a second run after a change to the steps after generation takes minutes, not an hour.

Run: make calibrate   (300 seeded rows of each tune split and the dev set: about 15 minutes, 3 with the reply cache)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from eval_public import SETS  # noqa: E402  (the same sets and corpora as make eval-public)


def collect(sample: int | None, seed: int, names: list[str]) -> list[dict]:
    """Rows of every tune split (and dev), answered with the score switched off."""
    from qa.settings import Settings

    settings = Settings.from_env(answer_threshold=0.0)
    if not settings.generation_cache_dir:
        settings = Settings.from_env(answer_threshold=0.0,
                                     generation_cache_dir=str(settings.cache_dir / "generations"))
    reports = Path(os.environ.get("QA_CALIBRATE_REPORTS", ROOT / "reports" / "calibrate"))
    return answer_tune_splits(settings, sample, seed, names, reports, with_generator=True)


def answer_tune_splits(settings, sample: int | None, seed: int, names: list[str], reports: Path,
                       with_generator: bool) -> list[dict]:
    """Every row of the tune split of each set in `names` (dev whole, the others a seeded `sample`) answered
    with `settings`, as the report's results rows, each with its `set`. Reports go to `reports`/NAME."""
    from qa.eval.evaluation import corpus_assistant, evaluate
    from qa.models.embedding import make_embedder
    from qa.models.generation import make_generator

    embedder = make_embedder(settings)
    generator = make_generator(settings.generator, settings) if with_generator else None
    rows = []
    for name in names:
        corpus, files = SETS[name]
        assistant = corpus_assistant(corpus, settings, embedder=embedder, generator=generator)
        report = reports / name
        t0 = time.perf_counter()
        evaluate(files["tune"], assistant, cache=False, warmup=False,
                 sample=None if name == "dev" else sample, seed=seed, report=report)
        got = [json.loads(line) for line in (report / "results.jsonl").read_text().splitlines()]
        for r in got:
            r["set"] = name
        rows += got
        print(f"{name}: {len(got)} rows ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return rows


def choose_threshold(probabilities: list[float], rows: list[dict], answerable: int,
                     max_refused: float = 0.20, wrong_credit: float = 0.25,
                     unanswerable_weight: float = 1.0) -> tuple[float, dict]:
    """The threshold that maximizes the objective of the module docstring over the supported `rows`, and the
    counts it gives; `answerable` questions in all. Ties go to the lower threshold (fewer refusals).

    >>> rows = [{"type": "factoid", "correct": True}, {"type": "unanswerable", "correct": False}]
    >>> choose_threshold([0.9, 0.2], rows, answerable=1)[0]
    0.9
    >>> choose_threshold([0.1, 0.2], rows, answerable=1, max_refused=0.0)[0]  # no answerable may be refused
    0.0
    """
    best = (float("-inf"), 0.0, {})
    for threshold in sorted({0.0, *[round(p, 4) for p in probabilities]}):
        right = refused_unanswerable = refused_answerable = refused_wrong = 0
        for p, r in zip(probabilities, rows):
            answered = p >= threshold
            if r["type"] == "unanswerable":
                refused_unanswerable += not answered
            elif answered:
                right += r["correct"]
            else:
                refused_answerable += 1
                refused_wrong += not r["correct"]
        if refused_answerable > max_refused * answerable:
            break  # refusals only grow with the threshold
        objective = right + unanswerable_weight * refused_unanswerable + wrong_credit * refused_wrong
        if objective > best[0]:
            best = (objective, threshold, {"right": right, "refused_unanswerable": refused_unanswerable,
                                           "refused_answerable_by_score": refused_answerable,
                                           "refused_wrong_by_score": refused_wrong})
    return best[1], best[2]


def balancing_weight(rows: list[dict]) -> float:
    """How much one unanswerable row counts against one answerable row, in the fit and the threshold: the
    ratio of answerable to unanswerable rows in the sets that hold unanswerable ones, so that the two
    figures a split is judged by (answerable accuracy, unanswerable refused) weigh the same; 1 without any.

    >>> balancing_weight([{"set": "w", "type": "factoid"}] * 6 + [{"set": "w", "type": "unanswerable"}] * 2
    ...                  + [{"set": "r", "type": "factoid"}] * 5)
    3.0
    """
    with_unanswerable = {r["set"] for r in rows if r["type"] == "unanswerable"}
    unanswerable = sum(1 for r in rows if r["type"] == "unanswerable")
    answerable = sum(1 for r in rows if r["set"] in with_unanswerable and r["type"] != "unanswerable")
    return answerable / unanswerable if unanswerable else 1.0


def fit(rows: list[dict], features: list[str], max_refused: float = 0.20):
    """The calibration learnt on `rows` over `features`, and its counts at the threshold it chooses."""
    from qa.answer.calibration import Calibration, fit_logistic

    supported = [r for r in rows if r.get("features")]
    # a feature a row lacks (a back-end that does not tell the model's token scores) counts as its mean
    present = {f: [float(r["features"][f]) for r in supported if f in r["features"]] for f in features}
    fill = {f: sum(v) / len(v) if v else 0.0 for f, v in present.items()}
    x = [[float(r["features"].get(f, fill[f])) for f in features] for r in supported]
    y = [int(r["correct"]) for r in supported]
    weight = balancing_weight(rows)
    weights, bias, means, scales = fit_logistic(
        x, y, sample_weights=[weight if r["type"] == "unanswerable" else 1.0 for r in supported])
    model = Calibration(list(features), weights, bias, 0.5, means, scales)
    answerable = sum(1 for r in rows if r["type"] != "unanswerable")
    threshold, counts = choose_threshold([model.probability(r["features"]) for r in supported], supported,
                                         answerable, max_refused=max_refused, unanswerable_weight=weight)
    counts["refused_answerable_unsupported"] = sum(1 for r in rows if r["type"] != "unanswerable"
                                                   and not r.get("features"))
    return Calibration(list(features), weights, bias, threshold, means, scales), counts


def auc(scores: list[float], labels: list[int]) -> float | None:
    """The area under the ROC curve: the chance that a right answer scores above a wrong one.

    >>> auc([0.9, 0.8, 0.3], [1, 0, 0]), auc([0.2, 0.8], [1, 0])
    (1.0, 0.0)
    """
    right = [s for s, y in zip(scores, labels) if y]
    wrong = [s for s, y in zip(scores, labels) if not y]
    if not right or not wrong:
        return None
    return sum((a > b) + 0.5 * (a == b) for a in right for b in wrong) / (len(right) * len(wrong))


def cross_validate(rows: list[dict], features: list[str], folds: int = 5, seed: int = 0) -> dict:
    """Each fold's rows decided by the calibration learnt on the other folds: AUC of the score over the
    supported rows, right and wrong answers, unanswerable rows refused and answerable rows refused, in all."""
    import random

    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    parts = [order[i::folds] for i in range(folds)]
    scores, labels = [], []
    out = {"right": 0, "answered_wrong": 0, "unanswerable_refused": 0, "answerable_refused": 0}
    for i, held in enumerate(parts):
        model, _ = fit([rows[j] for k, part in enumerate(parts) if k != i for j in part], features)
        for r in (rows[j] for j in held):
            p = model.probability(r["features"]) if r.get("features") else None
            if p is not None:
                scores.append(p)
                labels.append(int(r["correct"]))
            answered = p is not None and p >= model.threshold
            if r["type"] == "unanswerable":
                out["unanswerable_refused"] += not answered
            elif answered:
                out["right" if r["correct"] else "answered_wrong"] += 1
            else:
                out["answerable_refused"] += 1
    score_auc = auc(scores, labels)
    return {"auc": round(score_auc, 3) if score_auc is not None else None, **out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=None, help="a seeded sample of N rows of each tune split")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sets", default="dev,wiki,reviews,tables")
    parser.add_argument("--max-refused", type=float, default=0.20,
                        help="the share of answerable questions the score may refuse")
    parser.add_argument("--out", default=str(ROOT / "qa" / "data" / "calibration.json"))
    parser.add_argument("--cross-validate", action="store_true",
                        help="compare the scored features with and without the model's token scores by 5-fold "
                             "cross-validation over the same rows (prints; writes nothing)")
    args = parser.parse_args(argv)

    from qa.answer.calibration import FEATURES, REPLY_FEATURES

    rows = collect(args.sample, args.seed, [n.strip() for n in args.sets.split(",") if n.strip()])
    if args.cross_validate:
        for name, features in (("scored", list(FEATURES)), ("scored + reply scores", [*FEATURES, *REPLY_FEATURES])):
            for seed in (0, 1):
                print(json.dumps({"features": name, "seed": seed, **cross_validate(rows, features, seed=seed)}))
        return 0
    model, counts = fit(rows, list(FEATURES), args.max_refused)
    supported = [r for r in rows if r.get("features")]
    about = {"trained": time.strftime("%Y-%m-%d"), "rows": len(rows), "rows_with_support": len(supported),
             "sets": sorted({r["set"] for r in rows}), "sample": args.sample, "seed": args.seed,
             "right_when_answering_everything_supported": sum(int(r["correct"]) for r in supported),
             "unanswerable_weight": round(balancing_weight(rows), 3), "at_threshold": counts}
    Path(args.out).write_text(model.to_json(**about), encoding="utf-8")
    print(json.dumps({"threshold": model.threshold, **about,
                      "weights": dict(zip(FEATURES, [round(w, 3) for w in model.weights]))}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
