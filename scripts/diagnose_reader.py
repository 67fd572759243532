"""Where the answering step loses answers: for each answerable row of a `tune` split, does an accepted
answer occur (SCORING.md's match rule) in the retrieved passages, in the facts shown to the model, in the
model's reply, and in the final answer? Each stage's share is an upper bound for the next one.

A `check` file gets totals only (no `--out`, no reply cache): its questions are not to be read one by one.

Run: .venv/bin/python scripts/diagnose_reader.py ../shared/eval/public/wiki/tune.jsonl \
        --corpus ../shared/eval/public/wiki/corpus --sample 100 --seed 5 [--generator 0.5b] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.eval.evaluation import corpus_assistant, load_questions, sample_questions, scope_of  # noqa: E402
from qa.eval.scoring import entry_matches, normalize, score_answer  # noqa: E402
from qa.retrieve.evidence import candidate_sentences, facts_for_prompt  # noqa: E402
from qa.settings import Settings  # noqa: E402


def holds_answer(q: dict, text: str) -> bool:
    """True when any accepted entry of `q` (every entry for a list) occurs in `text`."""
    normalized = normalize(text)
    entries = [e for e in q.get("answers", []) if e]
    if not entries:
        return False
    hits = [entry_matches(e, normalized) for e in entries]
    return all(hits) if q.get("type") == "list" else any(hits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generator", default=None, help="ask with this profile alone (no cascade)")
    parser.add_argument("--out", default=None, help="per-row JSON lines")
    args = parser.parse_args(argv)
    check = "check" in Path(args.questions).name
    if check and (args.out or os.environ.get("QA_GENERATION_CACHE_DIR")):
        parser.error("a check split is diagnosed as totals only: no --out, no QA_GENERATION_CACHE_DIR (its "
                     "questions are never written anywhere)")
    settings = Settings.from_env()
    assistant = corpus_assistant(args.corpus, settings)
    rows = [q for q in sample_questions(load_questions(args.questions), args.sample, args.seed)
            if q.get("type") != "unanswerable"]
    stages = {"passages": 0, "facts": 0, "reply": 0, "answer": 0, "refused": 0,
              # where the reading after the reply wins or loses: the reply holds an answer but the final
              # answer is a refusal / is answered wrong; the reply holds none but the final answer is right
              "reply_then_refused": 0, "reply_then_wrong": 0, "gained_after_reply": 0}
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    for q in rows:
        retriever = assistant.retriever
        sources = scope_of(q)
        retrieval = retriever.retrieve(q["question"], settings.top_k, sources=sources)
        candidates = candidate_sentences(retriever, retrieval, q["question"])
        facts = facts_for_prompt(candidates, settings.verify_min_relevance, settings.context_sentences)
        answer = assistant.ask(q["question"], sources=sources, generator=args.generator)
        row = {"id": q["id"], "type": q["type"],
               "passages": holds_answer(q, " ".join(p.text for p in retrieval.passages)),
               "facts": holds_answer(q, " ".join(f.text for f in facts)),
               "reply": holds_answer(q, answer.raw),
               "answer": score_answer(q, answer.text, answer.refused)["correct"],
               "refused": answer.refused}
        row["reply_then_refused"] = row["reply"] and answer.refused
        row["reply_then_wrong"] = row["reply"] and not answer.refused and not row["answer"]
        row["gained_after_reply"] = not row["reply"] and row["answer"]
        for name in stages:
            stages[name] += bool(row[name])
        if out:
            out.write(json.dumps({**row, "question": q["question"], "answers": q["answers"], "raw": answer.raw,
                                  "text": answer.text, "facts_text": [f.text for f in facts],
                                  "confidence": answer.confidence}, ensure_ascii=False) + "\n")
    n = len(rows)
    print(json.dumps({"rows": n, **{k: round(v / n, 3) for k, v in stages.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
