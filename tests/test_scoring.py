"""Every rule of SCORING.md on hand-made cases."""
import pytest

from qa.eval.scoring import entry_matches, hangul_share, normalize, score_answer, summarize, text_refuses


def q(kind, answers):
    return {"type": kind, "answers": answers}


@pytest.mark.parametrize("text, expected", [
    ("Korea [1] has [2, 3] robots [1][4].", "korea has robots ."),
    ("“Quoted” ‘text’", "\"quoted\" 'text'"),
    ("1,012 and 10,000,000 but 1,01", "1012 and 10000000 but 1,01"),
    ("Ｆｕｌｌ width", "full width"),
    ("a \n\t b", "a b"),
])
def test_normalization(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("accepted, answer, ok", [
    ("4", "in 2024", False), ("4", "rose 4.8 points", False), ("4", "rank 4.", True), ("8", "rose 4.8", False),
    ("us", "industrial", False), ("four", "the fourth", False), ("four", "four teams", True),
    ("18", "18위입니다", True), ("seven", "7 spots", True), ("7", "seven spots", True),
    ("United States", "the US and China", True), ("US", "the United States", True),
    ("1,012", "1012 robots", True), ("1012", "1,012 robots", True),
    ("182.4 million USD | $182.4 million", "about $182.4 million", True),
    ("MIT Technology Review", "mit technology review [1]", True),
])
def test_matching(accepted, answer, ok):
    assert entry_matches(accepted, normalize(answer)) is ok


def test_markers_are_stripped_before_matching():
    assert score_answer(q("numeric", ["1"]), "Ranked first [1].", refused=False)["correct"] is False
    assert score_answer(q("numeric", ["14.31"]), "It files 14.31 [2] per 100,000.", refused=False)["correct"]


def test_length_cap():
    long = " ".join(["word"] * 60) + " seven"
    assert score_answer(q("numeric", ["seven"]), long, False)["correct"] is False
    assert score_answer(q("list", ["seven"]), long, False)["correct"] is True
    assert score_answer(q("numeric", ["seven"]), " ".join(["w"] * 59) + " seven [1][2][3]", False)["correct"]


def test_types():
    assert score_answer(q("list", ["China", "Japan", "United States"]), "China and Japan", False)["correct"] is False
    assert score_answer(q("list", ["China", "Japan", "United States"]), "China, Japan and the US", False)["correct"]
    conflict = q("conflict", ["52,000", "260,000", "13,000"])
    assert score_answer(conflict, "52,000 by 2028 [1]", False)["correct"] is False
    assert score_answer(conflict, "52,000 by 2028 [1] and 260,000 by 2030 [2]", False)["correct"]
    korean = q("korean", ["18th", "18", "18위"])
    assert score_answer(korean, "한국은 18위입니다 [1].", False)["correct"]
    assert score_answer(korean, "Korea ranks 18th in AI adoption.", False)["correct"] is False
    assert score_answer(q("unanswerable", []), "The documents do not say.", True)["correct"]
    assert score_answer(q("unanswerable", []), "It has 7 billion parameters.", False)["correct"] is False
    assert score_answer(q("factoid", ["COEX"]), "COEX", True)["correct"] is False  # a refusal is wrong


def test_refusal_from_text_when_no_flag():
    assert text_refuses("The documents do not say.") and text_refuses("I don't know")
    assert text_refuses("잘 모르겠습니다") and not text_refuses("It has 7 units.")
    assert score_answer(q("unanswerable", []), "There is no information about it.")["refused"] is True


def test_hangul_share():
    assert hangul_share("한국 AI") == pytest.approx(2 / 4)
    assert hangul_share("123") == 0.0


def test_summary_metrics():
    rows = [
        {"type": "factoid", "correct": True, "refused": False, "cited": ["a/x.txt"], "gold": ["x.txt"]},
        {"type": "factoid", "correct": False, "refused": False, "cited": ["x.txt", "y.txt"], "gold": ["x.txt"]},
        {"type": "numeric", "correct": False, "refused": True, "cited": [], "gold": ["x.txt"]},
        {"type": "numeric", "correct": False, "refused": False, "cited": [], "gold": ["x.txt"]},
        {"type": "unanswerable", "correct": True, "refused": True, "cited": [], "gold": []},
        {"type": "unanswerable", "correct": False, "refused": False, "cited": ["y.txt"], "gold": []},
    ]
    s = summarize(rows)
    assert s["answerable_accuracy"] == 0.25 and s["refusal_accuracy"] == 0.5 and s["false_refusal_rate"] == 0.25
    assert s["source_hit"] == round(2 / 3, 4)
    assert s["citation_precision"] == round((1 + 0.5 + 0) / 3, 4)
