"""The quality gate: the real default generator on the dev set and the follow-up set, no answer cache.

Thresholds live in tests/data/quality_gate.json (counts). No timing thresholds here."""
import json
import shutil

import pytest

from qa.api import Assistant
from qa.evaluation import evaluate
from qa.settings import Settings

from conftest import DEV, ROOT, SEEDS

pytestmark = pytest.mark.integration
GATE = json.loads((ROOT / "tests" / "data" / "quality_gate.json").read_text())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gate")
    shutil.copytree(SEEDS, folder / "seeds")
    settings = Settings.from_env({}, data_dir=folder / "data", cache_dir=folder / "cache")
    assistant = Assistant.from_paths([folder / "seeds"], index=folder / "index", settings=settings)
    report = folder / "report"
    summary = evaluate(DEV, assistant, cache=False, report=report, progress=False)
    rows = [json.loads(line) for line in (report / "results.jsonl").read_text().splitlines()]
    follow = evaluate(ROOT / "tests" / "data" / "followups.jsonl", assistant, cache=False, progress=False,
                      warmup=False)
    return summary, rows, follow, report


def test_dev_set_meets_the_gate(run):
    summary, rows, _, report = run
    g = GATE["dev"]
    core = [r for r in rows if r["type"] in g["core_types"]]
    assert len(core) == g["core_answerable"]
    assert sum(r["correct"] for r in core) >= g["core_correct_min"], [r["id"] for r in core if not r["correct"]]
    assert sum(r["refused"] for r in core) <= g["core_false_refusals_max"]
    answered_gold = sum(1 for r in core if not r["refused"] and set(r["cited"]) & set(r["gold"]))
    assert answered_gold >= g["core_answered_citing_gold_min"]
    assert summary["answers"]["citation_precision"] >= g["citation_precision_min"]
    assert sum(r["refused"] for r in rows if r["type"] == "unanswerable") >= g["unanswerable_refused_min"]
    assert sum(r["correct"] for r in rows if r["type"] == "conflict") >= g["conflict_correct_min"]
    assert sum(r["correct"] for r in rows if r["type"] == "korean") >= g["korean_correct_min"]
    assert summary["citations"]["quote_figure_share"] >= g["quote_figure_share_min"]
    for name in ("results.jsonl", "summary.json", "report.md", "accuracy_by_type.png", "latency.png", "evidence_rank.png"):
        assert (report / name).stat().st_size > 0


def test_follow_up_set_meets_the_gate(run):
    _, _, follow, _ = run
    assert follow["answers"]["questions"] == GATE["followups"]["questions"]
    correct = round(follow["answers"]["answerable_accuracy"] * follow["answers"]["answerable"])
    assert correct >= GATE["followups"]["correct_min"]
