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

import dataclasses
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Iterable

from qa.eval.scoring import source_name
from qa.text.rules import claims_with_markers, has_hangul
from qa.text.sentences import sentence_spans

MODES = ("dense", "lexical", "hybrid")
MRR_DEPTH = 20


def load_questions(path: str | Path) -> list[dict]:
    """Questions of a JSONL file; blank lines ignored."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sample_questions(questions: list[dict], n: int | None, seed: int = 0) -> list[dict]:
    """A reproducible random sample of `n` questions, in file order (all of them when `n` is None or larger).

    >>> [q["id"] for q in sample_questions([{"id": i} for i in range(10)], 3, seed=1)]
    [1, 2, 4]
    """
    if n is None or n >= len(questions):
        return list(questions)
    import random

    picked = sorted(random.Random(seed).sample(range(len(questions)), n))
    return [questions[i] for i in picked]


def scope_of(q: dict) -> list[str] | None:
    """The documents a question is about (its `scope`), searched alone; None when it has none."""
    scope = q.get("scope")
    if not scope:
        return None
    return [source_name(s) for s in ([scope] if isinstance(scope, str) else scope)]


def corpus_index_dir(corpus: str | Path, settings) -> Path:
    """Where `qa eval --corpus DIR` keeps the index of DIR: one folder per corpus path under the cache."""
    folder = Path(corpus).resolve()
    digest = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    return settings.cache_dir / "corpora" / f"{folder.name}-{digest}"


def corpus_assistant(corpus: str | Path, settings, *, embedder=None, generator=None):
    """An `Assistant` over the folder `corpus`, indexed into the cache: built on first use, then brought up
    to date incrementally (unchanged files are not embedded again). `embedder` and `generator` let several
    corpora share loaded models."""
    from qa.api import Assistant
    from qa.errors import QAError

    folder = Path(corpus)
    if not folder.is_dir():
        raise QAError(f"{corpus}: no such folder")
    return Assistant.from_paths([folder.resolve()], index=corpus_index_dir(folder, settings), settings=settings,
                                embedder=embedder, generator=generator)


def fold(text: str) -> str:
    """White space folded to single spaces."""
    return " ".join(text.split())


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


def evaluate_retrieval(path: str | Path, assistant, k: int = 5, modes: Iterable[str] = MODES, *,
                       sample: int | None = None, seed: int = 0) -> dict:
    """Recall@k and MRR per mode and language over the answerable questions of `path` (a row's `scope`
    restricts its search to those documents).

    Returns {"k": k, "rows": [...per question...], mode: {language: {"n", "recall@k", "mrr"}}}.
    """
    # sampled before filtering, so `--sample N --seed S` picks the same rows as `qa eval`
    questions = [q for q in sample_questions(load_questions(path), sample, seed)
                 if q.get("type") != "unanswerable" and q.get("evidence")]
    summary: dict = {"k": k, "rows": []}
    for mode in modes:
        groups: dict[str, list[tuple[int | None]]] = {"english": [], "korean": []}
        for q in questions:
            # as typed: no generator here to translate a Korean question (answering searches its translation
            # too); BM25 and the multilingual space read Korean
            passages = assistant.search(q["question"], k=max(k, MRR_DEPTH), mode=mode, sources=scope_of(q))
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
_SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "만": 1e4, "억": 1e8, "조": 1e12}
_AMOUNT = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(thousand|million|billion|trillion|만|억|조)?",
                     re.IGNORECASE)


def amounts(text: str) -> set[float]:
    """Numbers with their scale words applied, in English or Korean: "10 million" == "1,000만"."""
    out = set()
    for m in _AMOUNT.finditer(text):
        value = float(m.group(1).replace(",", "")) * _SCALE_WORDS.get((m.group(2) or "").lower(), 1)
        out.add(round(value, 6))
    return out


def quote_figure_share(answer) -> float | None:
    """Share of the [n] markers whose quote holds every figure of the text they close. A question an answer
    repeats before its part's answer ("Where can I get AX 3.1 Lite? Hugging Face [1].") is not a claim.

    >>> from types import SimpleNamespace as A
    >>> quote_figure_share(A(text="Where is AX 3.1? Hugging Face [1].", citations=[A(n=1, quote="On Hugging Face.")]))
    1.0
    """
    pairs = [(claim.rsplit("? ", 1)[-1], n) for claim, numbers in claims_with_markers(answer.text) for n in numbers]
    if not pairs:
        return None
    quotes = {c.n: c.quote for c in answer.citations}
    ok = sum(1 for claim, n in pairs if n in quotes and amounts(claim) <= amounts(quotes[n]))
    return ok / len(pairs)


def _code_version() -> str:
    """A hash of every module of qa/ (its subpackages too): any change of code asks every question again."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _model_files_version(settings) -> str:
    """The sha256 of the files trained or fitted here that answers depend on: the calibration and, in a
    span-reading mode, the span reader's weights (retrained weights never reuse a stale answer)."""
    from qa.answer.calibration import DEFAULT_FILE
    from qa.models.span_reader import READER_DIR, WEIGHTS_FILE

    files = [Path(settings.calibration_file or DEFAULT_FILE)]
    if settings.reader != "generator":
        files.append(Path(settings.span_reader_dir or READER_DIR) / WEIGHTS_FILE)
    return ",".join(_file_hash(f, f.stat().st_size, f.stat().st_mtime_ns) if f.is_file() else f"missing:{f.name}"
                    for f in files)


