"""Stress: kill re-indexing at random moments, ask from many threads at once, load the chat page.

1. Kill loop: `qa index` re-indexes a corpus in which one document changes every run, and is SIGKILLed
   at a random moment, --kills times in a row. After each kill the index must open and hold that
   document either as before or as after the change (never a mixture), and must answer a search.
2. Concurrency: 8 threads ask the seed questions on one Assistant; answers must equal sequential ones.
3. Load: scripts/load_chat.py (20 chat sessions for 60 s on loopback) unless --no-load.
Prints runs, errors and data lost (targets 0, 0). Loopback only; bounded in count and time.

Run: make stress
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VERSIONS = [
    "Factory report\n\nThe Daejeon plant builds 4,321 delivery drones a year. It employs 210 engineers.\n",
    "Factory report\n\nThe Daejeon plant builds 5,555 delivery drones a year. It employs 250 engineers. "
    "A second line opens in 2027 and will add 1,000 drones.\n",
]


def kill_loop(kills: int, seed: int) -> dict:
    from qa.index.store import IndexStore
    from qa.index.sync import sync_index
    from qa.models.embedding import make_embedder
    from qa.retrieve.retrieval import Retriever
    from qa.settings import Settings

    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="qa-stress-"))
    corpus, index = folder / "corpus", folder / "index"
    shutil.copytree(ROOT / "seeds", corpus)
    (corpus / "factory.txt").write_text(VERSIONS[0])
    settings = Settings.from_env()
    embedder = make_embedder(settings)
    sync_index(index, [corpus], embedder, settings)
    from qa.ingest.documents import normalize_text

    expected = {hashlib.sha256(v.encode()).hexdigest(): normalize_text(v) for v in VERSIONS}
    runs = errors = lost = completed = 0
    notes: list[str] = []
    completed_runs: list[int] = []
    # Time one whole re-index, so that kills land anywhere in it (start-up, embedding, writing).
    (corpus / "factory.txt").write_text(VERSIONS[1])
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa", "index", str(corpus), "--index", str(index)], check=True,
                   capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    duration = time.perf_counter() - t
    (corpus / "factory.txt").write_text(VERSIONS[0])
    sync_index(index, [corpus], embedder, settings, base=IndexStore.load(index))
    try:
        for run in range(kills):
            before = IndexStore.load(index).documents["factory.txt"].sha256
            (corpus / "factory.txt").write_text(VERSIONS[(run + 1) % 2])
            after = hashlib.sha256(VERSIONS[(run + 1) % 2].encode()).hexdigest()
            proc = subprocess.Popen([sys.executable, "-m", "qa", "index", str(corpus), "--index", str(index)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)})
            time.sleep(rng.uniform(0.05, duration * 1.1))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            else:
                completed += 1
            proc.wait()
            runs += 1
            try:
                store = IndexStore.load(index)
                sha = store.documents["factory.txt"].sha256
                # the document as before or as after the change, its text and passages with it
                if sha not in (before, after) or store.texts["factory.txt"] != expected.get(sha):
                    lost += 1
                    notes.append(f"run {run}: a mixture ({sha[:8]})")
                elif sha == after:
                    completed_runs.append(run)
                if not Retriever(store, embedder).search("delivery drones", k=3):
                    errors += 1
                    notes.append(f"run {run}: no search result")
            except Exception as e:  # an index that does not open is lost data
                lost += 1
                notes.append(f"run {run}: {type(e).__name__}: {e}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"runs": runs, "reindex_seconds": round(duration, 2), "finished_before_the_kill": completed,
            "index_held_the_new_version": len(completed_runs), "errors": errors, "data_lost": lost,
            "notes": notes[:5]}


def concurrency(threads: int = 8) -> dict:
    from qa.api import Assistant
    from qa.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="qa-threads-"))
    try:
        shutil.copytree(ROOT / "seeds", folder / "seeds")
        assistant = Assistant.from_paths([folder / "seeds"], index=folder / "index",
                                         settings=Settings.from_env(data_dir=folder / "data"))
        questions = ["What is Korea's robot density?", "Where was the first presentation held?",
                     "How many parameters does A.X K1 have?", "Who is the CEO of Upstage?"] * (threads // 2)
        sequential = [assistant.ask(q).text for q in questions]
        results: list = [None] * len(questions)
        failures: list = []

        def work(i: int) -> None:
            try:
                results[i] = assistant.ask(questions[i]).text
            except Exception as e:
                failures.append(f"{type(e).__name__}: {e}")

        pool = [threading.Thread(target=work, args=(i,)) for i in range(len(questions))]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=600)
        differ = sum(1 for a, b in zip(sequential, results) if a != b)
        return {"runs": len(questions), "errors": len(failures), "different_from_sequential": differ}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-load", action="store_true")
    args = parser.parse_args()
    report = {"kill_loop": kill_loop(args.kills, args.seed), "concurrency": concurrency()}
    if not args.no_load:
        out = subprocess.run([sys.executable, str(ROOT / "scripts" / "load_chat.py"), "--sessions", "20",
                              "--seconds", "60", "--out", str(ROOT / "bench" / "load.json")],
                             capture_output=True, text=True)
        report["load"] = json.loads(out.stdout[out.stdout.index("{"):]) if "{" in out.stdout else {"error": out.stderr[-300:]}
    print(json.dumps(report, indent=1))
    k, c = report["kill_loop"], report["concurrency"]
    load = report.get("load", {})
    runs = k["runs"] + c["runs"] + load.get("requests", 0)
    errors = k["errors"] + c["errors"] + c["different_from_sequential"] + load.get("errors", 0)
    print(f"\nruns {runs}, errors {errors}, data lost {k['data_lost']}")
    return 0 if errors == 0 and k["data_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
