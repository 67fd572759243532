"""Speed benchmark on this machine, side by side with the plain pipeline to beat (../shared/bench/naive_rag.py).

Measures, in one run:
  - answering: the dev set with the default generator, each question once in a fresh conversation, no
    answer cache, after warm-up questions: time to first token p50, generation tokens/s, whole answer
    p50/p95, and the SCORING.md summary;
  - start-up: loading the default generator in a fresh process (after the first run assembled it);
  - indexing: sentence windows embedded per second by this project's embedder versus
    `SentenceTransformer.encode` with its defaults on the same texts, and the retrieval metrics;
  - reading modes (`--modes`, default span,both,generator), every one in this run: the dev set and a seeded
    100-row sample of each public `tune` split, each mode's answer p50, first verified text p50 and
    answerable accuracy (no answer cache, after warm-up questions; the generator loaded once, and not at
    all for `span`);
  - the peer: naive_rag.py run unmodified on the same questions (its JSON output), scored by SCORING.md
    (it has no refusal flag: its text decides); the ratio of median times and the accuracies.
Writes bench/results.json and prints a Markdown table.

Run: make bench   (the peer takes several minutes: --no-peer skips it)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT.parent / "shared" / "bench" / "naive_rag.py"
DEV = ROOT / "tests" / "data" / "dev.jsonl"

LOAD_SNIPPET = """
import json, time
from qa.settings import Settings
from qa.models.profiles import resolve_model
from qa.models.generation import make_generator
s = Settings.from_env()
resolve_model(s.generator, s)  # assemble and verify first: what is timed is the load itself
t = time.perf_counter()
g = make_generator(s.generator, s)
print(json.dumps({"load_s": time.perf_counter() - t}))
"""


def run_json(args: list[str], env: dict | None = None) -> dict:
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_answers(folder: Path) -> dict:
    from qa.api import Assistant
    from qa.eval.evaluation import evaluate
    from qa.settings import Settings

    shutil.copytree(ROOT / "seeds", folder / "seeds")
    settings = Settings.from_env(data_dir=folder / "data")
    assistant = Assistant.from_paths([folder / "seeds"], index=folder / "index", settings=settings)
    summary = evaluate(DEV, assistant, cache=False, progress=False, warmup=True, report=folder / "report")
    rows = [json.loads(line) for line in (folder / "report" / "results.jsonl").read_text().splitlines()]
    return {"summary": summary, "times": [r["timings"]["total_s"] for r in rows]}


def bench_modes(folder: Path, modes: list[str], sample: int, seed: int) -> dict:
    """Each reading mode over the dev set and a seeded `sample` of each public tune split: speed and accuracy."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from eval_public import SETS

    from qa.eval.evaluation import corpus_assistant, evaluate
    from qa.models.embedding import make_embedder
    from qa.models.generation import make_generator
    from qa.settings import Settings

    base = Settings.from_env()
    embedder = make_embedder(base)
    generator = make_generator(base.generator, base) if set(modes) - {"span"} else None
    out: dict = {}
    for mode in modes:
        settings = dataclasses.replace(base, reader=mode)
        for name, (corpus, files) in SETS.items():
            assistant = corpus_assistant(corpus, settings, embedder=embedder,
                                         generator=None if mode == "span" else generator)
            s = evaluate(files["tune"], assistant, cache=False, progress=False, warmup=True,
                         sample=None if name == "dev" else sample, seed=seed, report=folder / f"{mode}-{name}")
            out.setdefault(mode, {})[name] = {
                "questions": s["answers"]["questions"],
                "answerable_accuracy": s["answers"]["answerable_accuracy"],
                "answer_p50_s": s["cost"]["latency_p50_s"],
                "first_verified_p50_s": s["cost"].get("first_verified_p50_s")}
            print(f"{mode} {name}: {out[mode][name]}", file=sys.stderr)
    return out


def bench_indexing() -> dict:
    """Sentence windows of the seeds embedded per second: this project's embedder vs ST's defaults."""
    from sentence_transformers import SentenceTransformer

    from qa.ingest.chunking import chunk_document, sentence_windows
    from qa.ingest.documents import load_document
    from qa.models.embedding import MiniLMEmbedder, make_embedder
    from qa.settings import Settings

    settings = Settings.from_env()
    ours = make_embedder(settings)
    texts = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        doc = load_document(path)
        chunks = chunk_document(doc, ours, settings.chunk_tokens, settings.chunk_overlap_tokens)
        texts += [w.text for w in sentence_windows(doc, chunks, ours, settings.chunk_tokens)]
    texts = texts * 4  # enough work to time
    plain = SentenceTransformer(str(MiniLMEmbedder().model_dir), device="cpu")
    plain.encode(texts[:8])
    ours.embed(texts[:8])
    t = time.perf_counter()
    plain.encode(texts)
    plain_s = time.perf_counter() - t
    t = time.perf_counter()
    ours.embed(texts)
    ours_s = time.perf_counter() - t
    return {"texts": len(texts), "st_defaults_per_s": round(len(texts) / plain_s, 1),
            "ours_per_s": round(len(texts) / ours_s, 1), "speedup": round(plain_s / ours_s, 2),
            "embedder": getattr(ours, "name", "?")}


