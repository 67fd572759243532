"""Load test of the chat page: N concurrent chat sessions on loopback asking seed questions for T seconds.

Starts ui.py on a free 127.0.0.1 port over temporary copies of the seeds (unless --url is given),
then runs N sessions with gradio_client, each asking questions one after another through the same
event the page uses, until the time is up. Bounded in count and time, loopback only.

Reports completed answers, errors (no complete answer within --timeout seconds counts as an error),
and p50/p95 time to the first verified text on the page (not the progress line) and to the full
answer. Writes bench/load.json.

With --arms, several set-ups side by side in one run (bench/load-pool.json): `inprocess` (the page's
own llama.cpp model, what `make run` starts), `servers1` (one llama.cpp OpenAI-compatible server,
`python -m llama_cpp.server`, every core) and `servers2` (a pool of two such servers, half the cores
each: QA_OPENAI_BASE_URL=url1,url2). Each arm first answers the questions one at a time (the time an
answer takes alone), then carries the load; queue wait = answer p50 under load - answer p50 alone.

With --public N (make load-test: 20), the page also holds the documents of a seeded N-row sample of each
public `tune` split (wiki, reviews, tables) and the sessions ask those questions between the seed ones.
The page process's peak resident memory (VmHWM) is reported.

Run: make load-test        (or: .venv/bin/python scripts/load_chat.py --sessions 20 --seconds 60)
     make bench-scale-out  (its second part: ... --arms inprocess,servers1,servers2 --out bench/load-pool.json)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What is Korea's robot density?",
    "How many AI patent applications per 100,000 people does Korea file?",
    "Where was the first presentation of the national AI models held?",
    "How many clinical records was Seoul National University Hospital's medical LLM trained on?",
    "Which analyst firm said Korea's sovereign AI approach stands out globally?",
    "How many parameters does SK Telecom's A.X K1 have?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, what: str, seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"{what} did not start")


PUBLIC = ROOT.parent / "shared" / "eval" / "public"
READING = ["generator 1.5B"]  # the page's Reading choice the sessions send (set by `page_reading`)


def page_reading(env: dict) -> str:
    """The page's Reading choice for the settings the page runs with (its environment and `env`)."""
    sys.path.insert(0, str(ROOT))
    from qa.settings import Settings
    from ui import default_reading

    return default_reading(Settings.from_env({**os.environ, **env}))


def public_questions(rows: int, seed: int = 5) -> tuple[list[str], list[Path]]:
    """A seeded `rows`-row sample of each public tune split: its answerable questions, and the documents
    they are about (a row's `scope`, else its `sources`)."""
    from qa.eval.evaluation import load_questions, sample_questions

    questions, documents = [], []
    for name in ("wiki", "reviews", "tables"):
        for q in sample_questions(load_questions(PUBLIC / name / "tune.jsonl"), rows, seed):
            if q.get("type") == "unanswerable":
                continue
            questions.append(q["question"])
            documents += [PUBLIC / name / "corpus" / d for d in q.get("scope") or q.get("sources") or []]
    return questions, sorted({d for d in documents if d.is_file()})


