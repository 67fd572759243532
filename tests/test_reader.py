"""The reader's steps with a scripted model over a small invented corpus: a short answer cited to the
sentence that states it, written as the source writes it; a list gathered across sentences; yes-or-no
questions answered by the sentence that bears on them; the calibrated score refusing."""
import dataclasses

import pytest

from qa.answer.calibration import Calibration
from qa.api import Assistant
from qa.models.generation import ScriptedGenerator


def ask(settings, embedder, folder, reply, question, **kwargs):
    a = Assistant.from_paths([folder], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=ScriptedGenerator(lambda m: reply))
    return a.ask(question, **kwargs)


def test_the_answer_is_the_phrase_as_the_source_writes_it(settings, embedder, town):
    answer = ask(settings, embedder, town, "2.6 million", "How much cargo did the harbour of Velmora handle in 2018?")
    assert not answer.refused
    assert answer.text == "$2.6 million [1]."  # the currency sign comes from the sentence
    assert answer.citations[0].quote.startswith("The harbour of Velmora handled $2.6 million")
    assert answer.confidence is not None and answer.features["extractive"] == 0.0


@pytest.mark.parametrize("reply, question, expected", [
    ("Areny", "Who built the lighthouse of Velmora?", "Tomas Areny [1]."),  # the rest of the name
    ("goat", "What kind of cheese do farmers bring to the Velmora market?", "goat cheese [1]."),  # the noun asked
])
def test_the_phrase_is_completed_to_what_it_names(settings, embedder, town, reply, question, expected):
    answer = ask(settings, embedder, town, reply, question)
    assert not answer.refused
    assert answer.text == expected


def test_a_phrase_no_sentence_states_is_refused(settings, embedder, town):
    answer = ask(settings, embedder, town, "Joan Miro", "Who built the lighthouse of Velmora?")
    assert answer.refused and answer.citations == []


def test_a_list_is_gathered_across_sentences_each_item_cited(settings, embedder, town):
    answer = ask(settings, embedder, town, "salted fish and goat cheese", "What is sold at the Velmora market?")
    assert not answer.refused
    assert "salted fish" in answer.text and "goat cheese" in answer.text
    assert len(answer.citations) == 2 and "[1]" in answer.text and "[2]" in answer.text


def test_a_list_with_one_unsupported_item_is_refused(settings, embedder, town):
    answer = ask(settings, embedder, town, "salted fish and olive oil", "What is sold at the Velmora market?")
    assert answer.refused


@pytest.mark.parametrize("reply, prefix", [("No", "No: "), ("Yes", "")])
def test_yes_or_no_is_answered_with_the_sentence_and_its_verdict_only_when_it_agrees(settings, embedder, town,
                                                                                      reply, prefix):
    answer = ask(settings, embedder, town, reply, "Does the old ferry run in winter?")
    assert not answer.refused
    assert answer.text.startswith(prefix + "The old ferry does not run in winter")
    assert answer.features["extractive"] == 1.0


def test_the_calibrated_score_decides_to_refuse(settings, embedder, town):
    settings = dataclasses.replace(settings, answer_threshold=-1.0)  # the calibration's own threshold
    never = Calibration(["coverage"], [0.0], -10.0, 0.5)  # P(right) ~ 0: every answer refused
    a = Assistant.from_paths([town], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=ScriptedGenerator(lambda m: "1871"))
    a._calibration_model = never
    answer = a.ask("When was the lighthouse of Velmora built?")
    assert answer.refused and answer.confidence is not None and answer.confidence < 0.5


def ask_over_table(settings, embedder, tmp_path, document, reply, question):
    """`question` asked over one document with a model that replies `reply`: the answer and the prompts seen."""
    folder = tmp_path / "accounts"
    folder.mkdir()
    (folder / "table.txt").write_text(document)
    seen = []

    def model(messages):
        seen.append(messages[-1]["content"])
        return reply

    a = Assistant.from_paths([folder], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=ScriptedGenerator(model))
    return a.ask(question), seen


def test_table_rows_reach_the_model_with_their_column_labels(settings, embedder, tmp_path):
    answer, seen = ask_over_table(
        settings, embedder, tmp_path,
        "Sales by contract type\n\n |  | Years Ended September 30, | \n | 2019 | 2018 | 2017\n"
        "Fixed Price | $ 1,452.4 | $ 1,146.2 | $ 1,036.9\nOther | 44.1 | 56.7 | 70.8\n\n"
        "Sales of other contract types come from cost plus contracts.\n",
        "2018: 56.7", "What were Other sales in 2018?")
    assert "Other | 2019: 44.1 | 2018: 56.7 | 2017: 70.8" in seen[-1]
    assert not answer.refused and "56.7" in answer.text
    assert answer.citations[0].quote == "Other | 44.1 | 56.7 | 70.8"  # the document's own row is quoted


