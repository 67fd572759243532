"""The reading benchmark (`make reader-eval`): each reader is given the answer's own paragraph for the
held-out rows of ../shared/train (qa/models/reader_data.py; never trained on) and scored side by side, in one run:
accepted-answer rate (SCORING.md's match rule), exact match and token F1 (SQuAD's) on answerable rows,
no-answer right on unanswerable rows, seconds a question.

The span reader answers where its margin (best span minus "no answer") is over a threshold; the row shown
is at the threshold that maximizes F1 over all held-out rows (SQuAD 2.0's "best F1": an unanswerable row
scores 1 when nothing is answered), and beside it at threshold 0. The generator reads the same paragraph
with the answer path's passage prompt (qa/answer/prompt.py `build_passage_messages`, which lets it say the
passage does not answer), on a seeded sample of the rows (it takes seconds a question).

Run: .venv/bin/python scripts/reader_eval.py [--limit N] [--generator-sample N] [--generator NAME|none]
         [--out bench/reader-eval.json]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from qa.eval.scoring import _f1, entry_matches, normalize, squad_tokens  # noqa: E402
from qa.models.reader_data import default_train_dir, load_rows, split_rows  # noqa: E402
from qa.settings import Settings  # noqa: E402


def scores(row: dict, text: str | None) -> dict:
    """One reply scored: `text` None is "no answer". Unanswerable rows: right when nothing is answered."""
    golds = [a["text"] for a in row.get("answers") or [] if a["text"].strip()]
    if row.get("impossible") or not golds:
        return {"answerable": False, "right": text is None, "f1": float(text is None), "em": float(text is None)}
    if text is None:
        return {"answerable": True, "answered": False, "f1": 0.0, "em": 0.0, "accepted": False}
    said = normalize(text)
    tokens = squad_tokens(text)
    return {"answerable": True, "answered": True, "accepted": any(entry_matches(g, said) for g in golds),
            "em": float(any(tokens == squad_tokens(g) for g in golds)),
            "f1": max(_f1(tokens, squad_tokens(g)) for g in golds)}


def summary(scored: list[dict], seconds: list[float]) -> dict:
    answerable = [s for s in scored if s["answerable"]]
    unanswerable = [s for s in scored if not s["answerable"]]

    def mean(values):
        values = list(values)
        return round(sum(values) / len(values), 4) if values else None

    return {"rows": len(scored), "answerable": len(answerable), "unanswerable": len(unanswerable),
            "accepted": mean(s["accepted"] for s in answerable), "exact_match": mean(s["em"] for s in answerable),
            "token_f1": mean(s["f1"] for s in answerable),
            "answered": mean(s["answered"] for s in answerable),
            "no_answer_right": mean(s["right"] for s in unanswerable),
            "overall_f1": mean(s["f1"] for s in scored),
            "seconds_per_question": round(statistics.median(seconds), 4) if seconds else None}


def best_threshold(rows: list[dict], predictions: list[tuple[str, float]]) -> float:
    """The margin threshold (answer when the margin is at least it) that maximizes F1 over all rows: SQuAD
    2.0's best F1. One pass over the margins, highest first.

    >>> rows = [{"answers": [{"text": "1871"}]}, {"impossible": True, "answers": []}]
    >>> best_threshold(rows, [("1871", 2.0), ("1900", -1.0)])
    2.0
    """
    answered = [scores(r, p)["f1"] for r, (p, _) in zip(rows, predictions)]
    silent = [scores(r, None)["f1"] for r in rows]
    total = sum(silent)  # every row refused: the threshold above every margin
    best, best_f1 = max(m for _, m in predictions) + 1, total
    order = sorted(range(len(rows)), key=lambda i: -predictions[i][1])
    at = 0
    while at < len(order):
        margin = predictions[order[at]][1]
        while at < len(order) and predictions[order[at]][1] == margin:  # rows of one margin go together
            total += answered[order[at]] - silent[order[at]]
            at += 1
        if total > best_f1:
            best, best_f1 = margin, total
    return best


def run_span(rows: list[dict]) -> tuple[list[tuple[str, float]], list[float]]:
    from qa.models.span_reader import SpanReader

    settings = Settings.from_env()  # QA_SPAN_READER_DIR reads other weights than the shipped ones
    reader = SpanReader(settings.cache_dir, Path(settings.span_reader_dir) if settings.span_reader_dir else None)
    reader.read("warm up", ["a short passage to build the graph"])
    predictions, seconds = [], []
    for r in rows:
        t0 = time.perf_counter()
        answer = reader.read(r["question"], [r["context"]])[0]
        seconds.append(time.perf_counter() - t0)
        predictions.append((answer.text, answer.margin))
    return predictions, seconds


def run_generator(rows: list[dict], name: str) -> tuple[list[str | None], list[float]]:
    from qa.answer.prompt import NOT_IN_PASSAGE, build_passage_messages
    from qa.answer.verification import says_it_does_not_know
    from qa.models.generation import make_generator

    generator = make_generator(name, Settings.from_env())
    replies, seconds = [], []
    for r in rows:
        t0 = time.perf_counter()
        reply = "".join(generator.stream(build_passage_messages(r["question"], [(r.get("title", ""), r["context"])]),
                                         max_tokens=48)).strip()
        seconds.append(time.perf_counter() - t0)
        refused = not reply or NOT_IN_PASSAGE in reply.lower() or says_it_does_not_know(reply)
        replies.append(None if refused else reply)
    return replies, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=0, help="a seeded sample of N held-out rows (0: all)")
    parser.add_argument("--generator", default="default", help="a profile, or 'none' to skip its row")
    parser.add_argument("--generator-sample", type=int, default=100)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "reader-eval.json")
    args = parser.parse_args(argv)

    _, held = split_rows(load_rows(args.train_dir or default_train_dir()))
    if args.limit:
        held = sorted(random.Random(args.seed).sample(held, min(args.limit, len(held))), key=held.index)
    by_file = {f: sum(1 for r in held if r["file"] == f) for f in dict.fromkeys(r["file"] for r in held)}
    print(f"held-out rows: {len(held)} {by_file}", file=sys.stderr)
    report: dict = {"held_out": len(held), "by_file": by_file, "date": time.strftime("%Y-%m-%d %H:%M"), "readers": {}}

    predictions, seconds = run_span(held)
    threshold = best_threshold(held, predictions)
    for label, t in (("span reader, best-F1 threshold", threshold), ("span reader, threshold 0", 0.0)):
        scored = [scores(r, p if m >= t else None) for r, (p, m) in zip(held, predictions)]
        report["readers"][label] = {"threshold": round(t, 4), **summary(scored, seconds)}
    from qa.models.span_reader import verified_weights

    folder = Settings.from_env().span_reader_dir
    report["span_reader_sha256"] = verified_weights(Path(folder) if folder else None)[1]["sha256"]

    if args.generator != "none" and args.generator_sample:
        sample = sorted(random.Random(args.seed).sample(held, min(args.generator_sample, len(held))), key=held.index)
        replies, g_seconds = run_generator(sample, args.generator)
        report["readers"][f"generator {args.generator}, passage prompt ({len(sample)}-row sample)"] = \
            summary([scores(r, p) for r, p in zip(sample, replies)], g_seconds)
        positions = {id(r): i for i, r in enumerate(held)}
        span_same = [scores(r, predictions[positions[id(r)]][0] if predictions[positions[id(r)]][1] >= threshold
                            else None) for r in sample]
        report["readers"][f"span reader on the same {len(sample)} rows"] = {
            "threshold": round(threshold, 4), **summary(span_same, [seconds[positions[id(r)]] for r in sample])}

    header = f"{'reader':58} {'accepted':>8} {'EM':>6} {'F1':>6} {'no-ans':>7} {'s/q':>7}"
    print(header)
    for label, s in report["readers"].items():
        cells = [s["accepted"], s["exact_match"], s["token_f1"], s["no_answer_right"], s["seconds_per_question"]]
        print(f"{label:58} " + " ".join(f"{'-' if c is None else c:>{w}}" for c, w in zip(cells, (8, 6, 6, 7, 7))))
    if not Settings.from_env().span_reader_dir:  # the shipped weights: their card gets the figures
        from train_reader import update_card

        from qa.models.span_reader import READER_DIR

        lines = ["| reader | accepted answer | exact match | token F1 (answerable) | no answer right | s / question |",
                 "|---|---|---|---|---|---|"]
        for label, s in report["readers"].items():
            lines.append(f"| {label} | {s['accepted']} | {s['exact_match']} | {s['token_f1']} | "
                         f"{s['no_answer_right']} | {s['seconds_per_question']} |")
        lines.append(f"\n{report['held_out']} held-out rows {report['by_file']}, {report['date']} "
                     f"(`bench/reader-eval.json`).")
        update_card(READER_DIR, "figures", "\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"written {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
