"""Korean for lexical search, measured: BM25 recall@5 of the evidence sentence for the Korean questions of
tests/data/korean_docs.jsonl over the sentences of tests/data/korean_docs/, by how Korean text becomes
terms: whole words (particles attached: what the analyzer did before), syllable pairs (what it does now),
and the morphemes of kiwipiepy (a morphological analyzer with a bundled model; measured when it can be
imported: `pip install --target /tmp/kiwi kiwipiepy==0.24.1`, then KIWI_PATH=/tmp/kiwi). Writes
bench/korean-lexical.json.

    .venv/bin/python scripts/bench_korean_lexical.py
"""
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pathlib import Path

import bm25s
import numpy as np

from qa.eval.evaluation import evidence_key, fold
from qa.ingest.documents import load_document
from qa.text.analyzer import Analyzer

docs = [load_document(p) for p in sorted((ROOT / "tests" / "data" / "korean_docs").iterdir())]
from qa.text.sentences import sentence_spans


class S:
    def __init__(self, t): self.text = t
chunks = [S(d.text[a:b]) for d in docs for a, b in sentence_spans(d.text)]
rows = [json.loads(l) for l in open(ROOT / "tests" / "data" / "korean_docs.jsonl", encoding="utf-8") if '"evidence": ""' not in l]
base = Analyzer()
def words(text):  # before: whole words, particles attached
    import re
    import unicodedata
    return [t for t in re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).lower()) if len(t) > 1]
kiwi_terms = None
try:
    sys.path.insert(0, os.environ.get("KIWI_PATH", "/tmp/kiwi")); from kiwipiepy import Kiwi
    t0 = time.time(); kiwi = Kiwi(); kiwi_load = round(time.time() - t0, 2)
    def kiwi_terms(text):
        return [t.form for t in kiwi.tokenize(text) if t.tag[0] in "NVSX" or t.tag in ("MAG",)]
except ImportError as e:
    kiwi_load = None
    print(f"kiwipiepy not measured: {e}", file=sys.stderr)
results = {"questions": len(rows), "sentences": None, "kiwi_load_s": kiwi_load, "analyzers": {}}
for name, fn in (("words", words), ("bigrams", base.terms), ("kiwi", kiwi_terms)):
    if fn is None: continue
    t0 = time.time()
    corpus = [fn(c.text) or [""] for c in chunks]
    t_index = time.time() - t0
    bm = bm25s.BM25(); bm.index(corpus, show_progress=False)
    hit = 0
    for r in rows:
        ids = bm.get_tokens_ids(fn(r["question"]))
        if not ids: continue
        scores = np.asarray(bm.get_scores_from_ids(ids))
        top = np.argsort(-scores)[:5]
        key = evidence_key(r["evidence"])
        hit += any(fold(chunks[i].text) in key or key in fold(chunks[i].text) for i in top if scores[i] > 0)
    results["sentences"] = len(chunks)
    results["analyzers"][name] = {"recall@5": round(hit / len(rows), 3), "analyze_corpus_s": round(t_index, 3)}
    print(name, "recall@5", round(hit / len(rows), 3), f"({len(chunks)} sentences analyzed in {t_index:.3f} s)")
(ROOT / "bench" / "korean-lexical.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
