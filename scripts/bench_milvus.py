"""`make bench-milvus`: answers through the Milvus store beside the FAISS store, in one run.

Sets: the seeds dev set (all 30) and a seeded 40-question sample of each public set's `check` split
(totals only: no question, id or answer is written or printed). Per set and store: answerable correct,
unanswerable refused, answerable refused; between the stores: the difference and the top-5 passage
overlap (the share of the FAISS path's five passages that the Milvus path also returns, per question).

The Milvus arm moves each corpus' FAISS index (in the cache) into Milvus Lite without re-embedding, as
`qa index --store milvus` does. Generation is greedy (temperature 0), so the same prompt gives the same
reply: the generator's replies are kept by prompt for this run only (a temporary folder, deleted at the
end) and a question whose prompt is the same on both stores is generated once. Latency is therefore not
compared here (see bench/scale-milvus.json for the stores' search times).

Run: make bench-milvus   (or: .venv/bin/python scripts/bench_milvus.py --sample 40 --seed 5)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from eval_public import SETS, load_average, split_figures  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="dev,wiki,reviews,tables")
    parser.add_argument("--sample", type=int, default=40, help="questions per public check split")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "milvus-answers.json"))
    args = parser.parse_args(argv)

    from qa.eval.evaluation import corpus_assistant, evaluate, load_questions, sample_questions, scope_of
    from qa.models.embedding import make_embedder
    from qa.settings import Settings

    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    settings = Settings.from_env()
    embedder = make_embedder(settings)
    results = {"generator": settings.generator, "date": time.strftime("%Y-%m-%d %H:%M"),
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                        text=True).stdout.strip(),
               "sample": args.sample, "seed": args.seed, "load_average_start": load_average(), "sets": {}}
    top5: dict[tuple[str, str], list[list[tuple]]] = {}
    with tempfile.TemporaryDirectory(prefix="qa-bench-milvus-") as replies:
        for store in ("faiss", "milvus"):
            arm = dataclasses.replace(settings, store=store, generation_cache_dir=replies)
            for name in names:
                corpus, files = SETS[name]
                split = "tune" if name == "dev" else "check"
                sample = None if name == "dev" else args.sample
                t0 = time.perf_counter()
                assistant = corpus_assistant(corpus, arm, embedder=embedder)
                summary = evaluate(files[split], assistant, cache=False, report=None, progress=False,
                                   sample=sample, seed=args.seed)
                questions = sample_questions(load_questions(files[split]), sample, args.seed)
                top5[(name, store)] = [[(p.source, p.start, p.end) for p in assistant.search(
                    q["question"], k=5, sources=scope_of(q))] for q in questions]
                figures = split_figures(summary, settings.top_k)
                results["sets"].setdefault(name, {"split": split})[store] = {
                    key: figures[key] for key in ("questions", "answerable", "answerable_correct", "unanswerable",
                                                  "unanswerable_refused_count", "answerable_refused_count",
                                                  f"retrieval_recall@{settings.top_k}")}
                print(f"{store} {name} {split}: {figures['answerable_correct']} of {figures['answerable']} right, "
                      f"{figures['unanswerable_refused_count']} of {figures['unanswerable']} refused "
                      f"({time.perf_counter() - t0:.0f} s; {assistant.store.describe()})", file=sys.stderr)
    for name, row in results["sets"].items():
        a, b = row["faiss"], row["milvus"]
        pairs = list(zip(top5[(name, "faiss")], top5[(name, "milvus")]))
        row["difference"] = {"answerable_correct": b["answerable_correct"] - a["answerable_correct"],
                             "unanswerable_refused": b["unanswerable_refused_count"] - a["unanswerable_refused_count"]}
        row["top5_overlap"] = round(sum(len(set(f) & set(m)) / max(1, len(f)) for f, m in pairs) / max(1, len(pairs)), 4)
        row["within_one"] = abs(row["difference"]["answerable_correct"]) <= 1 and abs(
            row["difference"]["unanswerable_refused"]) <= 1
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print("\n| set | split | questions | FAISS right | Milvus right | FAISS refused (unanswerable) "
          "| Milvus refused (unanswerable) | top-5 overlap |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in results["sets"].items():
        a, b = row["faiss"], row["milvus"]
        print(f"| {name} | {row['split']} | {a['questions']} | {a['answerable_correct']} of {a['answerable']} "
              f"| {b['answerable_correct']} of {b['answerable']} | {a['unanswerable_refused_count']} of "
              f"{a['unanswerable']} | {b['unanswerable_refused_count']} of {b['unanswerable']} | {row['top5_overlap']:.3f} |")
    return 0 if all(row["within_one"] for row in results["sets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
