"""The span reader: marks the answer inside a passage, or says the passage holds none.

A MiniLM-L6 encoder with a start/end head (qa/models/span_model.py), fine-tuned here on `../shared/train` by
`make train-reader` (scripts/train_reader.py; the model card is `qa/data/span-reader/MODEL_CARD.md`). The
question and a passage are read together as `[CLS] question [SEP] passage [SEP]`; a passage longer than
the window is read in overlapping windows. Each window scores its best span (start logit + end logit) and
"no answer" (the [CLS] position); the reader's answer for a passage is its best span, and its *margin* is
that span's score minus the no-answer score: above a threshold it answers, below it says nothing.

At run time the network runs on ONNX Runtime: the graph is built once into `$QA_CACHE_DIR/models/` from the
shipped weights (the word embeddings come from the installed base package). The shipped file's sha256 is
checked before anything loads it.

Example:
    >>> tokenizer = WordPieces.from_base()
    >>> windows = encode_windows(tokenizer, "Who built it?", "Areny built it in 1871.")
    >>> windows[0].context_start                                             # [CLS] who built it ? [SEP]
    6
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from qa.errors import QAError
from qa.models.onnx_models import export_encoder, open_session
from qa.models.profiles import sha256_file

READER_DIR = Path(__file__).resolve().parents[1] / "data" / "span-reader"
WEIGHTS_FILE = "reader.safetensors"
MANIFEST_FILE = "reader.json"  # sha256 of the weights and how they were made (written by the training script)
MAX_TOKENS = 256  # a window: [CLS] question [SEP] passage [SEP]
MAX_QUESTION_TOKENS = 64
WINDOW_OVERLAP = 64  # word pieces two windows of one long passage share
MAX_ANSWER_TOKENS = 30
ALTERNATIVES = 5  # spans kept beside a passage's best one


class ReaderMissing(QAError):
    """The span reader's weights are missing or damaged."""


@dataclass(frozen=True)
class Window:
    """One model input: `ids` and `types` for `[CLS] question [SEP] passage[a:b] [SEP]`, with the character
    offsets (in the passage) of the passage tokens, which start at position `context_start`."""

    ids: list[int]
    types: list[int]
    offsets: list[tuple[int, int]]  # one per passage token of this window
    context_start: int

    def token_span(self, start_char: int, end_char: int) -> tuple[int, int]:
        """The positions of the first and last token of the characters [start_char, end_char) when this
        window holds them all, else (0, 0): the [CLS] position, "no answer here".

        >>> w = Window([0] * 6, [0] * 6, [(0, 5), (6, 11), (12, 14)], 2)
        >>> w.token_span(6, 11), w.token_span(6, 14), w.token_span(20, 25)
        ((3, 3), (3, 4), (0, 0))
        """
        if not self.offsets or start_char < self.offsets[0][0] or end_char > self.offsets[-1][1]:
            return 0, 0  # the answer begins before this window or ends after it
        first = next(i for i, (_, b) in enumerate(self.offsets) if b > start_char)
        last = max(i for i, (a, _) in enumerate(self.offsets) if a < end_char)
        if last < first:
            return 0, 0
        return self.context_start + first, self.context_start + last