@functools.lru_cache(maxsize=16)
def _file_hash(path: Path, size: int, mtime_ns: int) -> str:
    """A file's sha256, computed once per (path, size, modification time)."""
    from qa.models.profiles import sha256_file

    return sha256_file(path)


def _cache_key(q: dict, assistant, k, generator) -> str:
    manifest = json.dumps(assistant.store.manifest, sort_keys=True)
    settings = assistant.settings
    # every setting but folders: a tuning variable (QA_VERIFY_*, QA_MAX_NEW_TOKENS...) changes the answers
    tunables = {k: v for k, v in dataclasses.asdict(settings).items() if not isinstance(v, Path)}
    parts = [q["question"], json.dumps(q.get("history", [])), json.dumps(scope_of(q)), _code_version(),
             json.dumps(tunables, sort_keys=True, default=str), generator or settings.generator,
             settings.backend, str(k or settings.top_k), hashlib.sha256(manifest.encode()).hexdigest(),
             # whether the cascade runs depends on how the assistant got its generator, not only on settings
             str(assistant.cascade_model(generator)), _model_files_version(settings)]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _ask_row(q: dict, assistant, k, generator) -> dict:
    from qa.eval.scoring import score_answer, token_f1

    history = [tuple(turn) for turn in q.get("history", [])] or None
    answer = assistant.ask(q["question"], history=history, k=k, generator=generator, sources=scope_of(q))
    scored = score_answer(q, answer.text, answer.refused)
    key = evidence_key(q["evidence"]) if q.get("evidence") else None
    rank = first_hit((p.text for p in answer.passages), key) if key else None
    gold = {source_name(s) for s in q.get("sources", [])}
    timings = dict(answer.timings)
    generate_s = timings.get("generate_s") or 0.0
    return {
        "id": q["id"], "type": q["type"], "question": q["question"], "rewritten": answer.rewritten,
        "answer": answer.text, "raw": answer.raw, "refused": answer.refused, "conflict": answer.conflict,
        "correct": scored["correct"], "matched": scored["matched"], "too_long": scored["too_long"],
        "words": scored["words"], "f1": token_f1(q, answer.text, answer.refused), "scope": scope_of(q),
        "confidence": answer.confidence, "features": answer.features,
        "cited": sorted({c.source for c in answer.citations}), "gold": q.get("sources", []),
        "citations": [{"n": c.n, "source": c.source, "quote": c.quote, "score": c.score} for c in answer.citations],
        "passages": [{"source": p.source, "score": p.score, "text": p.text} for p in answer.passages],
        "has_evidence": key is not None, "evidence_rank": rank,
        "source_recall": (len(gold & {source_name(p.source) for p in answer.passages}) / len(gold)) if gold else None,
        "quote_figure_share": quote_figure_share(answer),
        "timings": {name: round(v, 4) for name, v in timings.items()},
        "tokens_per_s": round(timings.get("new_pieces", 0) / generate_s, 2) if generate_s > 0 else None,
    }


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 4)


