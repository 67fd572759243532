"""Follow-ups, conflicting figures and Korean questions, with a scripted model."""
import dataclasses
import json
import re

import pytest
from conftest import ROOT

from qa.answer.conflicts import asked_currency, focus_of
from qa.answer.followups import rewrite_followup, subject_of
from qa.answer.questions import is_scoped
from qa.answer.translation import CONTEXT_SYSTEM, TRANSLATE_SYSTEM
from qa.answer.events import Progress, Verified
from qa.api import Assistant
from qa.eval.scoring import hangul_share
from qa.models.generation import ScriptedGenerator
from qa.text.korean import KOREAN_REFUSAL, korean_amount, korean_answer, korean_number

H = lambda q, a="...": [(q, a)]  # noqa: E731
DATA = ROOT / "tests" / "data"


# --- follow-ups -------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, history, expected", [
    ("How many parameters does it have?", H("What is SK Telecom's A.X K1?"), "How many parameters does SK Telecom's A.X K1 have?"),
    ("And in 2017?", H("How much were sales in fiscal 2019?"), "How much were sales in fiscal 2017?"),
    ("Where did the group emerge?", H("Who founded the Lumen Circle?", "Ana Ruiz founded it [1]."),
     "Where did the group (Ana Ruiz, Lumen Circle) emerge?"),
    ("What is its budget?", H("What is Upstage?"), "What is Upstage's budget?"),
    ("How many parameters does it have?", H("What did LG AI Research show off?", "LG AI Research showed off K-EXAONE [1]."),
     "How many parameters does K-EXAONE have?"),
    ("What about K-EXAONE?", H("How many parameters does A.X K1 have?"), "How many parameters does K-EXAONE have?"),
    ("And by 2030?", H("How many GPUs will the government secure by 2028?"), "How many GPUs will the government secure by 2030?"),
    ("Who built the model?", H("Tell me about VAETKI."), "Who built the model (VAETKI)?"),
    ("By what percentage is that an increase?", H("How much is the 2026 AI budget?"),
     "By what percentage is the 2026 AI budget an increase?"),
])
def test_follow_ups_are_rewritten(question, history, expected):
    assert rewrite_followup(question, history).searched == expected


@pytest.mark.parametrize("question, history", [
    ("Where was the Lumen showcase held?", H("What is A.X K1?")),   # a new topic, with its own name
    # a new topic whose name only qualifies a noun ("the national AI models"): still its own
    ("Where was the first presentation of the national AI models held?", H("Who is the mayor of Busan?", "No.")),
    ("How many parameters does it have?", None),                     # no conversation
    ("How many parameters does it have?", [("", "")]),
])
def test_standalone_questions_are_left_alone(question, history):
    assert rewrite_followup(question, history) is None


def test_generic_subjects_become_context_not_replacements():
    rewritten = rewrite_followup("How big is it?", H("What is Korea doing in AI?"), is_generic=lambda n: n == "Korea")
    assert rewritten.searched == "How big is it? (about: What is Korea doing in AI?)"
    assert rewritten.shown == "How big is it?"  # one question: nothing to name it by
    assert subject_of("How many clinical records was Seoul National University Hospital's medical LLM trained on?") == \
        "Seoul National University Hospital"


def test_rewrite_is_used_for_retrieval_and_reported(settings, embedder, corpus):
    seen = []

    def model(messages):
        seen.append(messages[-1]["content"])
        return "NC AI built the VAETKI model."

    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=ScriptedGenerator(model))
    answer = a.ask("Who built it?", history=[("What is VAETKI?", "A model [1].")])
    assert answer.rewritten == "Who built VAETKI?"
    assert "Question: Who built VAETKI?" in seen[-1]
    assert not answer.refused and "NC AI" in answer.text
    assert a.ask("Who built the VAETKI model?").rewritten is None


# --- conflicts -------------------------------------------------------------------------------------

def test_focus_scope_and_currency():
    assert focus_of("How many high-performance GPUs is South Korea getting?") == "high-performance GPUs"
    assert focus_of("how big is south korea's AI market in dollars?") == "south korea's AI market"
    assert focus_of("Who built it?") is None
    assert asked_currency("how big is the market in dollars?").search("USD 5") and asked_currency("how big?") is None
    assert is_scoped("How many teams were left after the first evaluation?")
    assert is_scoped("How many GPUs by 2028?") and not is_scoped("How many GPUs is Korea getting?")