class WordPieces:
    """The base model's WordPiece tokenizer (from its `tokenizer.json`), without truncation or padding."""

    def __init__(self, tokenizer_file: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.cls = self._tokenizer.token_to_id("[CLS]")
        self.sep = self._tokenizer.token_to_id("[SEP]")

    @classmethod
    def from_base(cls) -> "WordPieces":
        from qa.models.span_model import base_model_dir

        return cls(base_model_dir() / "tokenizer.json")

    def encode(self, texts: Sequence[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """Each text's token ids and their character offsets, without special tokens."""
        return [(e.ids, e.offsets) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]


def encode_windows(tokenizer: WordPieces, question: str, context: str, max_tokens: int = MAX_TOKENS,
                   overlap: int = WINDOW_OVERLAP, encoded: tuple | None = None) -> list[Window]:
    """The windows that read `context` for `question` (`encoded`: the two texts already tokenized)."""
    (q_ids, _), (c_ids, c_offsets) = encoded or tokenizer.encode([question, context])
    q_ids = q_ids[:MAX_QUESTION_TOKENS]
    head = [tokenizer.cls, *q_ids, tokenizer.sep]
    budget = max_tokens - len(head) - 1
    step = max(1, budget - min(overlap, budget // 2))
    windows = []
    start = 0
    while True:
        end = min(len(c_ids), start + budget)
        body = c_ids[start:end]
        windows.append(Window(head + body + [tokenizer.sep], [0] * len(head) + [1] * (len(body) + 1),
                              list(c_offsets[start:end]), len(head)))
        if end >= len(c_ids):
            return windows
        start += step


@dataclass(frozen=True)
class SpanScore:
    """The best span of one window: its characters in the passage, its score, and the no-answer score."""

    start: int
    end: int
    score: float
    null: float

    @property
    def margin(self) -> float:
        """How far the span beats "no answer": above the reader's threshold, it is the answer."""
        return self.score - self.null


def top_spans(start_logits: np.ndarray, end_logits: np.ndarray, window: Window, count: int,
              max_answer_tokens: int = MAX_ANSWER_TOKENS) -> list[SpanScore]:
    """The `count` highest-scoring spans of one window that do not overlap, best first (start <= end, at most
    `max_answer_tokens` long; the items of a list the question asks for are spans of their own).

    >>> w = Window([0] * 5, [0] * 5, [(0, 3), (4, 9)], 3)
    >>> s = top_spans(np.array([2., 0, 0, 1, 3]), np.array([1., 0, 0, 0, 2]), w, 1)[0]
    >>> (s.start, s.end, s.score, s.null)
    (4, 9, 5.0, 3.0)

    >>> w = Window([0] * 6, [0] * 6, [(0, 3), (4, 9), (10, 12)], 3)
    >>> [(s.start, s.end, s.score) for s in top_spans(np.array([0., 0, 0, 1, 3, 2]), np.array([0., 0, 0, 0, 2, 1]), w, 3)]
    [(4, 9, 5.0), (10, 12, 3.0), (0, 3, 1.0)]
    """
    first, n = window.context_start, len(window.offsets)
    starts = np.asarray(start_logits[first:first + n], dtype=np.float64)
    ends = np.asarray(end_logits[first:first + n], dtype=np.float64)
    scores = starts[:, None] + ends[None, :]
    i, j = np.indices(scores.shape)
    scores[(j < i) | (j - i >= max_answer_tokens)] = -np.inf
    null = float(start_logits[0] + end_logits[0])
    out = []
    for _ in range(count):
        flat = int(np.argmax(scores))
        a, b = divmod(flat, n)
        if not np.isfinite(scores[a, b]):
            break
        out.append(SpanScore(window.offsets[a][0], window.offsets[b][1], float(scores[a, b]), null))
        scores[(i <= b) & (j >= a)] = -np.inf  # every span overlapping this one
    return out


@dataclass(frozen=True)
class SpanAnswer:
    """The reader's answer in one passage: `text` is `passage[start:end]` widened to whole words."""

    passage: int  # index of the passage among those read
    start: int
    end: int
    text: str
    margin: float  # best span score minus no-answer score
    # the next best spans of the passage that overlap neither it nor each other: (start, end, margin)
    alternatives: tuple[tuple[int, int, float], ...] = ()


class Reads(Protocol):
    """What the answer path needs from a span reader (a fake in unit tests)."""

    name: str

    def read(self, question: str, passages: Sequence[str]) -> list[SpanAnswer]:
        """The best span of each passage, in passage order."""


# Marks that open and close: a span that opens one is closed with it ('the word "cordel"').
BRACKETS = (('"', '"'), ("“", "”"), ("(", ")"), ("[", "]"))


def widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) grown to whole words of `text` (a word piece never ends an answer mid-word).

    >>> widen_to_words("the Velmora harbour", 6, 9)
    (4, 11)

    A quotation or parenthesis the span opens is closed when the text closes it right after:

    >>> text = 'from the word "cordel" (a rope)'
    >>> text[slice(*widen_to_words(text, 9, 20))], text[slice(*widen_to_words(text, 23, 29))]
    ('word "cordel"', '(a rope)')
    """
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    span = text[start:end]
    for opening, closing in BRACKETS:
        unclosed = span.count(opening) % 2 if opening == closing else span.count(opening) - span.count(closing)
        if unclosed > 0 and text[end:end + 1] == closing:
            end += 1
            span = text[start:end]
    return start, end


def batch_arrays(windows: Sequence[Window]) -> dict[str, np.ndarray]:
    """Padded int64 arrays of a batch of windows, as the network takes them."""
    width = max(len(w.ids) for w in windows)
    ids = np.zeros((len(windows), width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for row, w in enumerate(windows):
        ids[row, :len(w.ids)] = w.ids
        types[row, :len(w.types)] = w.types
        mask[row, :len(w.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def verified_weights(folder: Path | None = None) -> tuple[Path, dict]:
    """The shipped weights file and its manifest (in `folder`, default the shipped one), once its sha256
    matches; else `ReaderMissing`."""
    folder = Path(folder or READER_DIR)
    weights, manifest_path = folder / WEIGHTS_FILE, folder / MANIFEST_FILE
    hint = "run `make train-reader` to train it, or restore it with git"
    if not weights.is_file() or not manifest_path.is_file():
        raise ReaderMissing(f"the span reader's weights are missing ({weights}): {hint}")
    try:
        manifest = json.loads(manifest_path.read_text())
        expected = manifest["sha256"]
    except (OSError, ValueError, KeyError):
        raise ReaderMissing(f"the span reader's manifest {manifest_path} is damaged: {hint}") from None
    if sha256_file(weights) != expected:
        raise ReaderMissing(f"the span reader's weights {weights} are damaged (sha256 differs): {hint}")
    return weights, manifest


class SpanReader:
    """The trained reader on ONNX Runtime. Thread-safe; the graph is built on first use."""

    name = "span-reader"

    def __init__(self, cache_dir: Path, folder: Path | None = None, threads: int | None = None,
                 batch_size: int = 16) -> None:
        self.weights, self.manifest = verified_weights(folder)  # a damaged file fails here, not mid-question
        self.sha256 = self.manifest["sha256"]
        self.cache_dir = Path(cache_dir)
        self.threads = threads or os.cpu_count() or 2
        self.batch_size = batch_size
        self.tokenizer = WordPieces.from_base()
        self._session = None
        self._lock = threading.Lock()

    def onnx_path(self) -> Path:
        return self.cache_dir / "models" / f"span-reader-{self.sha256[:16]}.onnx"

    def _export(self, target: Path) -> None:
        from safetensors.torch import load_file

        from qa.models.span_model import SpanModel

        model = SpanModel.from_base()
        model.load_shipped(load_file(str(self.weights)))
        model.eval()
        export_encoder(model, target, ["start_logits", "end_logits"])

    @property
    def session(self):
        with self._lock:
            if self._session is None:
                path = self.onnx_path()
                if not path.is_file():
                    self._export(path)
                self._session = open_session(path, self.threads)
            return self._session

    def logits(self, windows: Sequence[Window]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Start and end logits of each window, batched by similar length."""
        out: list = [None] * len(windows)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
        session = self.session
        for at in range(0, len(order), self.batch_size):
            rows = order[at:at + self.batch_size]
            starts, ends = session.run(None, batch_arrays([windows[r] for r in rows]))
            for k, r in enumerate(rows):
                out[r] = (starts[k], ends[k])
        return out

    def read(self, question: str, passages: Sequence[str]) -> list[SpanAnswer]:
        """The best span of each passage (over its windows), in passage order."""
        if not passages:
            return []
        encoded = self.tokenizer.encode([question, *passages])
        windows, owner = [], []
        for p, passage in enumerate(passages):
            for w in encode_windows(self.tokenizer, question, passage, encoded=(encoded[0], encoded[p + 1])):
                windows.append(w)
                owner.append(p)
        found: dict[int, list[SpanScore]] = {}
        for w, p, (starts, ends) in zip(windows, owner, self.logits(windows)):
            if w.offsets:
                found.setdefault(p, []).extend(top_spans(starts, ends, w, ALTERNATIVES + 1))
        answers = []
        for p, passage in enumerate(passages):
            spans: list[tuple[int, int, float]] = []
            for s in sorted(found.get(p, []), key=lambda s: -s.margin):  # windows overlap: keep disjoint spans
                a, b = widen_to_words(passage, s.start, s.end)
                if all(b <= x or a >= y for x, y, _ in spans):
                    spans.append((a, b, s.margin))
            if not spans:
                answers.append(SpanAnswer(p, 0, 0, "", float("-inf")))
                continue
            (a, b, margin), rest = spans[0], spans[1:ALTERNATIVES + 1]
            answers.append(SpanAnswer(p, a, b, passage[a:b], margin, tuple(rest)))
        return answers