def summarize_run(rows: list[dict], k: int) -> dict:
    """Every metric of a run: SCORING.md's, retrieval, citations and cost; overall and per type."""
    import resource
    import statistics

    from qa.eval.scoring import by_type, summarize

    answerable = [r for r in rows if r["type"] != "unanswerable" and r.get("gold")]
    with_evidence = [r for r in rows if r.get("has_evidence")]
    totals = [r["timings"].get("total_s", 0.0) for r in rows]
    firsts = [r["timings"]["first_token_s"] for r in rows if "first_token_s" in r["timings"]]
    verified = [r["timings"]["first_verified_s"] for r in rows if "first_verified_s" in r["timings"]]
    speeds = [r["tokens_per_s"] for r in rows if r.get("tokens_per_s")]
    shares = [r["quote_figure_share"] for r in rows if r.get("quote_figure_share") is not None]
    recalls = [r["source_recall"] for r in answerable if r.get("source_recall") is not None]
    return {
        "answers": summarize(rows),
        "by_type": by_type(rows),
        "retrieval": {
            f"evidence_recall@{k}": round(sum(1 for r in with_evidence if r["evidence_rank"]) / len(with_evidence), 4)
            if with_evidence else None,
            "mrr": round(sum(1 / r["evidence_rank"] for r in with_evidence if r["evidence_rank"]) / len(with_evidence), 4)
            if with_evidence else None,
            f"source_recall@{k}": round(statistics.mean(recalls), 4) if recalls else None,
        },
        "citations": {"quote_figure_share": round(statistics.mean(shares), 4) if shares else None},
        "conflicts": {"flagged": sum(1 for r in rows if r.get("conflict")),
                      "numeric_rows": sum(1 for r in rows if r["type"] == "numeric"),
                      "numeric_flagged": sum(1 for r in rows if r["type"] == "numeric" and r.get("conflict"))},
        "cost": {
            "latency_p50_s": _percentile(totals, 0.5), "latency_p95_s": _percentile(totals, 0.95),
            "first_token_p50_s": _percentile(firsts, 0.5),
            # call -> the first claim that passed verification (the first text the page shows)
            "first_verified_p50_s": _percentile(verified, 0.5),
            "tokens_per_s_p50": _percentile(speeds, 0.5),
            # the share of questions the cascade's stronger model answered again (QA_ESCALATE_GENERATOR)
            "escalated_share": round(sum("escalated_s" in r["timings"] for r in rows) / len(rows), 4) if rows else None,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
    }


def evaluate(path: str | Path, assistant=None, *, k: int | None = None, generator: str | None = None,
             limit: int | None = None, types: set[str] | None = None, cache: bool = True,
             report: str | Path | None = None, progress: bool = True, warmup: bool = True,
             sample: int | None = None, seed: int = 0) -> dict:
    """Ask every question of `path` once (a fresh conversation each, its own `history` if it has one,
    its search restricted to its `scope` if it has one), score by SCORING.md, and return the summary;
    with `report`, also write the report folder. `sample` picks a reproducible sample (`seed`).

    Answers are cached per question under `$QA_CACHE_DIR/eval/`, keyed by the question, the code, the
    generator and the index manifest, so an interrupted run resumes and a changed system recomputes.

    >>> evaluate("tests/data/dev.jsonl", limit=3)["answers"]["answerable_accuracy"]   # doctest: +SKIP
    1.0
    """
    import sys

    if assistant is None:
        from qa.api import Assistant

        assistant = Assistant()
    k = k or assistant.settings.top_k
    questions = [q for q in load_questions(path) if not types or q["type"] in types]
    questions = sample_questions(questions, sample, seed)
    questions = questions[:limit] if limit else questions
    cache_dir = assistant.settings.cache_dir / "eval"
    rows: list[dict] = []
    todo = []
    for q in questions:
        file = cache_dir / f"{_cache_key(q, assistant, k, generator)}.json"
        if cache and file.is_file():
            try:
                rows.append(json.loads(file.read_text(encoding="utf-8")))
                continue
            except ValueError:
                pass
        rows.append(None)
        todo.append((len(rows) - 1, q, file))
    if todo and warmup:
        for wq in WARMUP_QUESTIONS:
            assistant.ask(wq, k=k, generator=generator)
    bar = None
    if progress and todo:
        from tqdm import tqdm

        # a terminal gets a live bar; a log file (a long run sent to a file) a line a minute
        live = sys.stderr.isatty()
        bar = tqdm(total=len(todo), desc=f"{Path(path).stem} questions", file=sys.stderr, leave=not live,
                   mininterval=0.5 if live else 60.0, ascii=not live)
    for i, q, file in todo:
        rows[i] = _ask_row(q, assistant, k, generator)
        if cache:
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_suffix(".tmp")
            tmp.write_text(json.dumps(rows[i], ensure_ascii=False), encoding="utf-8")
            tmp.replace(file)
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    summary = {"questions_file": str(path), "k": k, "generator": generator or assistant.settings.generator,
               "backend": assistant.settings.backend, **summarize_run(rows, k)}
    if report:
        from qa.eval.report import write_report

        write_report(Path(report), rows, summary)
    return summary


def compare(a: dict, b: dict, prefix: str = "") -> list[tuple[str, float | None, float | None]]:
    """Every numeric metric of two summaries: (name, in a, in b)."""
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        name = f"{prefix}{key}"
        if isinstance(va, dict) or isinstance(vb, dict):
            out += compare(va or {}, vb or {}, name + ".")
        elif isinstance(va, (int, float)) or isinstance(vb, (int, float)):
            if not isinstance(va, bool) and not isinstance(vb, bool):
                out.append((name, va, vb))
    return out
