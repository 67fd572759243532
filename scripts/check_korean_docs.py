"""Sanity checks for the invented Korean corpus tests/data/korean_docs/ and its question sets
tests/data/korean_docs.jsonl (Korean) and tests/data/korean_docs_en.jsonl (English parallels).

- every document decodes with its declared encoding (ko06 cp949, ko07 strict 2-byte EUC-KR,
  ko08 UTF-16 with BOM, the rest UTF-8), its first line is a headline under 60 characters and the
  body holds 10-16 sentences;
- every line of the two question files is valid JSON with the expected fields and a unique id;
- every answerable row's evidence is a verbatim substring of its (decoded) source, its first answer
  is written as in the evidence, and at least one answer occurs in the evidence (commas removed);
- unanswerable rows have empty answers/sources/evidence, and the per-row patterns below (which would
  give their answer away) are absent from the documents;
- every English row links (ko_id) to an answerable Korean row with the same sources and evidence,
  and keeps all the Korean row's answers;
- counts: 28 answerable + 8 unanswerable Korean rows, >= 3 per document, 14 English rows.

Standard library only. Usage: python3 scripts/check_korean_docs.py
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DOCS = DATA / "korean_docs"
ENCODINGS = {f"ko0{i}.txt": "utf-8" for i in range(1, 6)}
ENCODINGS.update({"ko06.txt": "cp949", "ko07.txt": "euc-kr", "ko08.txt": "utf-16"})
FIELDS = ["id", "question", "answers", "sources", "evidence", "type", "lang", "set", "corpus"]

# unanswerable rows: (document, patterns that would give the answer away)
ABSENT = {
    "kodoc-unans-01": ("ko01.txt", [r"속도", r"시속", r"km/h"]),
    "kodoc-unans-02": ("ko02.txt", [r"순이익", r"당기"]),
    "kodoc-unans-03": ("ko03.txt", [r"관장"]),
    "kodoc-unans-04": ("ko04.txt", [r"\d[\d,]*\s?(만\s?)?원", r"가격", r"판매가", r"출고가"]),
    "kodoc-unans-05": ("ko05.txt", [r"보험"]),
    "kodoc-unans-06": ("ko06.txt", [r"비단섬[^\n.]*(인구|주민|\d+\s?명)"]),
    "kodoc-unans-07": ("ko07.txt", [r"연봉", r"계약금", r"몸값"]),
    "kodoc-unans-08": ("ko08.txt", [r"\d+\s?명", r"연구원들"]),
}


def norm(s):
    return re.sub(r"\s+", " ", re.sub(r"(?<=\d),(?=\d)", "", s))


def load_docs(errors):
    texts = {}
    for name, enc in ENCODINGS.items():
        raw = (DOCS / name).read_bytes()
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError as e:
            errors.append(f"{name}: does not decode as {enc} ({e})")
            continue
        if enc == "utf-16" and raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            errors.append(f"{name}: UTF-16 without BOM")
        if enc == "euc-kr":
            # Python's euc-kr codec also writes 8-byte KS X 1001 make-up sequences; forbid them
            bad = sorted({ch for ch in text if len(ch.encode("euc-kr")) > 2})
            if bad:
                errors.append(f"{name}: characters outside 2-byte EUC-KR: {''.join(bad)}")
        if enc == "utf-8" and raw.startswith(b"\xef\xbb\xbf"):
            errors.append(f"{name}: unexpected UTF-8 BOM")
        text = text.lstrip("\ufeff")
        head, _, body = text.partition("\n")
        if not head.strip() or len(head) >= 60:
            errors.append(f"{name}: headline missing or not under 60 characters ({len(head)})")
        n = len(re.findall(r"[.?!](?=\s|$)", body))
        if not 10 <= n <= 16:
            errors.append(f"{name}: {n} sentences, expected 10-16")
        texts[name] = text
    other = sorted(p.name for p in DOCS.iterdir() if p.name not in ENCODINGS)
    if other:
        errors.append(f"unexpected files in korean_docs/: {other}")
    return texts


def load(name, errors):
    rows = []
    for n, line in enumerate(open(DATA / name, encoding="utf-8"), 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            errors.append(f"{name}:{n}: invalid JSON ({e})")
    return rows


def check_row(row, texts, errors):
    rid = row.get("id")
    for f in FIELDS:
        if f not in row:
            errors.append(f"{rid}: missing field {f}")
    if row.get("corpus") != "korean_docs":
        errors.append(f"{rid}: corpus != korean_docs")
    if row.get("type") == "unanswerable":
        if row["answers"] or row["sources"] or row["evidence"]:
            errors.append(f"{rid}: unanswerable row with answers/sources/evidence")
        return
    if not row["answers"] or len(row["sources"]) != 1 or row["sources"][0] not in texts:
        errors.append(f"{rid}: needs answers and one known source ({row['sources']})")
        return
    src, ev = row["sources"][0], row["evidence"]
    if not ev or ev not in texts[src]:
        errors.append(f"{rid}: evidence not verbatim in {src}")
    if row["answers"][0] not in ev:
        errors.append(f"{rid}: first answer {row['answers'][0]!r} not written as in the evidence")
    if not any(norm(a) in norm(ev) for a in row["answers"]):
        errors.append(f"{rid}: no answer occurs in the evidence")
    if len(set(row["answers"])) != len(row["answers"]):
        errors.append(f"{rid}: duplicate answers")


def main():
    errors = []
    texts = load_docs(errors)
    ko = load("korean_docs.jsonl", errors)
    en = load("korean_docs_en.jsonl", errors)
    ids = [r.get("id") for r in ko + en]
    for d in sorted({i for i in ids if ids.count(i) > 1}):
        errors.append(f"{d}: duplicate id")
    for r in ko + en:
        check_row(r, texts, errors)

    by_id = {r["id"]: r for r in ko}
    answerable = [r for r in ko if r["type"] != "unanswerable"]
    unans = [r for r in ko if r["type"] == "unanswerable"]
    seen = set()
    for r in ko:
        if r.get("lang") != "ko" or r.get("set") != "korean_docs":
            errors.append(f"{r['id']}: lang/set should be ko/korean_docs")
        if r["type"] not in ("korean", "unanswerable"):
            errors.append(f"{r['id']}: type {r['type']}")
        pat = r"kodoc-unans-\d\d" if r["type"] == "unanswerable" else r"kodoc-\d\d"
        if not re.fullmatch(pat, r["id"]):
            errors.append(f"{r['id']}: id does not match {pat}")
        if not re.search(r"[\uac00-\ud7a3]", r["question"]):
            errors.append(f"{r['id']}: question has no Hangul")
        if r["question"] in seen:
            errors.append(f"{r['id']}: duplicate question")
        seen.add(r["question"])
    for r in en:
        k = by_id.get(r.get("ko_id"))
        if r.get("lang") != "en" or r.get("set") != "korean_docs_en":
            errors.append(f"{r['id']}: lang/set should be en/korean_docs_en")
        if r["type"] not in ("factoid", "numeric"):
            errors.append(f"{r['id']}: type {r['type']}")
        if k is None or k["type"] == "unanswerable":
            errors.append(f"{r['id']}: ko_id {r.get('ko_id')} is not an answerable Korean row")
            continue
        if r["id"] != "en-" + k["id"]:
            errors.append(f"{r['id']}: id does not match ko_id {k['id']}")
        if r["sources"] != k["sources"] or r["evidence"] != k["evidence"]:
            errors.append(f"{r['id']}: sources/evidence differ from {k['id']}")
        missing = [a for a in k["answers"] if a not in r["answers"]]
        if missing:
            errors.append(f"{r['id']}: lacks Korean answers {missing}")
        if re.search(r"[\uac00-\ud7a3]", r["question"]):
            errors.append(f"{r['id']}: English question contains Hangul")

    for rid, (src, pats) in ABSENT.items():
        if rid not in by_id or by_id[rid]["type"] != "unanswerable":
            errors.append(f"{rid}: expected unanswerable row")
            continue
        for p in pats:
            m = re.search(p, texts.get(src, ""))
            if m:
                errors.append(f"{rid}: pattern {p!r} found in {src}: {m.group(0)!r}")
    if len(unans) != len(ABSENT):
        errors.append(f"{len(unans)} unanswerable rows but {len(ABSENT)} absence checks")

    per_doc = {name: 0 for name in ENCODINGS}
    for r in answerable:
        for s in r["sources"]:
            per_doc[s] = per_doc.get(s, 0) + 1
    for name, n in per_doc.items():
        if n < 3:
            errors.append(f"{name}: only {n} answerable questions")
    if (len(answerable), len(unans), len(en)) != (28, 8, 14):
        errors.append(f"counts {len(answerable)}/{len(unans)}/{len(en)}, expected 28/8/14")

    print("documents:", {n: ENCODINGS[n] for n in texts})
    print("korean_docs.jsonl:", len(ko), "rows:", len(answerable), "answerable,", len(unans), "unanswerable")
    print("answerable per document:", per_doc)
    print("korean_docs_en.jsonl:", len(en), "rows", {t: sum(r["type"] == t for r in en) for t in ("factoid", "numeric")})
    if errors:
        print(f"{len(errors)} problem(s):")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
