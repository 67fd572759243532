"""The evaluation report: results.jsonl, summary.json, report.md and PNG plots, in one folder.

Example:
    >>> write_report(Path("reports/dev"), rows, summary)   # doctest: +SKIP
"""
from __future__ import annotations

import json
from pathlib import Path

WORST = 10


def _table(rows: list[tuple], header: tuple) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join("" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v)) for v in row) + " |")
    return "\n".join(lines)


def _cell(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return (text[:limit] + "…" if len(text) > limit else text).replace("|", "\\|")


def plot(rows: list[dict], summary: dict, folder: Path) -> list[str]:
    """Accuracy by type, latency distribution, rank of the gold evidence. Returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    by_type = summary["by_type"]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    kinds = sorted(by_type)
    ax.bar(kinds, [by_type[t]["accuracy"] for t in kinds], color="#4C72B0")
    for i, t in enumerate(kinds):
        ax.text(i, by_type[t]["accuracy"] + 0.02, f"{by_type[t]['correct']}/{by_type[t]['n']}", ha="center", fontsize=8)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("accuracy")
    ax.set_title("Accuracy by question type")
    plt.xticks(rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(folder / "accuracy_by_type.png", dpi=110)
    plt.close(fig)
    names.append("accuracy_by_type.png")

    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist([r["timings"].get("total_s", 0) for r in rows], bins=20, color="#55A868")
    ax.set_xlabel("seconds per question")
    ax.set_ylabel("questions")
    ax.set_title("Latency distribution")
    fig.tight_layout()
    fig.savefig(folder / "latency.png", dpi=110)
    plt.close(fig)
    names.append("latency.png")

    k = summary["k"]
    ranks = [r["evidence_rank"] for r in rows if r.get("has_evidence")]
    labels = [str(i) for i in range(1, k + 1)] + ["miss"]
    counts = [sum(1 for x in ranks if x == i) for i in range(1, k + 1)] + [sum(1 for x in ranks if not x)]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar(labels, counts, color="#C44E52")
    ax.set_xlabel("rank of the first passage holding the gold evidence")
    ax.set_ylabel("questions")
    ax.set_title("Where the evidence was retrieved")
    fig.tight_layout()
    fig.savefig(folder / "evidence_rank.png", dpi=110)
    plt.close(fig)
    names.append("evidence_rank.png")
    return names


def write_report(folder: Path, rows: list[dict], summary: dict) -> None:
    """Write the whole report folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "results.jsonl", "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    images = plot(rows, summary, folder)

    a = summary["answers"]
    lines = [f"# Evaluation of `{summary['questions_file']}`", "",
             f"Generator `{summary['generator']}` on `{summary['backend']}`, k = {summary['k']}, "
             f"{a['questions']} questions ({a['answerable']} answerable, {a['unanswerable']} unanswerable).", "",
             "## Answers (SCORING.md)", "",
             _table([(name, a[name]) for name in ("answerable_accuracy", "refusal_accuracy", "false_refusal_rate",
                                                   "source_hit", "citation_precision")], ("metric", "value")), "",
             "## By type", "",
             _table([(t, v["correct"], v["n"], v["accuracy"]) for t, v in sorted(summary["by_type"].items())],
                    ("type", "correct", "questions", "accuracy")), "",
             "## Retrieval, citations, cost", "",
             _table([(f"{group}.{name}", value) for group in ("retrieval", "citations", "cost")
                     for name, value in summary[group].items()], ("metric", "value")), ""]
    lines += [f"![{name}]({name})" for name in images] + [""]
    worst = sorted(rows, key=lambda r: (r["correct"], -r["timings"].get("total_s", 0)))[:WORST]
    lines += [f"## The {len(worst)} worst questions (wrong first, then slowest)", ""]
    for r in worst:
        lines += [f"### {r['id']} ({r['type']}) — {'correct' if r['correct'] else 'WRONG'}"
                  f"{', refused' if r['refused'] else ''}, {r['timings'].get('total_s', 0):.2f} s", "",
                  f"- question: {_cell(r['question'])}"]
        if r.get("rewritten"):
            lines.append(f"- rewritten: {_cell(r['rewritten'])}")
        lines += [f"- answer: {_cell(r['answer'])}", f"- model wrote: {_cell(r.get('raw', ''))}",
                  f"- gold sources: {', '.join(r['gold']) or '-'}; cited: {', '.join(r['cited']) or '-'}; "
                  f"evidence rank: {r.get('evidence_rank') or '-'}", "- passages:"]
        lines += [f"  {i}. `{p['source']}` ({p['score']:.4f}): {_cell(p['text'], 300)}"
                  for i, p in enumerate(r.get("passages", [])[:3], start=1)]
        lines.append("")
    (folder / "report.md").write_text("\n".join(lines), encoding="utf-8")
