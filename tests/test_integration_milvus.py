"""The real embedder on the Milvus store (Milvus Lite, started here): the seeds and the public corpora
indexed, and the top-5 passages of their questions the same as on the FAISS path."""
import dataclasses
import os
from pathlib import Path

import pytest
from conftest import DEV, ROOT, SEEDS

from qa.api import Assistant
from qa.eval.evaluation import load_questions, sample_questions, scope_of
from qa.models.embedding import make_embedder
from qa.settings import Settings

pytestmark = pytest.mark.integration
pytest.importorskip("pymilvus")

PUBLIC = Path(os.environ.get("QA_PUBLIC_DIR", ROOT.parent / "shared" / "eval" / "public"))
CORPORA = {"seeds": (SEEDS, DEV), **{n: (PUBLIC / n / "corpus", PUBLIC / n / "tune.jsonl")
                                     for n in ("wiki", "reviews", "tables")}}


@pytest.fixture(scope="module")
def embedder():
    return make_embedder(Settings.from_env({}))


@pytest.mark.parametrize("name", list(CORPORA))
def test_milvus_finds_the_passages_faiss_finds(name, embedder, tmp_path):
    corpus, questions_file = CORPORA[name]
    if not corpus.is_dir():
        pytest.fail(f"{corpus} is missing (set QA_PUBLIC_DIR)")
    index = tmp_path / "index"
    faiss_settings = Settings.from_env({}, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    faiss_path = Assistant.from_paths([corpus], index=index, settings=faiss_settings, embedder=embedder,
                                      generator=object())
    embedded = embedder.texts_embedded
    milvus_settings = dataclasses.replace(faiss_settings, store="milvus")
    milvus_path = Assistant.from_paths([corpus], index=index, settings=milvus_settings, embedder=embedder,
                                       generator=object())
    assert milvus_path.store.kind == "milvus" and embedder.texts_embedded == embedded  # moved, not re-embedded
    assert [d["name"] for d in milvus_path.documents()] == [d["name"] for d in faiss_path.documents()]
    # every question (unanswerable ones too: their passages are what the reader weighs before refusing)
    questions = sample_questions(load_questions(questions_file), 40, 5)
    overlaps = []
    for q in questions:
        want = [(p.source, p.start) for p in faiss_path.search(q["question"], k=5, sources=scope_of(q))]
        got = [(p.source, p.start) for p in milvus_path.search(q["question"], k=5, sources=scope_of(q))]
        overlaps.append(len(set(want) & set(got)) / max(1, len(want)))
    assert sum(overlaps) / len(overlaps) >= 0.9, f"top-5 overlap {sum(overlaps) / len(overlaps):.3f}"


def test_dev_answers_on_milvus_match_faiss_within_one(embedder, tmp_path):
    """The dev set answered through both stores. The generator is greedy, so its replies are kept by
    prompt for this test only: a question whose prompt is the same on both stores is generated once."""
    from qa.eval.evaluation import evaluate

    base = Settings.from_env({}, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                             generation_cache_dir=str(tmp_path / "replies"))
    figures = {}
    for store in ("faiss", "milvus"):
        assistant = Assistant.from_paths([SEEDS], index=tmp_path / "index",
                                         settings=dataclasses.replace(base, store=store), embedder=embedder)
        assert assistant.store.kind == store
        answers = evaluate(DEV, assistant, cache=False, progress=False)["answers"]
        figures[store] = (answers["answerable_accuracy"] * answers["answerable"],
                          answers["refusal_accuracy"] * answers["unanswerable"])
    (faiss_right, faiss_refused), (milvus_right, milvus_refused) = figures["faiss"], figures["milvus"]
    assert abs(milvus_right - faiss_right) <= 1 and abs(milvus_refused - faiss_refused) <= 1, figures
