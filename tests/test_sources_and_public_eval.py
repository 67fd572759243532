"""Searches restricted to named documents, `qa eval --corpus/--sample`, scoped rows, token F1."""
import json

import numpy as np
import pytest

from qa.api import Assistant
from qa.cli import main
from qa.errors import QAError
from qa.eval.evaluation import (
    corpus_index_dir,
    evaluate,
    evaluate_retrieval,
    load_questions,
    sample_questions,
    scope_of,
)
from qa.eval.scoring import summarize, token_f1
from qa.index.faiss_index import build_faiss, search_params
from qa.models.generation import ScriptedGenerator


@pytest.fixture
def assistant(settings, embedder, corpus):
    generator = ScriptedGenerator(lambda messages: "I don't know.")
    return Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder,
                                generator=generator)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_restricted_search_ranks_only_the_named_documents(assistant, mode):
    # globally the best passage for "budget AI" is budget.txt; restricted, every passage is of models.md
    assert assistant.search("budget 2026 AI", k=1, mode=mode)[0].source == "budget.txt"
    restricted = assistant.search("budget 2026 AI", k=3, mode=mode, sources=["models.md", "robots.txt"])
    assert restricted and {p.source for p in restricted} <= {"models.md", "robots.txt"}


def test_restriction_filters_before_ranking(assistant):
    # a global top-1 filtered down would be empty; the restricted search gives robots.txt's best passage
    assert assistant.search("VAETKI model", k=1, mode="dense")[0].source == "models.md"
    best = assistant.search("VAETKI model", k=1, mode="dense", sources="robots.txt")
    assert [p.source for p in best] == ["robots.txt"]


def test_unknown_or_empty_sources_are_errors_naming_the_documents(assistant):
    with pytest.raises(QAError, match=r"unknown document 'nope.txt'.*budget.txt, models.md, robots.txt"):
        assistant.search("robots", sources=["nope.txt"])
    with pytest.raises(QAError, match="unknown document"):
        assistant.ask("How many robots?", sources=["robots.txt", "nope.txt"])
    with pytest.raises(QAError, match="empty"):
        assistant.search("robots", sources=[])


def test_ask_with_sources_reads_only_those_documents(assistant):
    answer = assistant.ask("Which company built the VAETKI model?", sources=["budget.txt"])
    assert answer.passages and {p.source for p in answer.passages} == {"budget.txt"}


def test_restricted_search_on_an_ivf_index_returns_only_allowed_ids():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = build_faiss(vectors, "IVF64,SQ8")
    allowed = np.arange(100, 3000, 97, dtype=np.int64)
    query = vectors[5:6]
    scores, hits = index.search(query, 5, params=search_params(index, allowed))
    assert set(hits[0]) <= set(allowed)
    exact = allowed[np.argsort(-(vectors[allowed] @ query[0]))[:5]]
    assert len(set(hits[0]) & set(exact)) >= 4  # 8-bit quantized scores may swap a near tie


def test_cli_source_option(corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QA_EMBEDDER", "hashing")
    index = str(tmp_path / "idx")
    assert main(["index", str(corpus), "--index", index]) == 0
    capsys.readouterr()
    assert main(["search", "VAETKI", "--json", "--index", index, "--source", "robots.txt", "--source", "budget.txt"]) == 0
    assert {p["source"] for p in json.loads(capsys.readouterr().out)} <= {"robots.txt", "budget.txt"}
    assert main(["search", "VAETKI", "--index", index, "--source", "missing.md"]) == 2
    assert "unknown document 'missing.md'" in capsys.readouterr().err


def test_sample_is_reproducible_and_keeps_file_order():
    rows = [{"id": i} for i in range(50)]
    a, b = sample_questions(rows, 10, seed=3), sample_questions(rows, 10, seed=3)
    assert a == b and len(a) == 10 and [r["id"] for r in a] == sorted(r["id"] for r in a)
    assert sample_questions(rows, 10, seed=4) != a
    assert sample_questions(rows, 500, seed=3) == rows


def test_scope_of():
    assert scope_of({"scope": ["dir/r041.txt"]}) == ["r041.txt"]
    assert scope_of({"scope": "t1.txt"}) == ["t1.txt"]
    assert scope_of({}) is None


def test_token_f1_follows_squad():
    q = {"type": "factoid", "answers": ["a soapy sponge", "soapy sponge | sponge"]}
    assert token_f1(q, "A soapy sponge [1].", False) == 1.0
    assert token_f1(q, "Use the sponge.", False) == pytest.approx(2 * 0.5 * 1 / 1.5, abs=1e-4)  # best: "sponge"
    assert token_f1(q, "A soapy sponge.", True) == 0.0  # a refusal scores 0
    assert token_f1({"type": "list", "answers": ["$133", "$138 | 138 dollars"]}, "$133 and $138", False) == \
        pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1), abs=1e-4)
    assert token_f1({"type": "unanswerable", "answers": []}, "Something.", False) == 0.0


