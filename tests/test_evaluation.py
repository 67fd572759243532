"""`qa eval` with a scripted model: metrics, cache and resume, report, compare."""
import json

import pytest

from qa.answer.events import Answer, Citation
from qa.api import Assistant
from qa.cli import main
from qa.eval.evaluation import amounts, compare, evaluate, quote_figure_share
from qa.models.generation import ScriptedGenerator
from qa.text.rules import claims_with_markers


def test_amounts_apply_scales_in_english_and_korean():
    assert amounts("10 million") == amounts("1,000만") == {10_000_000.0}
    assert amounts("10.1 trillion won") == amounts("10.1조") == {10.1e12}
    assert amounts("1,012 units and 4.8%") == {1012.0, 4.8}


def test_claims_with_markers():
    assert claims_with_markers("A is 1 [1]. B is 2 [2][3]. C") == [("A is 1", [1]), ("B is 2", [2, 3])]


def _answer(text, quotes):
    cites = [Citation(n=i, source="s", chunk_id="c", text=q, start=0, end=len(q), quote=q, score=1.0)
             for i, q in enumerate(quotes, start=1)]
    return Answer("q", text, False, cites, [])


def test_quote_figure_share():
    assert quote_figure_share(_answer("It has 1,012 robots [1].", ["Korea has 1,012 robots."])) == 1.0
    assert quote_figure_share(_answer("It has 1,012 robots [1]. And 5 [2].", ["1,012 robots", "no figure"])) == 0.5
    assert quote_figure_share(_answer("가입자는 1,000만 명입니다 [1].", ["serves 10 million subscribers"])) == 1.0
    assert quote_figure_share(_answer("No markers.", [])) is None


def test_compare_lists_every_numeric_metric():
    rows = compare({"answers": {"a": 0.5, "n": 3}, "k": 5, "generator": "x"}, {"answers": {"a": 0.75, "n": 3}, "k": 5})
    assert ("answers.a", 0.5, 0.75) in rows and ("k", 5, 5) in rows and all(r[0] != "generator" for r in rows)


