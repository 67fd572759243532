import pytest
from conftest import SEEDS

from qa.ingest.chunking import chunk_document, chunk_id, embedding_input, sentence_spans, sentence_windows
from qa.ingest.documents import document_from_text, load_document
from qa.models.embedding import HashingEmbedder


def test_sentence_spans_respect_abbreviations_decimals_and_lines():
    text = "Dr. Kim said U.S. firms grew 4.8 percent. Then it fell! Why?\nA new line"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Dr. Kim said U.S. firms grew 4.8 percent.", "Then it fell!", "Why?", "A new line"]


@pytest.mark.parametrize("max_tokens, overlap", [(20, 0), (40, 10), (60, 30), (200, 60)])
def test_chunks_are_exact_spans_within_limits(max_tokens, overlap):
    embedder = HashingEmbedder(max_tokens=80)
    for path in sorted(SEEDS.glob("*.txt")):
        doc = load_document(path)
        chunks = chunk_document(doc, embedder, max_tokens, overlap)
        assert chunks
        for c in chunks:
            assert doc.text[c.start:c.end] == c.text
            assert embedder.count_tokens([embedding_input(c, doc.context_title)])[0] <= embedder.max_tokens
            assert embedder.count_tokens([c.text])[0] <= max_tokens
        # every sentence lies whole inside at least one chunk, and chunks move forward
        for s, e in sentence_spans(doc.text):
            if embedder.count_tokens([doc.text[s:e]])[0] <= min(max_tokens, 60):
                assert any(c.start <= s and e <= c.end for c in chunks), doc.text[s:e]
        assert all(a.start < b.start and a.end < b.end for a, b in zip(chunks, chunks[1:]))


def test_chunks_never_cut_inside_a_sentence_that_fits():
    doc = document_from_text("a.txt", " ".join(f"Sentence number {i} has five words." for i in range(40)))
    sentences = {doc.text[s:e] for s, e in sentence_spans(doc.text)}
    chunks = chunk_document(doc, HashingEmbedder(), max_tokens=30, overlap_tokens=10)
    assert len(chunks) > 5
    for c in chunks:
        assert {c.text[s:e] for s, e in sentence_spans(c.text)} <= sentences


def test_a_sentence_longer_than_the_limit_is_cut_to_fit():
    doc = document_from_text("long.txt", "Title\n" + " ".join(f"w{i}" for i in range(500)) + ".")
    embedder = HashingEmbedder(max_tokens=64)
    chunks = chunk_document(doc, embedder, max_tokens=50, overlap_tokens=0)
    assert len(chunks) > 5
    assert all(embedder.count_tokens([embedding_input(c, doc.context_title)])[0] <= 64 for c in chunks)
    assert all(doc.text[c.start:c.end] == c.text for c in chunks)


def test_real_tokenizer_never_exceeds_what_minilm_reads():
    pytest.importorskip("tokenizers")
    from qa.models.embedding import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    for path in sorted(SEEDS.glob("*.txt")):
        doc = load_document(path)
        chunks = chunk_document(doc, embedder, 200, 60)
        for text in [embedding_input(c, doc.context_title) for c in chunks] + [w.text for w in sentence_windows(doc, chunks, embedder)]:
            assert embedder.count_tokens([text])[0] <= embedder.max_tokens


def test_chunk_ids_are_stable_and_distinct():
    doc = load_document(SEEDS / "000_708bc06f684926ae.txt")
    a = chunk_document(doc, HashingEmbedder(), 60, 20)
    b = chunk_document(doc, HashingEmbedder(), 60, 20)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    assert chunk_id("x", 0, 5, "hello") == chunk_id("x", 0, 5, "hello") != chunk_id("y", 0, 5, "hello")


def test_sentence_windows_point_at_chunks_holding_the_sentence():
    doc = load_document(SEEDS / "003_4828a23bdb51d7f0.txt")
    embedder = HashingEmbedder()
    chunks = chunk_document(doc, embedder, 60, 20)
    windows = sentence_windows(doc, chunks, embedder, 60)
    assert len(windows) >= len(chunks)
    for w in windows:
        sentence = w.text.split("\n")[-1].split(" ")[-1]  # the window's last word belongs to its sentence
        for i in range(w.first_chunk, w.last_chunk + 1):
            assert sentence in chunks[i].text
        assert embedder.count_tokens([w.text])[0] <= embedder.max_tokens
