"""Evaluation over question sets in the `dev.jsonl` format (see tests/data/SCORING.md).

Retrieval: for each answerable question, is the longest sentence of its `evidence` inside the stored
text of one of the top k passages (white space folded)? Reported as recall@k and MRR, for dense-only,
BM25-only and fused retrieval, English and Korean questions apart.

Example:
    >>> summary = evaluate_retrieval("tests/data/dev.jsonl", assistant, k=5)   # doctest: +SKIP
    >>> summary["hybrid"]["english"]["recall@5"]                              # doctest: +SKIP
    1.0
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

from .chunking import sentence_spans

MODES = ("dense", "lexical", "hybrid")
MRR_DEPTH = 20


def load_questions(path: str | Path) -> list[dict]:
    """Questions of a JSONL file; blank lines ignored."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fold(text: str) -> str:
    """White space folded to single spaces."""
    return " ".join(text.split())


def has_hangul(text: str) -> bool:
    return bool(re.search(r"[\uac00-\ud7a3]", text))


def evidence_key(evidence: str) -> str:
    """The longest sentence of an evidence span, white space folded."""
    spans = sentence_spans(evidence) or [(0, len(evidence))]
    return fold(max((evidence[s:e] for s, e in spans), key=len))


def first_hit(passage_texts: Iterable[str], key: str) -> int | None:
    """1-based rank of the first passage containing `key`, or None."""
    for rank, text in enumerate(passage_texts, start=1):
        if key in fold(text):
            return rank
    return None


def evaluate_retrieval(path: str | Path, assistant, k: int = 5, modes: Iterable[str] = MODES) -> dict:
    """Recall@k and MRR per mode and language over the answerable questions of `path`.

    Returns {"k": k, "rows": [...per question...], mode: {language: {"n", "recall@k", "mrr"}}}.
    """
    questions = [q for q in load_questions(path) if q.get("type") != "unanswerable" and q.get("evidence")]
    summary: dict = {"k": k, "rows": []}
    for mode in modes:
        groups: dict[str, list[tuple[int | None]]] = {"english": [], "korean": []}
        for q in questions:
            passages = assistant.search(q["question"], k=max(k, MRR_DEPTH), mode=mode)
            rank = first_hit((p.text for p in passages), evidence_key(q["evidence"]))
            language = "korean" if has_hangul(q["question"]) else "english"
            groups[language].append(rank)
            summary["rows"].append({"id": q["id"], "mode": mode, "language": language, "rank": rank})
        summary[mode] = {
            language: {
                "n": len(ranks),
                f"recall@{k}": round(sum(1 for r in ranks if r and r <= k) / len(ranks), 4) if ranks else None,
                "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 4) if ranks else None,
            }
            for language, ranks in groups.items()
        }
    return summary


def format_retrieval_table(summary: dict) -> str:
    """A Markdown table of a retrieval summary."""
    k = summary["k"]
    lines = [f"| retrieval | language | questions | recall@{k} | MRR |", "|---|---|---|---|---|"]
    for mode in MODES:
        for language, row in summary.get(mode, {}).items():
            if row["n"]:
                lines.append(f"| {mode} | {language} | {row['n']} | {row[f'recall@{k}']:.3f} | {row['mrr']:.3f} |")
    return "\n".join(lines)


# --- answers ---------------------------------------------------------------------------------------------

WARMUP_QUESTIONS = ("What are these documents about?", "Which organisations do the documents mention?")


def evaluate_answers(path: str | Path, assistant, *, k: int | None = None, generator: str | None = None,
                     limit: int | None = None, progress: bool = True, warmup: bool = True,
                     types: set[str] | None = None) -> dict:
    """Ask every question once (a fresh conversation each) and score it by SCORING.md.

    With `warmup`, two questions that are not in the set are asked first (model load, caches), so the
    timings measure answering, not start-up. Returns {"summary", "by_type", "latency", "rows"}.
    """
    import statistics
    import sys

    from .scoring import by_type, score_answer, summarize

    questions = [q for q in load_questions(path) if not types or q["type"] in types]
    questions = questions[:limit] if limit else questions
    if warmup:
        for q in WARMUP_QUESTIONS:
            assistant.ask(q, k=k, generator=generator)
    rows = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(questions), desc="questions", file=sys.stderr, leave=False)
    for q in questions:
        history = [tuple(turn) for turn in q.get("history", [])] or None
        answer = assistant.ask(q["question"], history=history, k=k, generator=generator)
        scored = score_answer(q, answer.text, answer.refused)
        rows.append({
            "id": q["id"], "type": q["type"], "question": q["question"], "rewritten": answer.rewritten,
            "conflict": answer.conflict, "answer": answer.text,
            "raw": answer.raw, "refused": answer.refused, "correct": scored["correct"], "matched": scored["matched"],
            "cited": sorted({c.source for c in answer.citations}), "gold": q.get("sources", []),
            "citations": [{"n": c.n, "source": c.source, "quote": c.quote} for c in answer.citations],
            "timings": {key: round(v, 3) for key, v in answer.timings.items()},
        })
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    totals = sorted(r["timings"].get("total_s", 0.0) for r in rows)
    latency = {}
    if totals:
        latency = {"p50_s": round(statistics.median(totals), 3),
                   "p95_s": round(totals[min(len(totals) - 1, int(round(0.95 * (len(totals) - 1))))], 3)}
    return {"summary": summarize(rows), "by_type": by_type(rows), "latency": latency, "rows": rows}