@pytest.fixture
def questions(tmp_path):
    path = tmp_path / "qa.jsonl"
    rows = [
        {"id": "q1", "question": "Which company built the VAETKI model?", "answers": ["NC AI"], "sources": ["models.md"],
         "evidence": "NC AI built the VAETKI model.", "type": "factoid"},
        {"id": "q2", "question": "How many industrial robots per 10,000 workers does Korea have?", "answers": ["1,012"],
         "sources": ["robots.txt"], "evidence": "Korea has 1,012 industrial robots per 10,000 workers.", "type": "numeric"},
        {"id": "q3", "question": "Who is the CEO of Upstage?", "answers": [], "sources": [], "evidence": "",
         "type": "unanswerable"},
        {"id": "q4", "question": "What is the AI budget?", "answers": ["99 trillion"], "sources": ["budget.txt"],
         "evidence": "The 2026 budget gives 10.1 trillion won to AI.", "type": "numeric"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.fixture
def scripted(settings, embedder, corpus):
    replies = {"Which company": "NC AI built the VAETKI model.",
               "How many industrial": "Korea has 1,012 industrial robots per 10,000 workers.",
               "Who is the CEO": "Kim Sung-hoon is the CEO of Upstage.",
               "What is the AI budget": "The 2026 budget gives 10.1 trillion won to AI."}

    def model(messages):
        question = messages[-1]["content"].split("Question: ")[-1]
        return next((r for k, r in replies.items() if question.startswith(k)), "I don't know.")

    generator = ScriptedGenerator(model)
    return Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder,
                                generator=generator), generator


def test_evaluate_scores_and_reports(questions, scripted, tmp_path):
    assistant, _ = scripted
    report = tmp_path / "report"
    s = evaluate(questions, assistant, report=report, progress=False)
    a = s["answers"]
    assert a["questions"] == 4 and a["answerable"] == 3
    assert a["answerable_accuracy"] == pytest.approx(2 / 3, abs=1e-3)  # q4's accepted answer is wrong on purpose
    assert a["refusal_accuracy"] == 1.0 and a["false_refusal_rate"] == 0.0
    assert a["source_hit"] == 1.0 and a["citation_precision"] == 1.0
    assert s["by_type"]["numeric"] == {"n": 2, "correct": 1, "accuracy": 0.5}
    assert s["retrieval"]["evidence_recall@5"] == 1.0 and 0 < s["retrieval"]["mrr"] <= 1
    assert s["citations"]["quote_figure_share"] == 1.0
    assert s["cost"]["latency_p50_s"] is not None and s["cost"]["peak_rss_mb"] > 0
    rows = [json.loads(line) for line in (report / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q1", "q2", "q3", "q4"]
    assert rows[2]["refused"] and rows[2]["raw"].startswith("Kim")
    md = (report / "report.md").read_text()
    assert "## The 4 worst questions" in md and "q4 (numeric) — WRONG" in md
    for png in ("accuracy_by_type.png", "latency.png", "evidence_rank.png"):
        assert (report / png).read_bytes()[:4] == b"\x89PNG"


def _count_asks(assistant, monkeypatch):
    asked = []
    original = assistant.ask

    def ask(question, **kw):
        asked.append(question)
        return original(question, **kw)

    monkeypatch.setattr(assistant, "ask", ask)
    return asked


def test_cache_resumes_and_no_cache_recomputes(questions, scripted, monkeypatch):
    assistant, _ = scripted
    asked = _count_asks(assistant, monkeypatch)
    evaluate(questions, assistant, progress=False, limit=2)
    assert len(asked) == 2 + 2  # two warm-up questions, then q1 and q2
    evaluate(questions, assistant, progress=False)  # an interrupted run resumes: q1, q2 come from the cache
    assert asked[4:] == ["What are these documents about?", "Which organisations do the documents mention?",
                         "Who is the CEO of Upstage?", "What is the AI budget?"]
    evaluate(questions, assistant, progress=False)
    assert len(asked) == 8  # all cached: nothing asked, no warm-up
    evaluate(questions, assistant, progress=False, cache=False, warmup=False)
    assert len(asked) == 12


def test_a_changed_index_invalidates_the_cache(questions, scripted, corpus, monkeypatch):
    assistant, _ = scripted
    asked = _count_asks(assistant, monkeypatch)
    evaluate(questions, assistant, progress=False, warmup=False)
    evaluate(questions, assistant, progress=False, warmup=False)
    assert len(asked) == 4
    (corpus / "extra.txt").write_text("Extra\n\nA new fact about chips.")
    assistant.add([corpus / "extra.txt"])
    evaluate(questions, assistant, progress=False, warmup=False)
    assert len(asked) == 8


def test_cli_eval_and_compare(questions, tmp_path, capsys, monkeypatch, corpus):
    monkeypatch.setenv("QA_EMBEDDER", "hashing")
    monkeypatch.setenv("QA_READER", "generator")  # the path the scripted generator drives
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    import qa.api

    monkeypatch.setattr(qa.api, "make_generator", lambda name, settings: ScriptedGenerator(lambda m: "I don't know."))
    index = str(tmp_path / "idx")
    assert main(["index", str(corpus), "--index", index]) == 0
    capsys.readouterr()
    assert main(["eval", str(questions), "--index", index, "--report", str(tmp_path / "A"), "--no-cache"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["answers"]["false_refusal_rate"] == 1.0 and out["answers"]["refusal_accuracy"] == 1.0
    assert main(["eval", "--compare", str(tmp_path / "A" / "summary.json"), str(tmp_path / "A" / "summary.json")]) == 0
    assert "answers.answerable_accuracy" in capsys.readouterr().out
    assert main(["eval", "--index", index]) == 2
