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
    ("What does the blender cost, and is it loud?", ["What does the blender cost?", "Is it loud?"]),
    ("Where is the museum; how much is a ticket?", ["Where is the museum?", "How much is a ticket?"]),
    ("What does it cost, how long does it last?", ["What does it cost?", "How long does it last?"]),
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
    # relative and adverbial clauses after a comma
    "What happens to the settings, when the battery dies?",
    "What is the population of Paris, which is the capital of France?",
    "When did the company move to Berlin, where it still has its headquarters?",
    "When the war ended, what happened to the soldiers?",
    # one subject doing two things
    "Which planet is the largest and has the most moons?",
    "Who founded Microsoft and was its first CEO?",
    "Which planet is the largest, and has the most moons?",
    # a subject or object question with a trailing question word
    "Who was fired, and why?",
    "Which model did they choose, and why?",
    # a statement before a semicolon; abbreviations before a full stop
    "My kettle is leaking; what should I do?",
    "How many employees did Alphabet Inc. have in 2020?",
    "Who played Dr. Who in 1970?",
    "What did Martin Luther King Jr. do in 1963?",
    # a condition; embedded questions
    "Does it come with a case, and if not, how much is one?",
    "Do you know when the museum opens and how much tickets cost?",
    "Can you tell me what the blender costs and how loud it is?",
    "Which is larger, the lake or the sea?",
])
def test_one_question_stays_whole(question):
    assert question_parts(question) == [question]


def test_a_question_of_many_questions_is_read_as_one():
    assert len(question_parts("What does it cost? " * 4)) == 4
    assert question_parts("What does it cost? " * 40) == ["What does it cost? " * 40]


def test_a_long_run_of_white_space_is_read_at_once():
    question = "What does it cost," + " " * 5_000 + "and why" + " " * 5_000 + "?"
    assert len(question_parts(question)) == 1  # folded before matching: no separator scans the run
