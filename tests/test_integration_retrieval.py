"""The real embedder (all-MiniLM-L6-v2 from its PyPI package) over the seeds."""
import os

import numpy as np
import pytest
from conftest import DEV, SEEDS

from qa.api import Assistant, search
from qa.eval.evaluation import evaluate_retrieval
from qa.models.embedding import MiniLMEmbedder
from qa.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def seeds_assistant(tmp_path_factory):
    index = tmp_path_factory.mktemp("seeds-index")
    settings = Settings.from_env({}, data_dir=index / "data")
    return Assistant.from_paths([SEEDS], index=index, settings=settings)


def test_minilm_loads_offline_and_embeds_unit_vectors():
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    e = MiniLMEmbedder()
    v = e.embed(["Korea has 1,012 robots per 10,000 workers.", "robot density in Korea"])
    assert v.shape == (2, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert float(v[0] @ v[1]) > 0.5


@pytest.mark.parametrize("query, needle", [
    ("VAETKI", "VAETKI"),
    ("1,012", "1,012"),
    ("How many industrial robots per 10,000 employees does Korea have?", "1,012"),
    ("Which analyst firm said Korea's approach stands out?", "The Futurum Group"),
    ("Where was the first presentation of the national AI models held?", "COEX"),
])
def test_seed_questions_find_their_passage(seeds_assistant, query, needle):
    assert any(needle in p.text for p in seeds_assistant.search(query, k=3))


def test_retrieval_meets_the_target_on_the_dev_set(seeds_assistant):
    summary = evaluate_retrieval(DEV, seeds_assistant, k=5)
    english = summary["hybrid"]["english"]
    assert english["n"] >= 20
    assert english["recall@5"] >= 0.95, summary
    assert english["mrr"] >= 0.80, summary
    # fusion is no worse than either ranking alone
    assert english["recall@5"] >= max(summary["dense"]["english"]["recall@5"], summary["lexical"]["english"]["recall@5"])


def test_module_search_resolves_relative_index_paths(seeds_assistant, monkeypatch):
    monkeypatch.chdir(seeds_assistant.index_dir.parent)
    passages = search("VAETKI", k=2, index=seeds_assistant.index_dir.name)
    assert passages and passages[0].source.endswith(".txt")
    assert all(p.text == seeds_assistant.store.texts[p.source][p.start:p.end] for p in passages)


def test_onnx_embedder_gives_the_same_vectors_as_sentence_transformers(tmp_path):
    from qa.models.embedding import OnnxMiniLMEmbedder

    texts = ["Korea has 1,012 robots per 10,000 workers.", "짧은 문장", "x " * 300, "The first major presentation."]
    onnx = OnnxMiniLMEmbedder(tmp_path / "cache")
    a = onnx.embed(texts)
    b = MiniLMEmbedder().embed(texts)
    assert a.shape == b.shape == (4, 384)
    assert np.min(np.sum(a * b, axis=1)) > 0.9999
    assert any((tmp_path / "cache" / "models").glob("*.onnx"))  # exported once, into the cache
    assert onnx.name == MiniLMEmbedder.name  # same model, same index
