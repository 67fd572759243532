"""Training the span reader (scripts/train_reader.py) on a tiny slice of ../shared/train, into temporary
folders (the shipped weights are never touched): a killed run resumes from its checkpoint and ends with
weights its manifest names; and the shipped weights themselves: small enough, verified, with their card."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qa.models.profiles import sha256_file
from qa.models.reader_data import default_train_dir, load_rows, split_rows
from qa.models.span_reader import MANIFEST_FILE, READER_DIR, WEIGHTS_FILE, verified_weights

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "train_reader.py"


def test_the_held_out_rows_are_a_fixed_seeded_split_apart_from_training():
    rows = load_rows(default_train_dir())
    train, held = split_rows(rows)
    assert len(train) + len(held) == len(rows)
    titles = {r["title"] for r in held if r["file"] == "squad2-16"}
    assert len(titles) == 3 and not titles & {r["title"] for r in train if r["file"] == "squad2-16"}
    products = {r["title"] for r in held if r["file"] == "shifts-amazon"}
    assert not products & {r["title"] for r in train if r["file"] == "shifts-amazon"}
    assert not {r["context"] for r in held} & {r["context"] for r in train}
    assert split_rows(rows) == (train, held)  # seeded: the same split every time


def _script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_reader", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_warm_start_takes_the_given_weights_then_the_output_folders_then_the_committed_ones(tmp_path):
    """A run writing elsewhere (`--out` a fresh folder) still warm-starts from the committed weights, never
    silently from the base encoder; missing weights asked for by name are an error."""
    train = _script()
    assert train.starting_weights(None, tmp_path) == READER_DIR / WEIGHTS_FILE
    (tmp_path / WEIGHTS_FILE).write_bytes(b"earlier run")
    assert train.starting_weights(None, tmp_path) == tmp_path / WEIGHTS_FILE
    assert train.starting_weights(tmp_path, tmp_path / "out") == tmp_path / WEIGHTS_FILE
    with pytest.raises(SystemExit, match="no weights there"):
        train.starting_weights(tmp_path / "missing", tmp_path)


def test_a_run_stopped_by_hours_goes_on_as_the_same_run_not_from_its_unfinished_weights(tmp_path):
    """Its weights in --out would otherwise be the next warm start, a new run id, and a schedule begun again."""
    train = _script()
    config = {"lr": 3e-5, "epochs": 0.7, "out": "x"}
    manifest = {"stopped_early": True, "config": {**config, "start": "warm:abc"}}
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    assert train.unfinished_run_start(tmp_path, config, fresh=False) == "warm:abc"
    assert train.unfinished_run_start(tmp_path, {**config, "lr": 1e-4}, fresh=False) is None  # other options
    assert train.unfinished_run_start(tmp_path, config, fresh=True) is None
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "stopped_early": False}))
    assert train.unfinished_run_start(tmp_path, config, fresh=False) is None  # finished: a new run may start


def _command(out: Path) -> list[str]:
    return [sys.executable, str(SCRIPT), "--limit", "96", "--negative-share", "0", "--max-tokens", "96",
            "--batch", "4", "--epochs", "1", "--checkpoint-steps", "1", "--out", str(out), "--threads", "1"]


@pytest.mark.integration
def test_a_killed_training_run_resumes_from_its_checkpoint_and_ends_as_an_unbroken_run(tmp_path):
    """A run SIGKILLed after its first checkpoint, started again, goes on from the checkpoint and ends with
    the same weights as a run never stopped (the model, optimizer, schedule, batch order and dropout's
    random state are all in the checkpoint)."""
    unbroken = subprocess.run(_command(tmp_path / "unbroken"), capture_output=True, text=True, timeout=900,
                              env={**os.environ, "QA_CACHE_DIR": str(tmp_path / "cache-unbroken")})
    assert unbroken.returncode == 0, unbroken.stderr[-2000:]

    env = {**os.environ, "QA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    out = tmp_path / "reader"
    first = subprocess.Popen(_command(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = tmp_path / "cache" / "reader-train"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(checkpoints.glob("checkpoint-*.pt")):
        assert first.poll() is None, "the run ended before its first checkpoint"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert not (out / WEIGHTS_FILE).exists()  # killed before the end: nothing shipped yet
    second = subprocess.run(_command(out), env=env, capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "resuming from" in second.stderr
    step = int(second.stderr.split("resuming from")[1].split("at step")[1].split()[0])
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert 1 <= step < manifest["steps"] == manifest["steps_planned"]
    assert manifest["sha256"] == sha256_file(out / WEIGHTS_FILE)
    verified_weights(out)  # loads: the hash matches
    from safetensors.numpy import load_file

    resumed, straight = load_file(str(out / WEIGHTS_FILE)), load_file(str(tmp_path / "unbroken" / WEIGHTS_FILE))
    assert resumed.keys() == straight.keys()
    assert all(np.array_equal(resumed[k], straight[k]) for k in resumed)


def test_the_shipped_weights_are_small_verified_and_named_by_their_card():
    weights, manifest = verified_weights()
    assert weights.stat().st_size <= 40 * 1024 * 1024
    card = (READER_DIR / "MODEL_CARD.md").read_text()
    assert manifest["sha256"] in card
    for must in ("CC BY-SA 4.0", "CC BY 4.0", "all-MiniLM-L6-v2", "make train-reader", "SQuAD"):
        assert must in card