@pytest.fixture
def gpu_corpus(tmp_path):
    folder = tmp_path / "gpus"
    folder.mkdir()
    (folder / "plan.txt").write_text(
        "Compute plan\n\nThe government plans to secure 52,000 high-performance GPUs by 2028. "
        "The plan also funds new data centers in three regions.\n")
    (folder / "ministry.txt").write_text(
        "Ministry budget\n\nThe ministry will procure 13,000 high-performance GPUs this year for researchers. "
        "Cloud providers will host them.\n")
    (folder / "robots.txt").write_text("Robots\n\nKorea installed 30,600 industrial robots last year.\n")
    return folder


def test_conflicting_figures_are_each_cited(settings, embedder, gpu_corpus):
    model = ScriptedGenerator(lambda m: "The government plans to secure 52,000 high-performance GPUs by 2028.")
    a = Assistant.from_paths([gpu_corpus], index=settings.index_dir, settings=settings, embedder=embedder, generator=model)
    answer = a.ask("How many high-performance GPUs is Korea getting?")
    assert answer.conflict and not answer.refused
    assert "52,000" in answer.text and "13,000" in answer.text and "30,600" not in answer.text
    assert {c.source for c in answer.citations} == {"plan.txt", "ministry.txt"}
    assert "[1]" in answer.text and "[2]" in answer.text and len(answer.text.split()) <= 70


def test_a_scoped_question_is_not_a_conflict(settings, embedder, gpu_corpus):
    model = ScriptedGenerator(lambda m: "The government plans to secure 52,000 high-performance GPUs by 2028.")
    a = Assistant.from_paths([gpu_corpus], index=settings.index_dir, settings=settings, embedder=embedder, generator=model)
    answer = a.ask("How many high-performance GPUs will the government secure by 2028?")
    assert not answer.conflict and "13,000" not in answer.text and "52,000" in answer.text


# --- Korean --------------------------------------------------------------------------------------------

def korean_model(translations: dict[str, str], reply: str) -> ScriptedGenerator:
    """A scripted model that translates the questions it is given and replies `reply` to the prompt."""
    def script(messages):
        if messages[0]["content"].startswith((TRANSLATE_SYSTEM, CONTEXT_SYSTEM)):  # either pass
            return translations[messages[-1]["content"]]
        return reply
    return ScriptedGenerator(script)


def test_no_glossary_is_left():
    import qa.text.korean as korean

    assert not hasattr(korean, "GLOSSARY") and not hasattr(korean, "english_query")


@pytest.mark.parametrize("question, phrase, expected", [
    ("한국의 로봇 밀도는 근로자 1만 명당 몇 대예요?", "1,012 robots", "한국의 로봇 밀도는 근로자 1만 명당 1,012대입니다."),
    ("정부는 2030년까지 GPU를 몇 장 확보할 계획인가요?", "260,000", "정부는 2030년까지 GPU를 260,000장입니다."),
    ("2026년 AI 예산은 얼마예요?", "10.1 trillion won", "2026년 AI 예산은 10조 1,000억 원입니다."),
    ("가입자는 몇 명이야?", "more than 10 million", "가입자는 1,000만명 이상입니다."),
    ("AI 기본법은 언제부터 시행돼요?", "January 22, 2026", "AI 기본법은 2026년 1월 22일입니다."),
    ("한국은 몇 위야?", "third", "한국은 3위입니다."),
])
def test_korean_frames_keep_the_figure_exact(question, phrase, expected):
    assert korean_answer(question, phrase) == expected
    assert hangul_share(expected) >= 0.5


def test_counts_are_never_rounded():
    assert korean_number(52_000) == "5만 2,000" and korean_number(10.1e12) == "10조 1,000억"
    assert korean_number(1.1e9) == "11억" and korean_number(519e9) == "5,190억"
    assert korean_amount("52,000") == "52,000"  # written as the document writes it


def test_a_latin_name_gets_enough_korean_around_it():
    text = korean_answer("누가 과기정통부 장관이에요?", "Bae Kyung-hoon")
    assert "Bae Kyung-hoon" in text and hangul_share(text) >= 0.5


def test_korean_question_is_translated_answered_in_korean_citing_english(settings, embedder, corpus):
    question = "한국의 로봇 밀도는 근로자 10,000명당 몇 대인가요?"
    model = korean_model({question: "How many industrial robots per 10,000 workers does Korea have?"}, "1,012")
    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder, generator=model)
    answer = a.ask(question)
    assert not answer.refused and hangul_share(answer.text) >= 0.5
    assert "1,012" in answer.text and answer.citations[0].source == "robots.txt"
    assert "1,012" in answer.citations[0].quote  # the English sentence is the evidence
    assert answer.rewritten == "How many industrial robots per 10,000 workers does Korea have?"


