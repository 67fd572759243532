"""Two-part questions (tests/data/two_part.jsonl): each question asked as a user asks it, and each of its parts
asked alone; every part scored on its own (qa/eval/two_part.py).

    .venv/bin/python scripts/eval_two_part.py --split report --out bench/two-part-report.json

Three runs over the chosen rows, in one process: the question answered part by part (the default,
QA_ANSWER_PARTS on), the question read as one question (off: how it was answered before), and each part
asked alone. Corpora: the seeds, or the public tune corpus of the row's set, searched within the row's
`scope` document when it names one.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.eval.evaluation import corpus_assistant  # noqa: E402
from qa.eval.two_part import load_rows, score_part, score_parts, summary  # noqa: E402
from qa.settings import Settings  # noqa: E402

PUBLIC = ROOT.parent / "shared" / "eval" / "public"


def corpus_folder(corpus: str, settings: Settings) -> Path:
    return settings.seeds_dir if corpus == "seeds" else PUBLIC / corpus / "corpus"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "tests" / "data" / "two_part.jsonl"))
    parser.add_argument("--split", default="dev", choices=("dev", "report", "all"))
    parser.add_argument("--out", help="write the figures and every answer here (JSON)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    rows = load_rows(args.data, args.split)
    assistants, embedder = {}, None
    modes = {"parts": [], "whole": [], "alone": []}
    records = []
    t0 = time.perf_counter()
    for i, row in enumerate(rows, 1):
        if row["corpus"] not in assistants:
            assistants[row["corpus"]] = corpus_assistant(corpus_folder(row["corpus"], settings), settings,
                                                         embedder=embedder)
            embedder = assistants[row["corpus"]].embedder
        assistant = assistants[row["corpus"]]
        sources = [row["scope"]] if row.get("scope") else None
        record = {"id": row["id"], "question": row["question"]}
        for mode, parts_on in (("parts", True), ("whole", False)):
            assistant.settings = dataclasses.replace(settings, answer_parts=parts_on)
            answer = assistant.ask(row["question"], sources=sources)
            scored = [{**p, "answerable": part["answerable"]} for p, part in zip(score_parts(row, answer), row["parts"])]
            modes[mode].append(scored)
            record[mode] = {"text": answer.text, "refused": answer.refused, "parts": len(answer.parts), "scored": scored}
        assistant.settings = settings
        alone = []
        for part in row["parts"]:
            answer = assistant.ask(part["question"], sources=sources)
            alone.append({**score_part(part, answer), "answerable": part["answerable"], "text": answer.text})
        modes["alone"].append(alone)
        record["alone"] = alone
        records.append(record)
        shown = (f": parts {[p['correct'] for p in modes['parts'][-1]]}, whole {[p['correct'] for p in modes['whole'][-1]]}"
                 f", alone {[p['correct'] for p in alone]}") if row["split"] == "dev" else ""  # report rows: totals only
        print(f"[{i}/{len(rows)}] {row['id']}{shown}", file=sys.stderr, flush=True)
    figures = {mode: summary(results) for mode, results in modes.items()}
    for split in sorted({r["split"] for r in rows}):
        figures[split] = {mode: summary([res for res, r in zip(results, rows) if r["split"] == split])
                          for mode, results in modes.items()}
    figures["split"], figures["seconds"] = args.split, round(time.perf_counter() - t0, 1)
    print(json.dumps(figures, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps({"figures": figures, "rows": records}, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
