"""Score questions that ask two things at once (tests/data/two_part.jsonl), each part on its own.

A row holds the question as a user asks it and its parts, each with the part asked alone, its accepted
answers and its source, or `answerable: false` when the documents do not answer that part. A part of an
answer is judged from the answer's own part (`Answer.parts`, when the question was answered part by part) or
else from the whole answer (SCORING.md's rules, the part's type: an answerable part is a factoid, an
unanswerable one is right when refused). A part is *dropped* when the answer says nothing of it: answered
part by part, a part with neither an answer nor "the documents do not say"; answered as one question, a
part the whole answer neither answers right nor refuses (the failure this set is for; wrong is not dropped
when the part has its own answer).

Example:
    >>> from qa.answer.events import Answer
    >>> row = {"question": "A and B?", "parts": [
    ...     {"question": "A?", "answerable": True, "answers": ["7"], "sources": ["a.txt"]},
    ...     {"question": "B?", "answerable": False, "answers": [], "sources": []}]}
    >>> whole = Answer("A and B?", "7 [1].", False, [], [])
    >>> [(p["correct"], p["dropped"]) for p in score_parts(row, whole)]
    [(True, False), (False, True)]
"""
from __future__ import annotations

import json
from pathlib import Path

from qa.eval.scoring import score_answer


def load_rows(path: str | Path, split: str | None = None) -> list[dict]:
    """The rows of a two-part set, of one `split` ("dev", "report") or all."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split in (None, "all", r["split"])]


def _part_question(part: dict) -> dict:
    return {"type": "factoid" if part["answerable"] else "unanswerable", "answers": part["answers"]}


def score_part(part: dict, answer, own: bool = True) -> dict:
    """One part judged from `answer`: the part's own answer (`own`), or the whole answer to the question."""
    scored = score_answer(_part_question(part), answer.text, answer.refused)
    addressed = bool(answer.refused) or (own and bool(answer.text.strip())) or scored["correct"]
    return {"correct": scored["correct"], "refused": scored["refused"], "dropped": not addressed}


def score_parts(row: dict, answer) -> list[dict]:
    """Each part of `row` judged from its own part of `answer` when the answer has as many parts; else from
    the whole answer (a part then counts as said unanswered only when the whole answer refuses)."""
    own = len(getattr(answer, "parts", []) or []) == len(row["parts"])
    parts = answer.parts if own else [answer] * len(row["parts"])
    return [score_part(p, a, own) for p, a in zip(row["parts"], parts)]


def summary(results: list[list[dict]]) -> dict:
    """Totals over rows of part results: parts right, rows with both parts right, dropped parts."""
    parts = [p for row in results for p in row]
    return {"rows": len(results), "parts": len(parts),
            "parts_correct": sum(p["correct"] for p in parts),
            "both_correct": sum(all(p["correct"] for p in row) for row in results),
            "dropped": sum(p["dropped"] for p in parts),
            "unanswerable_parts": sum(not p.get("answerable", True) for p in parts),
            "unanswerable_refused": sum(not p.get("answerable", True) and p["refused"] for p in parts)}