def test_a_korean_follow_up_is_read_through_the_translations(settings, embedder, corpus):
    first, second = "LG는 작년에 무엇을 출시했어?", "그건 누가 만들었어?"
    model = korean_model({first: "What did LG release last year?", second: "Who built it?"}, "LG")
    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder, generator=model)
    answer = a.ask(second, history=[(first, "LG는 작년에 Exaone 4.0입니다.")])
    assert answer.rewritten and "Exaone 4.0" in answer.rewritten


def test_korean_refusal_is_in_korean(settings, embedder, corpus):
    question = "삼성 가우스의 매개변수는 몇 개인가요?"
    model = korean_model({question: "How many parameters does Samsung Gauss have?"}, "99 billion")
    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder, generator=model)
    answer = a.ask(question)
    assert answer.refused and answer.text == KOREAN_REFUSAL


def test_a_translation_that_fails_falls_back_to_the_question_as_asked(settings, embedder, corpus):
    question = "로봇 밀도는?"
    model = korean_model({question: "로봇 밀도는?"}, "1,012")  # the model "translates" into Korean again
    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder, generator=model)
    answer = a.ask(question)
    assert answer.rewritten is None  # nothing was translated, and nothing pretends it was


@pytest.mark.parametrize("history, question, expected", [
    # the entity the previous answer named is the referent, whatever the previous question asked
    ([("Who wrote Pride and Prejudice?", "Jane Austen [1].")], "When was she born?", "When was Jane Austen born?"),
    ([("Who founded Hartford?", "Thomas Hooker founded it in 1636 [1].")], "Where did he study?",
     "Where did Thomas Hooker study?"),
    # an answer that names nothing new (a figure) leaves the previous question's subject
    ([("How tall is Mount Aconcagua?", "6,961 m [1].")], "Where is it?", "Where is Mount Aconcagua?"),
])
def test_a_pronoun_points_at_what_the_previous_answer_named(history, question, expected):
    assert rewrite_followup(question, history).shown == expected


@pytest.fixture
def earnings_corpus(tmp_path):
    folder = tmp_path / "earnings"
    folder.mkdir()
    (folder / "results.txt").write_text(
        "Fourth quarter\n\nAdjusted net earnings of Orvel Telecom were $794 million in Q4 2019. "
        "Orvel Telecom net earnings attributable to shareholders were $672 million in Q4 2019. "
        "Orvel Telecom adjusted EBITDA was $1,210 million in Q4 2019, driven by higher net earnings.\n")
    return folder


def test_a_different_figure_of_the_same_measure_is_a_conflict_without_how_many(settings, embedder, earnings_corpus):
    model = ScriptedGenerator(lambda m: "$794 million")
    a = Assistant.from_paths([earnings_corpus], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=model)
    answer = a.ask("What were Orvel Telecom net earnings in Q4 2019?")
    assert answer.conflict and "$794 million" in answer.text and "$672 million" in answer.text
    assert "1,210" not in answer.text  # another measure: its clause is about EBITDA


def test_another_period_is_not_a_conflict(settings, embedder, earnings_corpus):
    model = ScriptedGenerator(lambda m: "$794 million")
    a = Assistant.from_paths([earnings_corpus], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=model)
    answer = a.ask("What were Orvel Telecom net earnings in Q3 2018?")
    assert not answer.conflict


def test_the_conflict_rules_come_from_the_settings(settings, embedder, earnings_corpus):
    import dataclasses

    loose = dataclasses.replace(settings, conflict_min_shared=0.0)  # QA_CONFLICT_MIN_SHARED=0
    a = Assistant.from_paths([earnings_corpus], index=settings.index_dir, settings=loose, embedder=embedder,
                             generator=ScriptedGenerator(lambda m: "$794 million"))
    answer = a.ask("What were Orvel Telecom net earnings in Q4 2019?")
    assert answer.conflict and "1,210" in answer.text  # the EBITDA clause now counts


