"""Sanity checks for tests/data/korean.jsonl and tests/data/korean_en.jsonl.

- every line is valid JSON with the expected fields;
- every answerable row's evidence is a verbatim substring of its first source (public corpus folder
  of its set, or seeds/);
- at least one English or numeric gold alternative (no Hangul) occurs in the evidence, ignoring
  commas and case;
- Korean questions differ from every dev.jsonl question and from each other;
- Korean rows link to an English row (en_id), unanswerable rows have en_id null;
- the answers of the unanswerable rows are absent from the documents (per-row patterns below);
- prints the Latin-script tokens of the Korean questions for a manual look.

Reads only corpus documents, seeds, dev.jsonl and the two Korean files (never check.jsonl).
Usage: python3 scripts/check_korean_set.py
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
PUBLIC = Path("/work/shared/eval/public")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
FIELDS = ["id", "question", "answers", "sources", "evidence", "type", "lang", "set"]

# unanswerable rows: (documents to search, patterns that would give the answer away)
SEED_DOCS = sorted((ROOT / "seeds").glob("*.txt"))
ABSENT = {
    "ko-unans-01": (SEED_DOCS, [r"HyperCLOVA X Think[^\n]{0,60}(billion|parameter)",
                                r"(billion|parameter)[^\n]{0,60}HyperCLOVA X Think"]),
    "ko-unans-02": (SEED_DOCS, [r"Solar Pro 2[^\n]{0,40}(billion|parameter)",
                                r"(billion|parameter)[^\n]{0,40}Solar Pro 2"]),
    "ko-unans-03": (SEED_DOCS, [r"Ulsan[^\n]*\b20\d\d\b", r"Ulsan[^\n]*complet\w* (in|by) "]),
    "ko-unans-04": (SEED_DOCS, [r"adoption rate[^\n]*\d+(\.\d+)?\s?%", r"adoption rate of \d"]),
    "ko-unans-05": (SEED_DOCS, [r"eliminat", r"dropped", r"knocked out", r"did not advance",
                                r"fail\w* (to pass|the first)"]),
    "ko-unans-06": (SEED_DOCS, [r"Haein[^\n]*\d"]),
    "ko-unans-07": (SEED_DOCS, [r"(SME|small and medium)[^\n]*(won|\$|USD|budget)"]),
    "ko-unans-08": (sorted((PUBLIC / "wiki/corpus").glob("*.txt")),
                    [r"7,000 ?km", r"7000 ?km", r"8,900", r"4,300 ?mi", r"5,500 ?mi",
                     r"Andes[^.\n]{0,80}\b\d[\d,]* ?(km|kilometres|mi)\b[^.\n]{0,20}\blong\b",
                     r"length of (about |approximately )?\d"]),
    "ko-unans-09": (sorted((PUBLIC / "wiki/corpus").glob("*.txt")),
                    [r"(average|mean) depth", r"\b55 ?m\b", r"\b459 ?m\b", r"54 ?m \("]),
    "ko-unans-10": ([PUBLIC / "reviews/corpus/r049.txt"], [r"watt", r"\d+\s?W\b"]),
}


def norm(s):
    return re.sub(r"\s+", " ", s.replace(",", "").lower())


def doc_path(row, src):
    if row["set"] == "seeds":
        return ROOT / "seeds" / src
    return PUBLIC / row["set"] / "corpus" / src


def load(name, errors):
    rows = []
    for n, line in enumerate(open(DATA / name, encoding="utf-8"), 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            errors.append(f"{name}:{n}: invalid JSON ({e})")
    return rows


def check_row(row, errors):
    rid = row.get("id")
    for f in FIELDS:
        if f not in row:
            errors.append(f"{rid}: missing field {f}")
    if row.get("type") == "unanswerable":
        if row["answers"] or row["sources"]:
            errors.append(f"{rid}: unanswerable row with answers/sources")
        return
    src = row["sources"][0]
    text = doc_path(row, src).read_text(encoding="utf-8")
    if row["evidence"] not in text:
        errors.append(f"{rid}: evidence not verbatim in {src}")
    if row["set"] in ("reviews", "tables") and row.get("scope") != [src]:
        errors.append(f"{rid}: scope {row.get('scope')} != [{src}]")
    ev = norm(row["evidence"])
    alts = [a.strip() for entry in row["answers"] for a in entry.split(" | ")]
    latin = [a for a in alts if not HANGUL.search(a)]
    if row["type"] == "list":
        for entry in row["answers"]:
            if not any(norm(a.strip()) in ev for a in entry.split(" | ") if not HANGUL.search(a)):
                errors.append(f"{rid}: list entry {entry!r} has no English/numeric form in evidence")
    elif not any(norm(a) in ev for a in latin):
        errors.append(f"{rid}: no English/numeric gold in evidence ({latin})")


def main():
    errors = []
    ko = load("korean.jsonl", errors)
    en = load("korean_en.jsonl", errors)
    dev_q = {json.loads(l)["question"].strip() for l in open(DATA / "dev.jsonl", encoding="utf-8")}
    en_ids = {r["id"] for r in en}
    for r in ko + en:
        check_row(r, errors)
    seen = set()
    for r in ko:
        q = r["question"].strip()
        if r.get("lang") != "ko":
            errors.append(f"{r['id']}: lang != ko")
        if q in dev_q:
            errors.append(f"{r['id']}: question identical to a dev.jsonl question")
        if q in seen:
            errors.append(f"{r['id']}: duplicate Korean question")
        seen.add(q)
        if re.search(r"\([^)]*[A-Za-z][^)]*\)", q):
            errors.append(f"{r['id']}: bracketed Latin text in question: {q}")
        if r["type"] == "unanswerable":
            if r.get("en_id") is not None:
                errors.append(f"{r['id']}: unanswerable row with en_id")
        elif r.get("en_id") not in en_ids:
            errors.append(f"{r['id']}: en_id {r.get('en_id')} not in korean_en.jsonl")
        elif r["set"] != "seeds" and r["id"][3:] != r["en_id"][3:]:
            errors.append(f"{r['id']}: en_id does not match the original id")
    for r in en:
        if r.get("lang") != "en":
            errors.append(f"{r['id']}: lang != en")
    linked = {r.get("en_id") for r in ko}
    for r in en:
        if r["id"] not in linked:
            errors.append(f"{r['id']}: English row without a Korean row")
    by_id = {r["id"]: r for r in ko}
    for rid, (docs, pats) in ABSENT.items():
        if rid not in by_id or by_id[rid]["type"] != "unanswerable":
            errors.append(f"{rid}: expected unanswerable row")
            continue
        for d in docs:
            text = Path(d).read_text(encoding="utf-8")
            for p in pats:
                m = re.search(p, text, re.I)
                if m:
                    errors.append(f"{rid}: pattern {p!r} found in {Path(d).name}: {m.group(0)[:80]!r}")
    unans = [r for r in ko if r["type"] == "unanswerable"]
    if len(unans) != len(ABSENT):
        errors.append(f"{len(unans)} unanswerable rows but {len(ABSENT)} absence checks")

    counts = {}
    for r in ko:
        key = "unanswerable" if r["type"] == "unanswerable" else r["set"]
        counts[key] = counts.get(key, 0) + 1
    print("korean.jsonl:", len(ko), "rows", counts)
    print("korean_en.jsonl:", len(en), "rows")
    latin_tokens = sorted({t for r in ko for t in re.findall(r"[A-Za-z][A-Za-z0-9.\-]*", r["question"])})
    print("Latin tokens in Korean questions:", " ".join(latin_tokens))
    no_hangul = [r["id"] for r in ko if r["type"] != "unanswerable"
                 and not any(HANGUL.search(a) for a in r["answers"])]
    print("answerable Korean rows with no Hangul gold:", no_hangul or "none")
    if errors:
        print(f"{len(errors)} problem(s):")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
