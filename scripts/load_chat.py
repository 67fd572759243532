"""Load test of the chat page: N concurrent chat sessions on loopback asking seed questions for T seconds.

Starts ui.py on a free 127.0.0.1 port over temporary copies of the seeds (unless --url is given),
then runs N sessions with gradio_client, each asking questions one after another through the same
event the page uses, until the time is up. Bounded in count and time, loopback only.

Reports completed answers, errors (no complete answer within --timeout seconds counts as an error),
and p50/p95 time to the first verified text on the page (not the progress line) and to the full
answer. Writes bench/load.json.

Run: make load-test   (or: .venv/bin/python scripts/load_chat.py --sessions 20 --seconds 60)
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


def start_server() -> tuple[subprocess.Popen, str, Path]:
    folder = Path(tempfile.mkdtemp(prefix="qa-load-"))
    shutil.copytree(ROOT / "seeds", folder / "seeds")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "QA_SEEDS_DIR": str(folder / "seeds"),
           "QA_DATA_DIR": str(folder / "data"), "QA_INDEX_DIR": str(folder / "index")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "ui.py")], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(360):
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url, folder
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the chat page did not start")


def session(url: str, index: int, stop_at: float, timeout: float, results: list, lock: threading.Lock) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    turn = index
    while time.time() < stop_at:
        question = QUESTIONS[turn % len(QUESTIONS)]
        turn += 1
        t0 = time.time()
        first = None
        ok = False
        error = ""
        try:
            job = client.submit(question, [], 5, "default", api_name="/chat")  # session state is not an input
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--url", help="an already running page (default: start one)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "load.json"))
    args = parser.parse_args()
    proc = folder = None
    url = args.url
    if not url:
        proc, url, folder = start_server()
    try:
        results: list[dict] = []
        lock = threading.Lock()
        stop_at = time.time() + args.seconds
        threads = [threading.Thread(target=session, args=(url, i, stop_at, args.timeout, results, lock))
                   for i in range(args.sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + args.timeout + 60)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    done = [r for r in results if r["ok"]]
    report = {
        "sessions": args.sessions, "seconds": args.seconds, "requests": len(results),
        "completed_answers": len(done), "errors": len(results) - len(done),
        "error_examples": sorted({r["error"] for r in results if r["error"]})[:5],
        "first_text_p50_s": percentile([r["first_s"] for r in done if r["first_s"] is not None], 0.5),
        "first_text_p95_s": percentile([r["first_s"] for r in done if r["first_s"] is not None], 0.95),
        "answer_p50_s": percentile([r["total_s"] for r in done], 0.5),
        "answer_p95_s": percentile([r["total_s"] for r in done], 0.95),
        "answers_per_minute": round(len(done) / args.seconds * 60, 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
