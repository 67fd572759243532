"""`make eval-public`: the seeds dev set and every split of the public development sets, one table.

For each set (`dev` over seeds/; `wiki`, `reviews`, `tables` over ../shared/eval/public/<set>/corpus,
each corpus indexed once into the cache and shared by its `tune` and `check` splits) the questions are
asked once with the default generator (a row's `scope` restricts its search) and scored by SCORING.md.
Reported per split: answerable accuracy (with a 95 % Wilson interval), unanswerable refused, answerable
refused, token F1, median answer words, retrieval recall@5 of the evidence, p50 latency; and per set the
tune - check gap of answerable accuracy with a 95 % interval.

`check` splits are reported as totals only: no report folder, no answer cache, no question, no id is
written or printed for them (reading `check` questions one by one turns them into `tune`); so an
interrupted run asks a check split again from its start. `tune` splits get a report folder
under reports/public/ to study.

Writes bench/public.json and the table between the `public-eval` markers of README.md.

Run: make eval-public      (about an hour on two cores; answers are cached per question and code version,
                            so an interrupted run resumes)
     .venv/bin/python scripts/eval_public.py --sets wiki --splits tune --sample 50   # a quick look
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = Path(os.environ.get("QA_PUBLIC_DIR", ROOT.parent / "shared" / "eval" / "public"))
SETS = {"dev": (ROOT / "seeds", {"tune": ROOT / "tests" / "data" / "dev.jsonl"})}
for _name in ("wiki", "reviews", "tables"):
    SETS[_name] = (PUBLIC / _name / "corpus", {split: PUBLIC / _name / f"{split}.jsonl" for split in ("tune", "check")})
# Sets whose rows name their corpus ("corpus": seeds, wiki, reviews, tables): written for the reader issue.
CORPORA = {"seeds": ROOT / "seeds", **{n: PUBLIC / n / "corpus" for n in ("wiki", "reviews", "tables")},
           "korean_docs": ROOT / "tests" / "data" / "korean_docs"}
MIXED = {"conflicts": ROOT / "tests" / "data" / "conflicts.jsonl",
         "followups": ROOT / "tests" / "data" / "followups.jsonl",
         "followups_public": ROOT / "tests" / "data" / "followups_public.jsonl",
         "korean": ROOT / "tests" / "data" / "korean.jsonl", "korean_en": ROOT / "tests" / "data" / "korean_en.jsonl",
         "korean_docs": ROOT / "tests" / "data" / "korean_docs.jsonl",
         "korean_docs_en": ROOT / "tests" / "data" / "korean_docs_en.jsonl"}
README_START, README_END = "<!-- public-eval:start -->", "<!-- public-eval:end -->"


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """95 % Wilson score interval of a proportion.

    >>> wilson(8, 10)
    (0.49, 0.943)
    """
    if not n:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(centre - half, 3), round(centre + half, 3)


def gap_interval(a: int, n: int, b: int, m: int, z: float = 1.96) -> dict | None:
    """The difference of two proportions a/n - b/m with a 95 % (Wald) interval."""
    if not n or not m:
        return None
    p, q = a / n, b / m
    half = z * math.sqrt(p * (1 - p) / n + q * (1 - q) / m)
    return {"gap": round(p - q, 3), "low": round(p - q - half, 3), "high": round(p - q + half, 3)}


def split_figures(summary: dict, k: int) -> dict:
    """The reported figures of one evaluated split (totals only)."""
    a = summary["answers"]
    correct = round((a["answerable_accuracy"] or 0) * a["answerable"])
    refused_unanswerable = round((a["refusal_accuracy"] or 0) * a["unanswerable"])
    return {
        "questions": a["questions"], "answerable": a["answerable"], "unanswerable": a["unanswerable"],
        "answerable_correct": correct, "answerable_accuracy": a["answerable_accuracy"],
        "answerable_accuracy_95": wilson(correct, a["answerable"]),
        "unanswerable_refused": a["refusal_accuracy"], "unanswerable_refused_count": refused_unanswerable,
        "answerable_refused": a["false_refusal_rate"], "answerable_refused_count": a["answerable_refused"],
        "token_f1": a["token_f1"], "median_answer_words": a["median_answer_words"],
        "source_hit": a["source_hit"], "citation_precision": a["citation_precision"],
        f"retrieval_recall@{k}": summary["retrieval"][f"evidence_recall@{k}"],
        "latency_p50_s": summary["cost"]["latency_p50_s"], "latency_p95_s": summary["cost"]["latency_p95_s"],
        "escalated_share": summary["cost"].get("escalated_share"),
        "by_type": {t: {"n": v["n"], "correct": v["correct"]} for t, v in summary["by_type"].items()},
        "numeric_flagged_as_conflict": summary["conflicts"]["numeric_flagged"],
        "numeric_rows": summary["conflicts"]["numeric_rows"],
    }


def _cell(value, digits=3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(results: dict) -> str:
    """The Markdown table of bench/public.json's results."""
    k = results["k"]
    lines = ["| set | split | questions | answerable correct (95 % CI) | unanswerable refused | answerable refused "
             f"| token F1 | median words | retrieval recall@{k} | p50 latency |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, splits in results["sets"].items():
        for split, f in splits.items():
            if split == "gap":
                continue
            ci = f["answerable_accuracy_95"]
            acc = f"{_cell(f['answerable_accuracy'])} ({ci[0]:.2f}–{ci[1]:.2f})" if ci else "–"
            unans = f"{f['unanswerable_refused_count']} of {f['unanswerable']}" if f["unanswerable"] else "–"
            lines.append(f"| {name} | {split} | {f['questions']} | {acc} | {unans} | {_cell(f['answerable_refused'])} "
                         f"| {_cell(f['token_f1'])} | {_cell(None if f['median_answer_words'] is None else float(f['median_answer_words']), 1)} "
                         f"| {_cell(f[f'retrieval_recall@{k}'])} | {_cell(f['latency_p50_s'], 2)} s |")
    gaps = [f"{name} {g['gap']:+.3f} (95 % CI {g['low']:+.3f} to {g['high']:+.3f})"
            for name, splits in results["sets"].items() if (g := splits.get("gap"))]
    if gaps:
        lines += ["", "Answerable accuracy, tune − check: " + "; ".join(gaps) + "."]
    hard = results.get("hard_sets") or {}
    if hard:
        lines += ["", "| written set | questions | right | answerable refused | median words |", "|---|---|---|---|---|"]
        for name, f in hard.items():
            lines.append(f"| {name} | {f['questions']} | {f['answerable_correct']} of {f['answerable']} "
                         f"| {f['answerable_refused_count']} | {_cell(f['median_answer_words'], 1)} |")
    return "\n".join(lines)


def update_readme(text: str) -> bool:
    readme = ROOT / "README.md"
    content = readme.read_text(encoding="utf-8")
    if README_START not in content or README_END not in content:
        return False
    head, rest = content.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{text}\n{README_END}{tail}", encoding="utf-8")
    return True


def evaluate_mixed(path: Path, assistant_for, folder: Path, sample, seed) -> dict:
    """Evaluate a set whose rows name their corpus: each group against its own index, one summary."""
    from qa.eval.evaluation import evaluate, load_questions, summarize_run

    rows, groups = [], {}
    for q in load_questions(path):
        groups.setdefault(q.get("corpus", "seeds"), []).append(q)
    k = None
    for corpus, questions in groups.items():
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f"{path.stem}-{corpus}.jsonl"
        part.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
        assistant = assistant_for(corpus)
        k = assistant.settings.top_k
        summary = evaluate(part, assistant, cache=True, report=folder / part.stem, progress=False,
                           sample=sample, seed=seed)
        rows += [json.loads(line) for line in (folder / part.stem / "results.jsonl").read_text().splitlines()]
    return summarize_run(rows, k)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join([*SETS, *MIXED]), help="comma-separated: " + ", ".join([*SETS, *MIXED]))
    parser.add_argument("--splits", default="tune,check")
    parser.add_argument("--sample", type=int, default=None, help="a seeded sample of N questions per split")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "public.json"))
    args = parser.parse_args(argv)

    from qa.eval.evaluation import corpus_assistant, evaluate
    from qa.models.embedding import make_embedder
    from qa.models.generation import make_generator
    from qa.settings import Settings

    settings = Settings.from_env()
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    splits = [s.strip() for s in args.splits.split(",") if s.strip()]
    unknown = [n for n in names if n not in SETS and n not in MIXED]
    if unknown:
        parser.error(f"unknown set {unknown}; choose from {list(SETS) + list(MIXED)}")
    missing = [str(SETS[n][0]) for n in names if n in SETS and not SETS[n][0].is_dir()]
    if missing:
        parser.error(f"missing corpus folder(s): {missing} (set QA_PUBLIC_DIR to the public sets' folder)")
    embedder = make_embedder(settings)
    if settings.reader != "span":  # loaded once for every assistant (span mode loads it only for Korean)
        make_generator(settings.generator, settings)
    out = Path(args.out)
    previous = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else {}
    results = {"k": settings.top_k, "reader": settings.reader, "generator": settings.generator, "backend": settings.backend,
               "cascade": f"{settings.escalate_generator} below {settings.escalate_below}"
               if settings.escalate_generator else None,
               "date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                        text=True).stdout.strip(),
               "span_thresholds": None if settings.reader == "generator" else
               {"min_margin": settings.span_min_margin, "alone_margin": settings.span_alone_margin},
               "sample": args.sample, "load_average_start": load_average(),
               "sets": {} if args.sample is not None else previous.get("sets", {}),
               "hard_sets": {} if args.sample is not None else previous.get("hard_sets", {})}
    assistants: dict = {}

    def assistant_for(corpus: str | Path):
        """The assistant over a corpus folder, or over a corpus named in CORPORA; one per folder."""
        folder = Path(CORPORA.get(corpus, corpus)).resolve()
        if folder not in assistants:
            # no generator passed in: each assistant loads its models by name (once per process), so the
            # cascade (QA_ESCALATE_GENERATOR) applies as it does for a user
            assistants[folder] = corpus_assistant(folder, settings, embedder=embedder)
        return assistants[folder]

    for name in [n for n in names if n in MIXED]:
        # written questions over tune documents and the seeds: reported for study, like the tune splits
        summary = evaluate_mixed(MIXED[name], assistant_for, ROOT / "reports" / "public" / name, args.sample,
                                 args.seed)
        figures = split_figures(summary, settings.top_k)
        results["hard_sets"][name] = figures
        print(f"{name}: {figures['answerable_correct']} of {figures['answerable']} right", file=sys.stderr)
    for name in [n for n in names if n in SETS]:
        corpus, files = SETS[name]
        print(f"{name}: indexing {corpus}", file=sys.stderr)
        assistant = assistant_for(corpus)
        results["sets"][name] = {}
        for split in splits:
            if split not in files:
                continue
            report = ROOT / "reports" / "public" / f"{name}-{split}" if split != "check" else None
            t0 = time.perf_counter()
            # a check split is neither reported nor cached: its questions must not be written anywhere
            summary = evaluate(files[split], assistant, cache=split != "check" and not args.no_cache, report=report,
                               sample=args.sample, seed=args.seed)
            figures = split_figures(summary, settings.top_k)
            results["sets"][name][split] = figures
            print(f"{name} {split}: {figures['questions']} questions, answerable accuracy "
                  f"{_cell(figures['answerable_accuracy'])}, F1 {_cell(figures['token_f1'])} "
                  f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        tune, check = results["sets"][name].get("tune"), results["sets"][name].get("check")
        if tune and check:
            results["sets"][name]["gap"] = gap_interval(tune["answerable_correct"], tune["answerable"],
                                                        check["answerable_correct"], check["answerable"])
    results["load_average_end"] = load_average()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    text = table(results)
    print(text)
    # only a full run to the committed figures file rewrites the README's table
    if args.sample is None and set(splits) == {"tune", "check"} and out == Path(parser.get_default("out")):
        print("README table updated" if update_readme(text) else "README has no public-eval markers", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
