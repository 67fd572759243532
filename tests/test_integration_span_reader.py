"""The trained span reader, for real: the shipped weights on ONNX Runtime (built into a temporary cache),
MiniLM retrieval, no generator. An English question in `span` mode is answered without loading the
generator; the ONNX graph reads as the PyTorch network does."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from qa.api import Assistant
from qa.models.embedding import make_embedder
from qa.models.span_reader import SpanReader, WordPieces, batch_arrays, encode_windows

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    return SpanReader(tmp_path_factory.mktemp("reader-cache"))


def test_the_reader_marks_the_answer_in_a_passage_and_scores_one_without_it_lower(reader):
    passage = ("The harbour of Velmora handled $2.6 million of cargo in 2018. Its lighthouse was built in 1871 "
               "by the engineer Tomas Areny.")
    answer = reader.read("Who built the lighthouse of Velmora?", [passage, "The market sells salted fish."])
    assert "Tomas Areny" in answer[0].text
    assert answer[0].text == passage[answer[0].start:answer[0].end]
    assert answer[0].margin > answer[1].margin
    assert "1871" in reader.read("When was the lighthouse of Velmora built?", [passage])[0].text


def test_onnx_reads_as_the_pytorch_network_does(reader):
    import torch
    from safetensors.torch import load_file

    from qa.models.span_model import SpanModel

    model = SpanModel.from_base()
    model.load_shipped(load_file(str(reader.weights)))
    model.eval()
    tokenizer = WordPieces.from_base()
    windows = encode_windows(tokenizer, "How much cargo?", "The harbour handled $2.6 million of cargo in 2018.")
    arrays = batch_arrays(windows)
    with torch.no_grad():
        starts, ends = model(*(torch.from_numpy(arrays[k]) for k in ("input_ids", "attention_mask", "token_type_ids")))
    onnx_starts, onnx_ends = reader.logits(windows)[0]
    assert np.allclose(starts[0].numpy(), onnx_starts, atol=1e-3)
    assert np.allclose(ends[0].numpy(), onnx_ends, atol=1e-3)


def test_span_mode_answers_an_english_question_without_loading_the_generator(settings, corpus, tmp_path):
    settings = dataclasses.replace(settings, embedder="minilm-onnx", reader="span",
                                   generator=str(tmp_path / "no-such-model.gguf"))
    assistant = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings,
                                     embedder=make_embedder(settings))
    answer = assistant.ask("How many industrial robots per 10,000 workers does Korea have?")
    assert not answer.refused
    assert "1,012" in answer.text and answer.citations[0].source == "robots.txt"
    assert assistant._generators == {}  # the generator was never loaded (it could not have been)
