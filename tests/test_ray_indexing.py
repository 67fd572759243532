"""Indexing through Ray (`qa index PATHS --ray`): a local Ray cluster started by the tests, the real
embedder. The index equals the one built without Ray; a killed job leaves the previous index and its
re-run embeds only what the killed one had not received."""
import dataclasses
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import ray  # noqa: F401  (not skipped: without Ray this module fails to collect, so `make test` fails)
from conftest import ROOT, SEEDS

from qa.errors import QAError
from qa.index.store import IndexStore
from qa.index.sync import sync_index
from qa.models.embedding import make_embedder
from qa.models.ray_embedding import EmbeddingCheckpoint, check_address, checkpoint_dir, text_keys

pytestmark = pytest.mark.integration  # a real Ray cluster and the real embedder


def _qa(args, env, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "qa", *args], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _env(settings, embedder="minilm-onnx"):
    return {"QA_CACHE_DIR": str(settings.cache_dir), "QA_EMBEDDER": embedder, "QA_MULTILINGUAL_EMBEDDER": "off",
            "QA_RAY_WORKERS": "2"}


def test_ray_index_equals_the_index_built_without_ray(settings, tmp_path):
    settings = dataclasses.replace(settings, embedder="minilm-onnx", multilingual_embedder="off")
    ray_dir, local_dir = tmp_path / "ray-index", tmp_path / "local-index"
    # blocks of 32 windows: the seeds' ~290 spread over both actors, returned in whatever order they finish
    proc = _qa(["index", str(SEEDS), "--index", str(ray_dir), "--ray"], {**_env(settings), "QA_RAY_BLOCK_ROWS": "32"})
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "Ray cluster:" in err and "on 2 Ray worker(s)" in err and "embedded " in err  # progress on the terminal
    assert out.startswith("indexed 4, ")
    assert not checkpoint_dir(settings, ray_dir).exists()  # removed once the index is written

    local, _ = sync_index(local_dir, [SEEDS], make_embedder(settings), settings)
    through_ray = IndexStore.load(ray_dir)
    assert through_ray.manifest["compat"] == local.manifest["compat"]
    assert [dataclasses.asdict(c) for c in through_ray.chunks] == [dataclasses.asdict(c) for c in local.chunks]
    assert np.array_equal(through_ray.window_rows, local.window_rows)
    assert np.allclose(through_ray.vectors, local.vectors, atol=1e-5)

    # a later sync without Ray reuses it as it is: nothing to embed
    again, report = sync_index(ray_dir, [SEEDS], make_embedder(settings), settings, base=through_ray)
    assert report.unchanged and not report.wrote


def _corpus(folder, documents, sentences):
    folder.mkdir()
    for d in range(documents):
        lines = [f"The gauge at station {d}-{s} read {(d * 37 + s * 11) % 97} millimetres on day {s % 28 + 1}, "
                 f"with wind from the {['north', 'east', 'south', 'west'][s % 4]}." for s in range(sentences)]
        (folder / f"station-{d:02d}.txt").write_text(f"Station log {d}\n\n" + " ".join(lines) + "\n", encoding="utf-8")
    return folder