def test_a_doubtful_figure_stated_beside_others_is_shown_with_them_not_refused(settings, embedder, earnings_corpus):
    import dataclasses

    doubtful = dataclasses.replace(settings, answer_threshold=0.999)  # the score doubts every answer
    a = Assistant.from_paths([earnings_corpus], index=settings.index_dir, settings=doubtful, embedder=embedder,
                             generator=ScriptedGenerator(lambda m: "$794 million"))
    answer = a.ask("What were Orvel Telecom net earnings in Q4 2019?")
    assert not answer.refused and answer.conflict and "$672 million" in answer.text
    # without other figures of that measure, the same doubt is a refusal
    assert a.ask("What were Orvel Telecom net earnings in Q3 2018?").refused


# --- rivals the answer's sentence names itself, restates, or that lie outside the question's passages ----

def _assistant(settings, embedder, folder, reply, **changes):
    import dataclasses

    return Assistant.from_paths([folder], index=settings.index_dir, settings=dataclasses.replace(settings, **changes),
                                embedder=embedder, generator=ScriptedGenerator(lambda m: reply))


def test_a_rival_figure_in_the_answers_own_sentence_is_a_conflict(settings, embedder, tmp_path):
    folder = tmp_path / "flood"
    folder.mkdir()
    (folder / "flood.txt").write_text(
        "Floods\n\nIn the flood of 1872 the water at Kessin reached an average of 2.43 m above sea level and a "
        "maximum of 2.83 m above sea level. Later floods were lower.\n")
    (folder / "river.txt").write_text(
        "River\n\nThe river at Kessin rose to 3.1 m in 1904, up from 1.9 m in 1903.\n")
    a = _assistant(settings, embedder, folder, "2.43 m")
    answer = a.ask("How high did the water reach at Kessin in the 1872 flood?")
    assert answer.conflict and "2.43 m" in answer.text and "2.83 m" in answer.text
    # a figure the answer is compared with ("up from") is its baseline, not a rival
    answer = _assistant(settings, embedder, folder, "3.1 m").ask("How high did the river at Kessin rise in 1904?")
    assert not answer.refused and not answer.conflict and "3.1 m" in answer.text


def test_counts_in_words_and_sizes_are_figures_of_a_measure(settings, embedder, tmp_path):
    folder = tmp_path / "orders"
    folder.mkdir()
    (folder / "review.txt").write_text(
        "Review\n\nThe first order of pizza stone tiles arrived with two broken tiles. The replacement order of "
        "pizza stone tiles came with 3 broken tiles.\n\nThe mats are great for cookies and bread. "
        "The baking mats were listed as 16 1/2 x 11 5/8, but I received 18 x 13 mats.\n")
    answer = _assistant(settings, embedder, folder, "3").ask("How many pizza stone tiles arrived broken?")
    assert answer.conflict and "two broken tiles" in answer.text and "3 broken tiles" in answer.text
    answer = _assistant(settings, embedder, folder, "18 x 13").ask("What size are the baking mats?")
    assert "18 x 13" in answer.text and "16 1/2 x 11 5/8" in answer.text


def test_a_rival_outside_the_questions_passages_is_found_from_the_answers_sentence(settings, embedder, tmp_path):
    folder = tmp_path / "states"
    folder.mkdir()
    (folder / "a_state.txt").write_text("Marlow\n\nMarlow is the 29th most populous state of the union.\n")
    (folder / "b_estimates.txt").write_text(
        "Estimates\n\nBased on the 2005 estimates, Marlow moves from the 29th most populous state to 30th.\n")
    (folder / "c_other.txt").write_text("Rivers\n\nThe Ouse is the longest river of the union.\n")
    question = "Where does Marlow rank among the states by population?"
    narrow = _assistant(settings, embedder, folder, "29th", top_k=1)
    assert [p.source for p in narrow.retriever.retrieve(question, 1).passages] == ["a_state.txt"]
    answer = narrow.ask(question)
    assert answer.conflict and "30th" in answer.text
    assert {c.source for c in answer.citations} == {"a_state.txt", "b_estimates.txt"}


def test_a_series_of_figures_in_one_sentence_is_not_a_conflict(settings, embedder, tmp_path):
    folder = tmp_path / "dams"
    folder.mkdir()
    (folder / "dams.txt").write_text("Dams\n\nThe three dams of the Vell valley are 88 m, 91 m and 73 m tall.\n")
    answer = _assistant(settings, embedder, folder, "88 m").ask("How tall is the dam of the Vell valley?")
    assert not answer.refused and not answer.conflict


