"""The multi-part detector (`question_parts`): two questions asked at once come apart, each a question of
its own; a single question, however many "and"s or commas it holds, stays whole."""
import json
from pathlib import Path

import pytest

from qa.answer.questions import question_parts

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_development_two_part_question_comes_apart_in_its_parts():
    rows = [r for r in _rows("two_part.jsonl") if r.get("split") == "dev"]
    assert len(rows) >= 20
    for row in rows:
        parts = question_parts(row["question"])
        assert len(parts) == len(row["parts"]), (row["question"], parts)
        assert all(p.endswith("?") and p[0].isupper() and len(p.split()) >= 3 for p in parts), parts


@pytest.mark.parametrize("name", ["dev.jsonl", "followups.jsonl", "followups_public.jsonl", "conflicts.jsonl",
                                  "korean_en.jsonl"])
def test_single_questions_stay_whole(name):
    split = [r["question"] for r in _rows(name) if len(question_parts(r["question"])) > 1]
    # the one question of these sets that asks two things, each with its own question mark
    assert split in ([], ["where can i get AX 3.1 Lite? is it open source?"]), split


@pytest.mark.parametrize("question, parts", [
    ("What does the blender cost and is it loud?", ["What does the blender cost?", "Is it loud?"]),
    ("How long is the warranty, and does Acme repair it?", ["How long is the warranty?", "Does Acme repair it?"]),
    ("What is the tower's height. How many steps does it have?",
     ["What is the tower's height?", "How many steps does it have?"]),
    ("When did the war end and where was the treaty signed?", ["When did the war end?", "Where was the treaty signed?"]),
    ("Where did the ship sink, and why?", ["Where did the ship sink?", "Why did the ship sink?"]),
    ("How and why did the empire fall?", ["How did the empire fall?", "Why did the empire fall?"]),
])
def test_two_questions_in_one_come_apart(question, parts):
    assert question_parts(question) == parts


@pytest.mark.parametrize("question", [
    "According to the review, what does the blender cost?",
    "The plant opened in 1990. Which company runs it now?",
    "What was revenue in 2018 and 2019?",
    "Who won and why?",
    "Which is larger, the lake or the sea?",
])
def test_one_question_stays_whole(question):
    assert question_parts(question) == [question]
