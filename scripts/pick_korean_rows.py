"""Pick candidate rows from the public `tune` sets for translation into Korean.

Reads only `tune.jsonl` of the three public development sets (never `check.jsonl`) and writes
`tests/data/korean_candidates.jsonl`: the selected rows unchanged plus a field "set".

Rules (applied before sampling, so the pick depends only on the seed and the tune files):
- answerable rows only (no "unanswerable" type, non-empty answers and evidence);
- short golds: the shortest accepted answer has at most 4 words;
- table "list" rows only with at most 2 items (no long lists to translate and score);
- wiki rows (asked without a document scope) only when the question names its subject:
  questions with a bare pronoun or deictic word ("this", "these", "he", "it", ...) are skipped,
  since translated they would not say what they are about.

Usage: python3 scripts/pick_korean_rows.py
"""
import json
import random
import re
from pathlib import Path

SEED = 16
PUBLIC = Path("/work/shared/eval/public")
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "korean_candidates.jsonl"
COUNTS = {"wiki": 14, "reviews": 10, "tables": 10}
MAX_WORDS = 4
MAX_LIST_ITEMS = 2
DEICTIC = re.compile(
    r"\b(this|these|that|those|he|she|it|its|his|her|him|they|them|their)\b", re.I)


def eligible(row, set_name):
    if row.get("type") == "unanswerable" or not row.get("answers") or not row.get("evidence"):
        return False
    if min(len(a.split()) for a in row["answers"]) > MAX_WORDS:
        return False
    if row["type"] == "list" and len(row["answers"]) > MAX_LIST_ITEMS:
        return False
    if set_name == "wiki" and DEICTIC.search(row["question"]):
        return False
    return True


def main():
    rng = random.Random(SEED)
    picked = []
    for set_name, n in COUNTS.items():
        with open(PUBLIC / set_name / "tune.jsonl", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        pool = [r for r in rows if eligible(r, set_name)]
        chosen = rng.sample(pool, n)
        print(f"{set_name}: {len(rows)} tune rows, {len(pool)} eligible, picked {n}")
        for r in chosen:
            out = dict(r)
            out["set"] = set_name
            picked.append(out)
    with open(OUT, "w", encoding="utf-8") as f:
        for r in picked:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(picked)} rows to {OUT}")


if __name__ == "__main__":
    main()