def test_a_korean_question_keeps_to_the_documents_it_is_given(settings, embedder, corpus):
    question = "한국의 로봇 밀도는 근로자 10,000명당 몇 대인가요?"
    model = korean_model({question: "How many industrial robots per 10,000 workers does Korea have?"}, "1,012")
    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder, generator=model)
    assert not a.ask(question, sources=["robots.txt"]).refused
    restricted = a.ask(question, sources=["budget.txt"])
    assert restricted.refused and restricted.text == KOREAN_REFUSAL
    assert {p.source for p in restricted.passages} <= {"budget.txt"}


def _name_tokens(text: str) -> set[str]:
    """The capitalized words and figures of `text` after its first word (the question word)."""
    words = re.findall(r"[\w.–-]+", re.sub(r"['’]s?\b", " ", text))[1:]
    return {w.strip(".-") for w in words if w[0].isupper() or w[0].isdigit()}


def _possessors(text: str) -> set[str]:
    """The words written with "'s" ("SK Telecom's AX" -> Telecom): what owns the subject, not the subject."""
    return set(re.findall(r"(\w+)['’]s?\b", text))


def _one_question(text: str) -> bool:
    """A single question: one question mark at the end, no bracketed add-on, no second question joined on."""
    return (text.count("?") == 1 and text.endswith("?") and "(" not in text
            and not re.search(r"(,|\band)\s+(what|how|who|where|when|which|why)\b", text, re.IGNORECASE))


@pytest.mark.parametrize("path", ["followups.jsonl", "followups_public.jsonl"])
def test_answered_as_shows_one_question_about_the_reference_subject(path):
    """Over both follow-up sets: what "Answered as" shows (the rewrite's shown form, or the question when it
    needs none) is one question, and the names it adds to the follow-up are the reference standalone
    question's: at least one of the reference's own (not a possessor's), and no more of others than of them."""
    rows = [json.loads(line) for line in (DATA / path).read_text().splitlines() if line.strip()]
    assert rows and all(r.get("standalone") for r in rows)
    wrong = []
    for row in rows:
        rewrite = rewrite_followup(row["question"], row["history"])
        shown = rewrite.shown if rewrite else row["question"]
        asked = _name_tokens(row["question"])
        added, reference = _name_tokens(shown) - asked, _name_tokens(row["standalone"]) - asked
        heads = reference - _possessors(row["standalone"])
        right = added & reference
        ok = _one_question(shown) and (
            not reference and not added
            or bool(right) and (not heads or bool(added & heads)) and len(added - reference) <= len(right))
        if not ok:
            wrong.append((row["id"], shown, row["standalone"]))
    assert wrong == []


# --- questions that ask two things ------------------------------------------------------------------

def _replying(messages):
    """A scripted model: the answer to whichever part it is asked, else it does not know."""
    asked = messages[-1]["content"].split("Question:")[-1]
    if "VAETKI" in asked:
        return "NC AI built the VAETKI model."
    if "budget" in asked:
        return "10.1 trillion won"
    return "I don't know."


def test_a_two_part_question_is_answered_part_by_part_each_cited(settings, embedder, corpus):
    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=ScriptedGenerator(_replying))
    answer = a.ask("Who built the VAETKI model, and how much does the 2026 budget give to AI?")
    assert [p.refused for p in answer.parts] == [False, False] and not answer.refused
    assert answer.text.startswith("Who built the VAETKI model? ") and "NC AI" in answer.text
    assert "How much does the 2026 budget give to AI? 10.1 trillion won [2]" in answer.text
    assert [c.n for c in answer.citations] == [1, 2]
    assert [c.source for c in answer.citations] == ["models.md", "budget.txt"]
    events = list(a.ask_stream("Who built the VAETKI model, and how much does the 2026 budget give to AI?"))
    assert any(isinstance(e, Progress) and e.detail.startswith("Part 2 of 2: ") for e in events)
    shown = " ".join(e.text for e in events if isinstance(e, Verified))
    assert shown == events[-1].text  # what streamed is what the final answer says


def test_a_part_the_documents_do_not_answer_is_named_not_dropped(settings, embedder, corpus):
    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=ScriptedGenerator(_replying))
    answer = a.ask("How much does the 2026 budget give to AI? And who is the mayor of the capital?")
    assert [p.refused for p in answer.parts] == [False, True] and not answer.refused
    assert answer.text.endswith("Who is the mayor of the capital? The documents do not say.")
    assert len(answer.citations) == 1 and "10.1 trillion" in answer.text
    off = dataclasses.replace(settings, answer_parts=False)  # read as one question: no parts
    assert Assistant.from_paths([corpus], index=settings.index_dir, settings=off, embedder=embedder,
                                generator=ScriptedGenerator(_replying)).ask(answer.question).parts == []