def bench_peer(folder: Path, limit: int | None) -> dict:
    from qa.eval.evaluation import load_questions
    from qa.eval.scoring import score_answer, summarize

    out = folder / "naive.json"
    cmd = [sys.executable, str(PEER), "--questions", str(DEV), "--seeds", str(ROOT / "seeds"), "--out", str(out)]
    if limit:
        cmd += ["--limit", str(limit)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t
    answers = {a["id"]: a for a in json.loads(out.read_text())}
    rows = []
    for q in load_questions(DEV):
        if q["id"] not in answers:
            continue
        a = answers[q["id"]]
        scored = score_answer(q, a["answer"], None)  # no refusal flag: the text decides
        rows.append({"type": q["type"], "correct": scored["correct"], "refused": scored["refused"],
                     "cited": a.get("sources", []), "gold": q.get("sources", [])})
    times = [a["latency_s"] for a in answers.values()]
    return {"summary": summarize(rows), "median_s": round(statistics.median(times), 3), "wall_s": round(wall, 1),
            "questions": len(rows)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--peer-limit", type=int, default=None)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--modes", default="span,both,generator", help="reading modes side by side ('' skips)")
    parser.add_argument("--sample", type=int, default=100, help="rows of each public tune split, for --modes")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    folder = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    try:
        answers = bench_answers(folder)
        modes = bench_modes(folder, [m for m in args.modes.split(",") if m], args.sample, args.seed)
        loads = [run_json([sys.executable, "-c", LOAD_SNIPPET])["load_s"] for _ in range(3)]
        indexing = bench_indexing()
        peer = None if args.no_peer or not PEER.exists() else bench_peer(folder, args.peer_limit)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    s = answers["summary"]
    ours_median = statistics.median(answers["times"])
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "generator": s["generator"], "backend": s["backend"],
        "first_token_p50_s": s["cost"]["first_token_p50_s"], "tokens_per_s_p50": s["cost"]["tokens_per_s_p50"],
        "first_verified_p50_s": s["cost"].get("first_verified_p50_s"),
        "answer_p50_s": s["cost"]["latency_p50_s"], "answer_p95_s": s["cost"]["latency_p95_s"],
        "escalated_share": s["cost"].get("escalated_share"),
        "generator_load_s": round(statistics.median(loads), 3),
        "indexing": indexing,
        "answers": s["answers"], "retrieval": s["retrieval"],
        "modes": modes, "modes_sample": {"rows": args.sample, "seed": args.seed},
        "peer": peer,
        "speedup_vs_peer": round(peer["median_s"] / ours_median, 1) if peer else None,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    a = s["answers"]
    print(f"Machine: {result['machine']}; generator {result['generator']} on {result['backend']}\n")
    print("| measure | this project | target |\n|---|---|---|")
    print(f"| time to first token p50 | {result['first_token_p50_s']} s | ≤ 1 s |")
    print(f"| time to first verified text p50 (what the page shows first) | {result['first_verified_p50_s']} s | ≤ 1.5 s |")
    print(f"| generation | {result['tokens_per_s_p50']} tokens/s | ≥ 20 |")
    print(f"| whole answer p50 / p95 | {result['answer_p50_s']} s / {result['answer_p95_s']} s | ≤ 2.5 s / ≤ 5 s |")
    print(f"| answered again by the cascade's stronger model | {result['escalated_share']} of questions | |")
    print(f"| generator load (fresh process, after the first run) | {result['generator_load_s']} s | ≤ 2 s |")
    print(f"| indexing: sentence windows/s (ST defaults → ours) | {indexing['st_defaults_per_s']} → "
          f"{indexing['ours_per_s']} ({indexing['speedup']}×) | ≥ 2× |")
    print(f"| retrieval evidence recall@5 / MRR | {s['retrieval']['evidence_recall@5']} / {s['retrieval']['mrr']} | |")
    print(f"| answerable accuracy / refusal accuracy | {a['answerable_accuracy']} / {a['refusal_accuracy']} | |")
    if modes:
        print(f"\n| mode | set | answerable accuracy | answer p50 | first verified text p50 |\n|---|---|---|---|---|")
        for mode, sets in modes.items():
            for name, m in sets.items():
                print(f"| {mode} | {name} | {m['answerable_accuracy']} | {m['answer_p50_s']} s "
                      f"| {m['first_verified_p50_s']} s |")
    if peer:
        p = peer["summary"]
        print(f"\n| side by side ({peer['questions']} questions) | naive_rag.py | this project |\n|---|---|---|")
        print(f"| median time per question | {peer['median_s']} s | {round(ours_median, 3)} s "
              f"({result['speedup_vs_peer']}× faster) |")
        print(f"| answerable accuracy | {p['answerable_accuracy']} | {a['answerable_accuracy']} |")
        print(f"| refusal accuracy | {p['refusal_accuracy']} | {a['refusal_accuracy']} |")
        print(f"| source hit / citation precision | {p['source_hit']} / {p['citation_precision']} | "
              f"{a['source_hit']} / {a['citation_precision']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
