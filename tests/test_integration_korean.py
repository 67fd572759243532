"""Korean with the real models: documents in CP949, EUC-KR and UTF-16 indexed into the multilingual space
and answered by a Korean question; a Korean question over English documents translated and answered in
Korean, citing the English sentence."""
import shutil

import pytest
from conftest import ROOT

from qa.api import Assistant
from qa.settings import Settings
from qa.text.korean import hangul_share

pytestmark = pytest.mark.integration
KOREAN_DOCS = ROOT / "tests" / "data" / "korean_docs"


@pytest.fixture(scope="module")
def korean_assistant(tmp_path_factory):
    folder = tmp_path_factory.mktemp("korean")
    shutil.copytree(KOREAN_DOCS, folder / "corpus")
    settings = Settings.from_env({}, data_dir=folder / "data")
    return Assistant.from_paths([folder / "corpus"], index=folder / "index", settings=settings)


def test_every_korean_document_is_in_the_multilingual_space(korean_assistant):
    store = korean_assistant.store
    assert store.manifest["compat"]["multilingual"]["name"].startswith("multilingual-e5-small")
    assert len(store.multilingual) == len(store.window_rows)  # every sentence is Korean here


@pytest.mark.parametrize("name, encoding, question, expected", [
    ("ko06.txt", "cp949", "여울천 야시장에서 똠얌꿍 파는 노점은 누가 운영해요?", "쏨차이"),
    ("ko07.txt", "euc-kr", "우승을 확정한 4차전에서 한소울은 몇 점을 올렸어요?", "31점"),
    ("ko08.txt", "utf-16", "모자반필름의 인장강도는 몇 메가파스칼이에요?", "38"),
])
def test_a_korean_document_in_each_encoding_is_answered_by_a_korean_question(korean_assistant, name, encoding,
                                                                           question, expected):
    raw = (KOREAN_DOCS / name).read_bytes()
    text = raw.decode(encoding)
    assert raw != text.encode("utf-8")  # the file really is in that encoding
    answer = korean_assistant.ask(question)
    assert not answer.refused and expected in answer.text, answer.text
    assert answer.citations[0].source == name and hangul_share(answer.text) >= 0.5
    assert answer.citations[0].quote in korean_assistant.document(name)["text"]


def test_a_korean_question_the_documents_do_not_answer_is_refused_in_korean(korean_assistant):
    answer = korean_assistant.ask("해솔시 바다선 트램의 최고 속도는 시속 몇 km예요?")
    assert answer.refused and hangul_share(answer.text) >= 0.5
