"""scripts/eval_public.py: check splits leave no question or id anywhere (stdout, stderr, files, cache)."""
import importlib.util
import json

from conftest import ROOT

from qa.models.generation import ScriptedGenerator


def _load_script():
    spec = importlib.util.spec_from_file_location("eval_public", ROOT / "scripts" / "eval_public.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_split_leaves_no_question_or_id_behind(tmp_path, corpus, monkeypatch, capsys):
    monkeypatch.setenv("QA_EMBEDDER", "hashing")
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("QA_READER", "generator")  # the scripted model answers, whatever the span reader's weights
    import qa.api
    import qa.models.generation

    def scripted(name, settings):
        return ScriptedGenerator(lambda m: "Korea has 1,012 industrial robots.")

    monkeypatch.setattr(qa.models.generation, "make_generator", scripted)
    monkeypatch.setattr(qa.api, "make_generator", scripted)  # the assistants load their models by name
    secret_question, secret_id = "How many zebra-secret robots per worker?", "check-id-7f3a"
    split = tmp_path / "check.jsonl"
    split.write_text(json.dumps({"id": secret_id, "question": secret_question, "answers": ["1,012"],
                                 "sources": ["robots.txt"], "evidence": "Korea has 1,012 industrial robots",
                                 "type": "numeric"}) + "\n")
    script = _load_script()
    monkeypatch.setattr(script, "SETS", {"toy": (corpus, {"check": split})})
    monkeypatch.setattr(script, "ROOT", tmp_path)  # reports/ and README.md go under tmp_path
    out = tmp_path / "public.json"
    assert script.main(["--sets", "toy", "--splits", "check", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    written = [p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file() and p != split]
    for text in [captured.out, captured.err, *written]:
        assert secret_question not in text and secret_id not in text
    figures = json.loads(out.read_text())["sets"]["toy"]["check"]
    assert figures["questions"] == 1 and figures["answerable_correct"] == 1
