from pathlib import Path

import pytest
from conftest import SEEDS

from qa.errors import DocumentError, QAError
from qa.ingest.documents import (
    decode_bytes,
    discover,
    document_from_bytes,
    document_from_text,
    load_document,
    normalize_text,
    repair_mojibake,
)


@pytest.mark.parametrize("broken, repaired", [
    ("It costs โฉ1.4 trillion", "It costs ₩1.4 trillion"),
    ("- โขSouth Korea's budget", "- •South Korea's budget"),
    ("๐กUnderstand how", "Understand how"),
    ("โก 30-Second TL;DR", "30-Second TL;DR"),
    ("๐ ๏ธ Technical Deep Dive", "Technical Deep Dive"),
    ("๐ฎ Future Implications", "Future Implications"),
    ("โณ Timeline", "Timeline"),
    ("๐Related Updates", "Related Updates"),
    ("top AI events โ\nNext line", "top AI events\nNext line"),
])
def test_mojibake_examples_are_repaired(broken, repaired):
    assert normalize_text(broken) == repaired


@pytest.mark.parametrize("thai", ["ภาษาไทย โขน โฉม", "สวัสดีครับ", "ภาษาไทย"])
def test_real_thai_text_is_untouched(thai):
    assert repair_mojibake(thai) == thai
    assert normalize_text(f"Thai: {thai}.") == f"Thai: {thai}."


def test_seed_with_mojibake_is_clean():
    doc = load_document(SEEDS / "001_4565a06977f9453b.txt")
    assert not any("\u0e00" <= ch <= "\u0e7f" for ch in doc.text)
    assert "₩1.4 trillion" in doc.text
    assert doc.text.count("•") == 5
    assert "\n30-Second TL;DR\n" in doc.text


def test_seeds_other_than_the_broken_one_are_unchanged_but_for_white_space():
    for name in ["000_708bc06f684926ae.txt", "002_d8a45157726e6f81.txt", "003_4828a23bdb51d7f0.txt"]:
        raw = (SEEDS / name).read_text(encoding="utf-8")
        assert load_document(SEEDS / name).text.split() == raw.split()


def test_cp949_korean_file_decodes(tmp_path):
    text = "한국의 인공지능 예산은 10.1조 원입니다. 정부는 GPU 52,000장을 확보할 계획입니다.\n" * 3
    path = tmp_path / "korean.txt"
    path.write_bytes(text.encode("cp949"))
    assert load_document(path).text == normalize_text(text)


def test_latin1_file_decodes(tmp_path):
    text = "Café society in Zürich: naïve façades, señor Muñoz paid 5 € — no, 5 £.\n"
    text = text.replace("€", "").replace("—", "-")  # not in Latin-1
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("latin-1"))
    assert load_document(path).text == normalize_text(text)


def test_utf8_bom_and_utf16():
    assert decode_bytes("\ufeffhello".encode("utf-8")) == "hello"
    assert decode_bytes("hello wörld".encode("utf-16")) == "hello wörld"


@pytest.mark.parametrize("raw, message", [
    (b"", "empty"),
    (b"   \n\t ", "empty"),
    (b"\x00\x01\x02binary\x00" * 50, "binary"),
    (bytes(range(256)) * 10, "binary"),
])
def test_bad_bytes_raise_document_error(raw, message):
    with pytest.raises(DocumentError, match=message):
        document_from_bytes("x.txt", raw)


def test_document_error_is_a_qa_error_and_value_error():
    assert issubclass(DocumentError, QAError) and issubclass(QAError, ValueError)


def test_unsupported_type_and_size_limit(tmp_path):
    (tmp_path / "a.pptx").write_bytes(b"PK\x03\x04")
    with pytest.raises(DocumentError, match="unsupported"):
        load_document(tmp_path / "a.pptx")
    (tmp_path / "big.txt").write_text("word " * 300)
    with pytest.raises(DocumentError, match="limit"):
        load_document(tmp_path / "big.txt", max_bytes=1000)


def test_normalization_keeps_paragraphs_and_collapses_space():
    assert normalize_text("  A\u00a0 b\t c \r\n\r\n\r\n\r\nD\u200b  ") == "A b c\n\nD\u200b"
    assert normalize_text("e\u0301") == "é"  # NFC


def test_html_loader_drops_markup_and_scripts():
    doc = document_from_bytes("p.html", b"<html><title>T</title><script>alert(1)</script><p>Hello &amp; bye</p></html>", ".html")
    assert "alert" not in doc.text and "Hello & bye" in doc.text


def test_context_title_is_first_short_line_else_file_name():
    # what is embedded beside each sentence (the display title, tests/test_formats.py, looks further)
    assert document_from_text("a.txt", "Short title\nBody text.").context_title == "Short title"
    assert document_from_text("dir/b.txt", "x" * 500 + "\nBody").context_title == "b.txt"
    assert document_from_text("dir/b.txt", "x" * 500 + "\nBody").title == "Body"


def test_discover_ids_are_relative_unique_and_skip_hidden(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two" / "sub").mkdir(parents=True)
    (tmp_path / "one" / "a.txt").write_text("a")
    (tmp_path / "two" / "a.txt").write_text("a")
    (tmp_path / "two" / "sub" / "b.md").write_text("b")
    (tmp_path / "two" / ".hidden.txt").write_text("h")
    (tmp_path / "two" / "image.png").write_bytes(b"\x89PNG")
    found, skipped = discover([tmp_path / "one", tmp_path / "two"])
    assert [f.doc_id for f in found] == ["a.txt", "a~2.txt", "sub/b.md"]
    assert [Path(p).name for p, _ in skipped] == ["image.png"]


@pytest.mark.parametrize("encoding", ["cp949", "euc-kr", "utf-16", "utf-16-le", "utf-16-be"])
def test_a_korean_document_in_each_legacy_encoding_reads_the_same(tmp_path, encoding):
    # issue 16: a Korean file saved by Windows tools (CP949/EUC-KR, UTF-16 with or without its mark)
    text = ("국가 AI 모델 보고서\n\n정부는 2030년까지 고성능 GPU 26만 장을 확보할 계획이다. "
            "과학기술정보통신부가 사업을 이끌고, 다섯 개 컨소시엄이 참여한다.")
    path = tmp_path / f"report-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    doc = load_document(path)
    assert doc.text == text and doc.title == "국가 AI 모델 보고서"