def test_a_row_of_units_under_the_years_does_not_label_the_columns(settings, embedder, tmp_path):
    # "$'000 | $'000 | %" under the dates would label both figures alike: the dates tell the columns apart
    _, seen = ask_over_table(
        settings, embedder, tmp_path,
        " | 30 June 2019 | 30 June 2018 | Change\n | $'000 | $'000 | %\n"
        "Net profit | (9,819) | 6,639 | (248%)\nEBITDA | 79,046 | 63,954 | 24%\n\n"
        "EBITDA is reconciled to statutory profit above.\n",
        "79,046", "What was EBITDA for the year ended 30 June 2019?")
    assert "EBITDA | 30 June 2019: 79,046 | 30 June 2018: 63,954 | Change: 24%" in seen[-1]


def test_the_committed_calibration_reads_the_features_the_reader_computes(settings, embedder, town):
    from qa.answer.calibration import FEATURES

    model = Calibration.load()
    assert model.features == list(FEATURES) and 0.0 < model.threshold < 1.0
    answer = ask(settings, embedder, town, "1871", "When was the lighthouse of Velmora built?")
    assert set(answer.features) == set(FEATURES)


def cascade(settings, embedder, folder, first_reply, second_reply, escalate_below):
    settings = dataclasses.replace(settings, escalate_generator="stronger", escalate_below=escalate_below)
    first, second = ScriptedGenerator(lambda m: first_reply), ScriptedGenerator(lambda m: second_reply)
    a = Assistant.from_paths([folder], index=settings.index_dir, settings=settings, embedder=embedder)
    a._generators[settings.generator], a._generators["stronger"] = first, second  # as if loaded by name
    return a, first, second


def test_a_doubtful_answer_is_asked_again_of_the_stronger_model(settings, embedder, town):
    a, first, second = cascade(settings, embedder, town, "Joan Miro", "Tomas Areny", escalate_below=0.5)
    answer = a.ask("Who built the lighthouse of Velmora?")
    assert len(first.calls) == 1 and len(second.calls) == 1 and second.calls[0] == first.calls[0]
    assert not answer.refused and "Tomas Areny" in answer.text and "escalated_s" in answer.timings


def test_a_confident_answer_is_not_asked_again(settings, embedder, town):
    a, first, second = cascade(settings, embedder, town, "Tomas Areny", "Joan Miro", escalate_below=0.0)
    answer = a.ask("Who built the lighthouse of Velmora?")
    assert second.calls == [] and "Tomas Areny" in answer.text


def test_a_generator_passed_in_gets_no_cascade(settings, embedder, town):
    settings = dataclasses.replace(settings, escalate_generator="stronger", escalate_below=1.0)
    a = Assistant.from_paths([town], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=ScriptedGenerator(lambda m: "Joan Miro"))
    assert a.ask("Who built the lighthouse of Velmora?").refused and "stronger" not in a._generators


def test_no_cascade_escalates_to_the_profile_already_answering(settings, town, embedder):
    from qa.models.profiles import DEFAULT_PROFILE

    # "default" names DEFAULT_PROFILE: escalating from it to itself would ask the same model twice
    same = dataclasses.replace(settings, generator="default", escalate_generator=DEFAULT_PROFILE)
    a = Assistant.from_paths([town], index=settings.index_dir, settings=same, embedder=embedder)
    assert a.cascade_model() is None
    other = "0.5b" if DEFAULT_PROFILE != "0.5b" else "1.5b"
    assert Assistant.from_paths([town], index=settings.index_dir, embedder=embedder,
                                settings=dataclasses.replace(same, escalate_generator=other)).cascade_model() == other


def test_weighted_rows_pull_the_fit_their_way():
    from qa.answer.calibration import fit_logistic

    # the same feature value is right once and wrong once; weighing the wrong row more lowers P(right)
    x, y = [[0.0], [1.0], [1.0], [2.0]], [0, 1, 0, 1]
    _, plain, _, _ = fit_logistic(x, y)
    _, weighted, _, _ = fit_logistic(x, y, sample_weights=[1.0, 1.0, 8.0, 1.0])
    assert weighted < plain


def test_cross_validation_tells_a_feature_that_predicts_from_one_that_does_not():
    import random
    import sys

    sys.path.insert(0, str(__import__("conftest").ROOT / "scripts"))
    from calibrate import cross_validate

    rng = random.Random(3)
    rows = []
    for i in range(120):
        right = i % 3 != 0
        rows.append({"set": "s", "type": "factoid", "correct": right,
                     "features": {"telling": (0.8 if right else 0.2) + rng.uniform(-0.15, 0.15),
                                  "noise": rng.uniform(0, 1)}})
    telling = cross_validate(rows, ["telling"])
    noise = cross_validate(rows, ["noise"])
    assert telling["auc"] > 0.95 and noise["auc"] < 0.7
    assert sum(telling[k] for k in ("right", "answered_wrong", "answerable_refused")) == 120  # each row once