def start_server(env_extra: dict | None = None, documents: list[Path] = ()) -> tuple[subprocess.Popen, str, Path]:
    folder = Path(tempfile.mkdtemp(prefix="qa-load-"))
    try:
        shutil.copytree(ROOT / "seeds", folder / "seeds")
        for document in documents:
            shutil.copy(document, folder / "seeds" / f"{document.parent.parent.name}-{document.name}")
        port = free_port()
        env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "QA_SEEDS_DIR": str(folder / "seeds"),
               "QA_DATA_DIR": str(folder / "data"), "QA_INDEX_DIR": str(folder / "index"), **(env_extra or {})}
        proc = subprocess.Popen([sys.executable, str(ROOT / "ui.py")], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        wait_for(url, proc, "the chat page", seconds=900)  # the public documents are indexed first
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return proc, url, folder


def start_generators(count: int, started: list) -> list[str]:
    """`count` llama.cpp OpenAI-compatible servers of the default model on loopback, the cores shared;
    each process is appended to `started` at once, so the caller stops them whatever fails."""
    from qa.models.profiles import resolve_model
    from qa.settings import Settings

    settings = Settings.from_env()
    model = resolve_model(settings.generator, settings).path
    threads = max(1, (os.cpu_count() or 2) // count)
    urls = []
    for _ in range(count):
        port = free_port()
        started.append(subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_threads", str(threads), "--n_threads_batch", str(threads),
             "--n_ctx", str(settings.n_ctx), "--verbose", "False"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}/v1")
    for proc, url in zip(started[-count:], urls):
        wait_for(f"{url}/models", proc, "a generator server")
    return urls


def session(url: str, index: int, stop_at: float, timeout: float, results: list, lock: threading.Lock,
            once: bool = False) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    turn = index
    while once or time.time() < stop_at:  # once: one question, whatever the time
        question = QUESTIONS[turn % len(QUESTIONS)]
        turn += 1
        t0 = time.time()
        first = None
        ok = False
        error = ""
        try:
            job = client.submit(question, [], 5, READING[0], api_name="/chat")  # session state is not an input
            while not job.done():
                if first is None and any(_is_answer_text(_bot_text(out)) for out in job.outputs()):
                    first = time.time() - t0
                if time.time() - t0 > timeout:
                    job.cancel()
                    error = "timeout"
                    break
                time.sleep(0.02)
            if not error:
                final = job.outputs()[-1] if job.outputs() else None
                content = _bot_text(final)
                ok = _is_answer_text(content) and "▌" not in content
                error = "" if ok else "no complete answer"
        except Exception as e:  # counted, reported
            error = f"{type(e).__name__}: {e}"[:200]
        with lock:
            results.append({"session": index, "question": question, "ok": ok, "error": error,
                            "first_s": first, "total_s": time.time() - t0})
        if once:
            return


def _bot_text(output) -> str:
    """The text of the last chat message in one streamed output of the /chat event."""
    if not output or not output[1]:
        return ""
    content = output[1][-1].get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content or ""


def _is_answer_text(content: str) -> bool:
    """True once the last message shows verified text (not the progress line, not empty)."""
    return bool(content) and content != "…" and "qa-progress" not in content


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 3)


def peak_memory_mb(pid: int) -> float | None:
    """The process's peak resident memory (VmHWM) in MB; None where /proc does not tell."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def run_sessions(url: str, sessions: int, seconds: float, timeout: float) -> list[dict]:
    results: list[dict] = []
    lock = threading.Lock()
    stop_at = time.time() + seconds
    threads = [threading.Thread(target=session, args=(url, i, stop_at, timeout, results, lock))
               for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + timeout + 60)
    return results


def alone(url: str, timeout: float) -> list[dict]:
    """Each question once, one at a time: what an answer takes without a queue (the first warms up)."""
    results: list[dict] = []
    lock = threading.Lock()
    for i in range(len(QUESTIONS) + 1):
        session(url, i % len(QUESTIONS), 0, timeout, results, lock, once=True)
    return results[1:]


def run_arm(arm: str, args) -> dict:
    """One set-up: start it, answer alone, carry the load, stop it (and everything it started, whatever fails)."""
    if arm != "inprocess" and not (arm.startswith("servers") and arm.removeprefix("servers").isdigit()):
        raise SystemExit(f"unknown arm {arm!r}: inprocess, servers1, servers2, ...")
    started: list[subprocess.Popen] = []
    folder = None
    try:
        env = {}
        if arm.startswith("servers"):
            urls = start_generators(int(arm.removeprefix("servers")), started)
            env = {"QA_BACKEND": "openai", "QA_OPENAI_BASE_URL": ",".join(urls)}
        READING[0] = page_reading(env)
        proc, url, folder = start_server(env)
        started.append(proc)
        solo = alone(url, args.timeout)
        report = summary(run_sessions(url, args.sessions, args.seconds, args.timeout), args)
    finally:
        for p in started:
            p.terminate()
        for p in started:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    solo_ok = [r["total_s"] for r in solo if r["ok"]]
    report["alone_answer_p50_s"] = percentile(solo_ok, 0.5)
    report["alone_errors"] = len(solo) - len(solo_ok)
    if report["answer_p50_s"] is not None and report["alone_answer_p50_s"] is not None:
        report["queue_wait_p50_s"] = round(report["answer_p50_s"] - report["alone_answer_p50_s"], 3)
    generators = len(started) - 1
    return {"arm": arm, "generators": generators or "in the page's process", **report}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--url", help="an already running page (default: start one)")
    parser.add_argument("--arms", help="set-ups side by side: inprocess, servers1, servers2 (comma-separated)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "load.json"))
    parser.add_argument("--public", type=int, default=0, help="also ask N seeded rows of each public tune split")
    parser.add_argument("--reader", help="the page's reading mode (QA_READER; default: the settings')")
    args = parser.parse_args()
    documents: list[Path] = []
    if args.public:
        asked, documents = public_questions(args.public)
        QUESTIONS[:] = [q for pair in zip(asked, QUESTIONS * len(asked)) for q in pair]  # seed and public in turn
    env = {"QA_READER": args.reader} if args.reader else {}
    if args.arms:
        arms = [run_arm(arm.strip(), args) for arm in args.arms.split(",")]
        report = {"sessions": args.sessions, "seconds": args.seconds, "cpus": os.cpu_count(), "arms": arms,
                  "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
        print(json.dumps(report, indent=1))
        return 0 if all(a["errors"] == 0 and a["alone_errors"] == 0 for a in arms) else 1
    proc = folder = None
    url = args.url
    READING[0] = page_reading(env)
    if not url:
        proc, url, folder = start_server(env, documents)
    peak = None
    try:
        results = run_sessions(url, args.sessions, args.seconds, args.timeout)
        peak = peak_memory_mb(proc.pid) if proc else None
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    report = {**summary(results, args), "page_peak_rss_mb": peak, "reading": READING[0],
              "public_rows_per_set": args.public, "questions": len(QUESTIONS),
              "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 0 if report["errors"] == 0 else 1


def summary(results: list[dict], args) -> dict:
    done = [r for r in results if r["ok"]]
    return {
        "sessions": args.sessions, "seconds": args.seconds, "requests": len(results),
        "completed_answers": len(done), "errors": len(results) - len(done),
        "error_examples": sorted({r["error"] for r in results if r["error"]})[:5],
        "first_text_p50_s": percentile([r["first_s"] for r in done if r["first_s"] is not None], 0.5),
        "first_text_p95_s": percentile([r["first_s"] for r in done if r["first_s"] is not None], 0.95),
        "answer_p50_s": percentile([r["total_s"] for r in done], 0.5),
        "answer_p95_s": percentile([r["total_s"] for r in done], 0.95),
        "answers_per_minute": round(len(done) / args.seconds * 60, 1),
    }


if __name__ == "__main__":
    sys.exit(main())