def test_a_killed_ray_job_leaves_the_previous_index_and_its_rerun_resumes(settings, tmp_path):
    index_dir = tmp_path / "index"
    env = {**_env(settings), "QA_RAY_WORKERS": "1", "QA_RAY_BLOCK_ROWS": "512"}
    first = _qa(["index", str(SEEDS), "--index", str(index_dir)], env)
    assert first.wait(timeout=600) == 0, first.stderr.read()
    before = IndexStore.load(index_dir)

    stations = _corpus(tmp_path / "stations", 12, 600)  # 7,200 sentences: a minute on one worker
    job = _qa(["index", str(SEEDS), str(stations), "--index", str(index_dir), "--ray"], env,
              start_new_session=True)
    received = None
    for line in job.stderr:  # kill it once it has received some vectors, not all
        if line.startswith("qa: embedded "):
            done, total = (int(n.replace(",", "")) for n in line.split()[2].split("/"))
            if done < total:
                received = done
                os.killpg(job.pid, signal.SIGKILL)
                break
    job.wait(timeout=60)
    assert received, "the job ended before it could be killed midway"

    after_kill = IndexStore.load(index_dir)  # the previous index, whole
    assert set(after_kill.documents) == set(before.documents)
    assert np.array_equal(after_kill.vectors, before.vectors)
    assert checkpoint_dir(settings, index_dir).is_dir()

    rerun = _qa(["index", str(SEEDS), str(stations), "--index", str(index_dir), "--ray"], env)
    out, err = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, err
    resumed = [l for l in err.splitlines() if "already embedded by an earlier run" in l]
    assert resumed and int(resumed[0].split()[1].replace(",", "")) >= received
    assert "unchanged 4" in out  # the seeds were not embedded again either
    final = IndexStore.load(index_dir)
    assert len(final.documents) == 16
    # the resumed index is the one a fresh build without Ray makes: the checkpointed vectors are the model's
    model_settings = dataclasses.replace(settings, embedder="minilm-onnx", multilingual_embedder="off")
    fresh, _ = sync_index(tmp_path / "fresh", [SEEDS, stations], make_embedder(model_settings), model_settings)
    assert [c.id for c in final.chunks] == [c.id for c in fresh.chunks]
    assert np.allclose(final.vectors, fresh.vectors, atol=1e-5)


def test_a_checkpoint_serves_only_its_own_embedder(tmp_path):
    cp = EmbeddingCheckpoint(tmp_path / "cp", "model-a", 3)
    cp.add(text_keys(["one", "two"]), np.eye(2, 3, dtype=np.float32))
    cp.flush()
    whole = next((tmp_path / "cp").glob(f"{cp.tag}-*.npz"))
    (tmp_path / "cp" / f"{cp.tag}-000001.npz").write_bytes(whole.read_bytes()[:40])  # a truncated part
    (tmp_path / "cp" / f"{cp.tag}-000002.npz").write_bytes(b"")  # an empty one
    assert set(EmbeddingCheckpoint(tmp_path / "cp", "model-a", 3).known()) == set(text_keys(["one", "two"]))
    assert EmbeddingCheckpoint(tmp_path / "cp", "model-b", 3).known() == {}
    assert EmbeddingCheckpoint(tmp_path / "cp", "model-a", 4).known() == {}  # other width: ignored


def test_bad_ray_addresses_are_one_line_errors(settings, tmp_path):
    with pytest.raises(QAError, match="not a Ray address"):
        check_address(SEEDS.name)
    with pytest.raises(QAError, match="no port"):
        check_address("ray://head")
    proc = _qa(["index", str(SEEDS), "--index", str(tmp_path / "i"), "--ray", "127.0.0.1:1"], _env(settings, "hashing"))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "Traceback" not in err, err
    assert "cannot start or join the Ray cluster at 127.0.0.1:1: nothing answers there" in err
    assert "embedding" not in err  # said before any document was read


def test_ray_indexes_into_milvus_too(settings, tmp_path):
    pytest.importorskip("pymilvus")
    index_dir = tmp_path / "milvus-index"
    proc = _qa(["index", str(SEEDS), "--index", str(index_dir), "--store", "milvus", "--ray"],
               _env(settings, "hashing"))
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "on 2 Ray worker(s)" in err and "-> Milvus FLAT at " in out
    milvus = dataclasses.replace(settings, store="milvus", multilingual_embedder="off")
    from qa.index.sync import store_backend

    through_ray = store_backend(milvus).load(index_dir)
    local, _ = sync_index(tmp_path / "faiss-index", [SEEDS], make_embedder(milvus),
                          dataclasses.replace(milvus, store="faiss"))
    assert [c.id for c in through_ray.chunks] == [c.id for c in local.chunks]
    assert np.allclose(through_ray.vectors, local.vectors, atol=1e-6)
