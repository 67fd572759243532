"""The language rewriter: what it sends the model, what it accepts back, and what it remembers."""
from qa.answer.translation import CONTEXT_SYSTEM, TRANSLATE_SYSTEM, QuestionTranslator, clean_translation
from qa.models.generation import ScriptedGenerator


class Recording(ScriptedGenerator):
    def __init__(self, reply):
        self.prompts = []
        super().__init__(lambda messages: (self.prompts.append(messages), reply)[1])


def test_the_first_pass_sends_the_question_alone():
    model = Recording("How long is the tram line?")
    assert QuestionTranslator(model).english("트램 노선은 얼마나 길어요?") == "How long is the tram line?"
    assert model.prompts[0][0]["content"] == TRANSLATE_SYSTEM
    assert model.prompts[0][1] == {"role": "user", "content": "트램 노선은 얼마나 길어요?"}


def test_the_second_pass_shows_the_sentences_found():
    model = Recording("When did the Baltic Sea last freeze over?")
    english = QuestionTranslator(model).english("발트해가 마지막으로 얼어붙은 게 언제예요?",
                                                ["The Baltic Sea froze over in 1987."])
    assert english == "When did the Baltic Sea last freeze over?"
    system = model.prompts[0][0]["content"]
    assert system.startswith(CONTEXT_SYSTEM) and "- The Baltic Sea froze over in 1987." in system


def test_translations_are_remembered_per_question_and_context():
    model = Recording("How long is it?")
    translator = QuestionTranslator(model)
    for _ in range(3):
        translator.english("얼마나 길어요?")
    translator.english("얼마나 길어요?", ["It is 14 km long."])
    assert len(model.prompts) == 2


def test_english_needs_no_model():
    model = Recording("never")
    assert QuestionTranslator(model).english("How long is it?") is None and model.prompts == []


def test_replies_that_are_not_a_translation_are_refused():
    assert clean_translation("", "얼마예요?") is None
    assert clean_translation("얼마예요?", "얼마예요?") is None  # Korean again
    assert clean_translation("The answer is that " + "very " * 40 + "long.", "얼마?") is None  # an essay
    assert clean_translation("Translation: How much is it?", "얼마예요?") == "How much is it?"


def test_a_translation_that_asks_something_else_is_not_taken():
    model = Recording("When did the first showcase take place?")
    translator = QuestionTranslator(model)
    assert translator.english("첫 발표회는 어디서 열렸어?", ["The showcase happened on May 3, at Arden Hall."]) is None