def test_summary_has_f1_median_words_and_answerable_refused():
    rows = [{"type": "factoid", "correct": True, "refused": False, "f1": 1.0, "words": 4},
            {"type": "factoid", "correct": False, "refused": True, "f1": 0.0, "words": 5},
            {"type": "factoid", "correct": False, "refused": False, "f1": 0.5, "words": 10},
            {"type": "unanswerable", "correct": False, "refused": False, "f1": 0.0, "words": 30}]
    s = summarize(rows)
    assert s["token_f1"] == 0.5 and s["answerable_refused"] == 1
    assert s["median_answer_words"] == 10  # over the answered rows: 4, 10, 30


@pytest.fixture
def public_like(tmp_path, corpus):
    """A question file with `scope` rows over `corpus`, in the public sets' format."""
    path = tmp_path / "tune.jsonl"
    rows = [{"id": f"x{i}", "question": "How many industrial robots per 10,000 workers?", "answers": ["1,012"],
             "sources": ["robots.txt"], "scope": ["robots.txt"], "type": "numeric",
             "evidence": "Korea has 1,012 industrial robots per 10,000 workers."} for i in range(6)]
    rows.append({"id": "u", "question": "Who painted the ceiling?", "answers": [], "sources": [], "evidence": "",
                 "type": "unanswerable"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_cli_eval_with_corpus_indexes_once_and_honours_scope(public_like, corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QA_EMBEDDER", "hashing")
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    import qa.api

    generator = ScriptedGenerator(lambda m: "Korea has 1,012 industrial robots per 10,000 workers.")
    monkeypatch.setattr(qa.api, "make_generator", lambda name, settings: generator)
    assert main(["eval", str(public_like), "--corpus", str(corpus), "--no-cache", "--sample", "3", "--seed", "1",
                 "--report", str(tmp_path / "r")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["answers"]["questions"] == 3
    rows = [json.loads(x) for x in (tmp_path / "r" / "results.jsonl").read_text().splitlines()]
    for r in rows:
        if r["scope"]:
            assert {p["source"] for p in r["passages"]} == {"robots.txt"}
    from qa.settings import Settings

    index_dir = corpus_index_dir(corpus, Settings.from_env())
    generation = (index_dir / "CURRENT").read_text()
    assert main(["eval-retrieval", str(public_like), "--corpus", str(corpus), "--sample", "2"]) == 0
    picked = [q for q in sample_questions(load_questions(public_like), 2, seed=0) if q["type"] != "unanswerable"]
    assert f"| hybrid | english | {len(picked)} |" in capsys.readouterr().out  # the rows `qa eval --sample 2` asks
    assert (index_dir / "CURRENT").read_text() == generation  # the unchanged folder is not indexed again
    (corpus / "extra.txt").write_text("Extra\n\nA new fact about chips.")
    assert main(["eval-retrieval", str(public_like), "--corpus", str(corpus)]) == 0
    assert (index_dir / "CURRENT").read_text() != generation  # a changed folder is brought up to date


def test_corpus_and_index_exclude_each_other(public_like, corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QA_EMBEDDER", "hashing")
    assert main(["eval", str(public_like), "--corpus", str(corpus), "--index", str(tmp_path / "i")]) == 2
    assert "--corpus and --index" in capsys.readouterr().err
    assert main(["eval", str(public_like), "--corpus", str(tmp_path / "nowhere")]) == 2
    assert main(["eval", str(public_like), "--corpus", str(corpus), "--sample", "0"]) == 2


def test_evaluate_restricts_scoped_rows(public_like, assistant, tmp_path):
    s = evaluate(public_like, assistant, progress=False, cache=False, warmup=False)
    assert s["answers"]["token_f1"] == 0.0 and s["answers"]["answerable_refused"] == 6
    r = evaluate_retrieval(public_like, assistant, k=5, modes=("hybrid",), sample=4, seed=0)
    picked = [q for q in sample_questions(load_questions(public_like), 4, seed=0) if q["type"] != "unanswerable"]
    assert r["hybrid"]["english"]["n"] == len(picked) and r["hybrid"]["english"]["recall@5"] == 1.0
    # a scope that leaves out the evidence's document: the evidence cannot be found, only the scope is read
    wrong = tmp_path / "wrong.jsonl"
    row = json.loads(public_like.read_text().splitlines()[0])
    wrong.write_text(json.dumps({**row, "scope": ["models.md"]}) + "\n")
    r = evaluate_retrieval(wrong, assistant, k=5, modes=("hybrid",))
    assert r["hybrid"]["english"]["recall@5"] == 0.0
    report = tmp_path / "report"
    evaluate(wrong, assistant, progress=False, cache=False, warmup=False, report=report)
    row = json.loads((report / "results.jsonl").read_text().splitlines()[0])
    assert {p["source"] for p in row["passages"]} == {"models.md"}
