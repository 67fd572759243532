"""Generator back-ends behind one streaming interface: llama.cpp, transformers, an OpenAI-compatible endpoint.

Every back-end decodes greedily (the same question gets the same answer) and streams text pieces.

Example:
    >>> g = ScriptedGenerator(lambda messages: "Seven spots.")
    >>> "".join(g.stream([{"role": "user", "content": "How far did the team climb?"}]))
    'Seven spots.'
"""
from __future__ import annotations

import atexit
import contextlib
import hashlib
import http.client
import json
import logging
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

from qa.errors import QAError
from qa.models.profiles import ModelSpec, resolve_model
from qa.settings import Settings

Messages = list[dict[str, str]]


class GenerationError(QAError):
    """A generator cannot be loaded or reached (bad model path, endpoint down)."""


class EndpointDown(GenerationError):
    """A generator server that cannot be reached or broke off a reply (a pool tries another)."""


class Generator(Protocol):
    """What the answering stage needs from a language model.

    A back-end that can also tell how sure the model was has `last_scores`: after a stream ends, the log
    probability of each token it chose (the end of the reply included), for the calling thread; None when
    the back-end cannot tell (see `reply_scores`).
    """

    name: str

    def stream(self, messages: Messages, max_tokens: int = 96, stop: Sequence[str] = ()) -> Iterator[str]:
        """Text pieces of the assistant's reply to `messages`, as they are generated."""


def reply_scores(generator: Generator) -> list[float] | None:
    """The log probabilities of the tokens of the reply `generator` streamed last in this thread, or None.

    >>> reply_scores(ScriptedGenerator(lambda m: "Seven."))  is None
    True
    """
    return getattr(generator, "last_scores", None)


class _ChosenTokenScores:
    """A llama.cpp logits processor that records, at each step, the log probability of the token greedy
    decoding takes (the largest logit): how sure the model was of its reply. It changes no logit."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def __call__(self, input_ids, logits):
        import numpy as np

        x = np.asarray(logits, dtype=np.float32)
        top = float(x.max())
        self.values.append(-float(np.log(np.exp(x - top, dtype=np.float64).sum())))  # top - logsumexp
        return logits


def _cut_at_stop(pieces: Iterator[str], stop: Sequence[str]) -> Iterator[str]:
    """Stop a stream at the first stop string (for back-ends that do not do it themselves)."""
    if not stop:
        yield from pieces
        return
    text, sent = "", 0
    for piece in pieces:
        text += piece
        cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=-1)
        if cut >= 0:
            if cut > sent:
                yield text[sent:cut]
            return
        # hold back what could be the start of a stop string
        safe = len(text) - max(len(s) for s in stop) + 1
        if safe > sent:
            yield text[sent:safe]
            sent = safe
    if len(text) > sent:
        yield text[sent:]


class LlamaCppGenerator:
    """A GGUF model run by llama.cpp (llama-cpp-python): loads in ~1 s, ~30 tokens/s on two cores.

    llama.cpp keeps the KV cache of the previous prompt, so a prompt that starts with the same
    instructions only processes what is new.
    """

    def __init__(self, spec: ModelSpec, n_ctx: int = 2048, threads: int | None = None) -> None:
        if spec.kind != "gguf":
            raise GenerationError(f"{spec.path}: the llama_cpp back-end needs a .gguf file (set QA_BACKEND=transformers for a model folder)")
        try:
            from llama_cpp import Llama
        except ImportError:
            raise GenerationError("llama-cpp-python is not installed (make setup installs it)") from None
        self.name = spec.name
        self._llm = Llama(model_path=str(spec.path), n_ctx=n_ctx, n_threads=threads or os.cpu_count() or 2,
                          n_batch=512, seed=0, verbose=False)
        self._lock = threading.Lock()  # one llama.cpp context: one generation at a time
        self._scores = threading.local()

    @property
    def last_scores(self) -> list[float] | None:
        return getattr(self._scores, "values", None)

    def stream(self, messages: Messages, max_tokens: int = 96, stop: Sequence[str] = ()) -> Iterator[str]:
        from llama_cpp import LogitsProcessorList

        self._scores.values = None
        scores = _ChosenTokenScores()
        with self._lock:
            chunks = self._llm.create_chat_completion(messages=messages, stream=True, temperature=0.0, top_k=1,
                                                      max_tokens=max_tokens, stop=list(stop) or None,
                                                      logits_processor=LogitsProcessorList([scores]))
            for chunk in chunks:
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece
        self._scores.values = scores.values


class TransformersGenerator:
    """The reference back-end: transformers on torch (a GGUF through `gguf_file=`, or a model folder).

    A GGUF is de-quantized to float32 at every load (slow: ~90 s for the default model on two cores).
    """

    def __init__(self, spec: ModelSpec) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        folder, extra = (spec.path.parent, {"gguf_file": spec.path.name}) if spec.kind == "gguf" else (spec.path, {})
        self.name = spec.name
        self._tokenizer = AutoTokenizer.from_pretrained(str(folder), **extra)
        self._model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32, **extra)
        self._model.eval()
        self._lock = threading.Lock()

    def stream(self, messages: Messages, max_tokens: int = 96, stop: Sequence[str] = ()) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        inputs = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                     return_dict=True)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        with self._lock:
            worker = threading.Thread(target=self._model.generate, daemon=True, kwargs=dict(
                **inputs, streamer=streamer, max_new_tokens=max_tokens, do_sample=False))
            worker.start()
            yield from _cut_at_stop(iter(streamer), stop)
            worker.join()


class OpenAIGenerator:
    """An OpenAI-compatible chat endpoint (llama.cpp server, vLLM, Ollama), streamed over server-sent events."""

    def __init__(self, base_url: str, model: str, timeout: float = 120.0) -> None:
        if not base_url:
            raise GenerationError("QA_OPENAI_BASE_URL is not set (for example http://127.0.0.1:8080/v1)")
        self.base_url = base_url.rstrip("/")
        self.name = model or "openai"
        self.model = model
        self.timeout = timeout

    def stream(self, messages: Messages, max_tokens: int = 96, stop: Sequence[str] = ()) -> Iterator[str]:
        body = {"model": self.model, "messages": messages, "stream": True, "temperature": 0,
                "max_tokens": max_tokens}
        if stop:
            body["stop"] = list(stop)
        request = urllib.request.Request(f"{self.base_url}/chat/completions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            raise EndpointDown(f"cannot reach the generator at {self.base_url}: {getattr(e, 'reason', e)}") from None
        with response:
            try:
                for raw in response:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        piece = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    except (ValueError, KeyError, IndexError):
                        raise GenerationError(f"unexpected reply from {self.base_url}: {data[:80]}") from None
                    if piece:
                        yield piece
            except (OSError, http.client.HTTPException) as e:
                raise EndpointDown(f"the generator at {self.base_url} broke off its reply: {e}") from None
        # OpenAI-compatible servers end a stream with [DONE]: without it the reply was cut short
        raise EndpointDown(f"the generator at {self.base_url} broke off its reply (no [DONE])")


class GeneratorPool:
    """Several OpenAI-compatible servers of one model (QA_OPENAI_BASE_URL=url1,url2,...), used as one.

    Each reply goes to the live server with the fewest replies in progress. A server that cannot be
    reached, or breaks off a reply, is skipped for `retry_after` seconds with a log line, then tried
    again. A reply broken off midway is asked again of another server and streamed on from where it
    stopped: decoding is greedy, so the other server says the same words (a reply that differs is an
    error, never a spliced answer). `GenerationError` only when every server failed.
    """

    def __init__(self, members: Sequence[OpenAIGenerator], retry_after: float = 30.0) -> None:
        if not members:
            raise GenerationError("a generator pool needs at least one server")
        self.members = list(members)
        self.name = self.members[0].name
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._busy = [0] * len(self.members)
        self._down_until = [0.0] * len(self.members)
        self._turn = 0

    def order(self) -> list[int]:
        """Servers to try, best first: live ones by replies in progress (ties in turn), then the ones
        skipped, soonest back first (when all are down, they are tried anyway)."""
        now = time.monotonic()
        with self._lock:
            self._turn += 1
            n = len(self.members)
            live = sorted((i for i in range(n) if self._down_until[i] <= now),
                          key=lambda i: (self._busy[i], (i - self._turn) % n))
            down = sorted((i for i in range(n) if self._down_until[i] > now), key=lambda i: self._down_until[i])
        return live + down

    def stream(self, messages: Messages, max_tokens: int = 96, stop: Sequence[str] = ()) -> Iterator[str]:
        sent = ""  # what the caller has received already
        failures = []
        for i in self.order():
            member = self.members[i]
            with self._lock:
                self._busy[i] += 1
            got = ""
            try:
                for piece in member.stream(messages, max_tokens, stop):
                    got += piece
                    common = min(len(got), len(sent))
                    if got[:common] != sent[:common]:
                        raise GenerationError(f"{member.base_url} replied differently from the server that broke "
                                              "off: are the servers running different models?")
                    if len(got) > len(sent):
                        new, sent = got[len(sent):], got
                        yield new
                with self._lock:
                    self._down_until[i] = 0.0
                return
            except EndpointDown as e:
                with self._lock:
                    self._down_until[i] = time.monotonic() + self.retry_after
                failures.append(str(e))
                logging.getLogger(__name__).warning("qa: %s; skipped for %.0f s", e, self.retry_after)
            finally:
                with self._lock:
                    self._busy[i] -= 1
        raise GenerationError("no generator server answered: " + "; ".join(failures))


class ScriptedGenerator:
    """A model-free generator for tests: `script(messages)` returns the reply, streamed word by word."""

    name = "scripted"

    def __init__(self, script: Callable[[Messages], str]) -> None:
        self.script = script
        self.calls: list[Messages] = []

    def stream(self, messages: Messages, max_tokens: int = 96, stop: Sequence[str] = ()) -> Iterator[str]:
        self.calls.append(messages)
        reply = self.script(messages)
        pieces = [w + " " for w in reply.split(" ")]
        pieces[-1] = pieces[-1][:-1]
        yield from _cut_at_stop(iter(pieces), stop)


_LOADED: dict[tuple, "Generator"] = {}
_LOADING = threading.Lock()
# freed before the interpreter tears modules down (llama.cpp's finalizer fails on a half-gone module)
atexit.register(_LOADED.clear)


def make_generator(name: str, settings: Settings) -> Generator:
    """The generator `name` (a profile or a path) on the back-end `settings.backend`, loaded once per
    process: assistants over several corpora (`make eval-public`) share it."""
    key = (name, settings.backend, settings.openai_base_url, settings.openai_model, settings.n_ctx, settings.threads,
           settings.generation_cache_dir, str(settings.cache_dir))
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = _load_generator(name, settings)
        return _LOADED[key]


def _load_generator(name: str, settings: Settings) -> Generator:
    backend = settings.backend
    if backend == "openai":
        urls = [u.strip() for u in settings.openai_base_url.split(",") if u.strip()]
        if len(urls) > 1:
            return GeneratorPool([OpenAIGenerator(u, settings.openai_model or name) for u in urls],
                                 retry_after=settings.openai_retry_s)
        return OpenAIGenerator(settings.openai_base_url, settings.openai_model or name)
    spec = resolve_model(name, settings)
    if backend == "llama_cpp":
        generator: Generator = LlamaCppGenerator(spec, n_ctx=settings.n_ctx, threads=settings.threads or None)
    elif backend == "transformers":
        generator = TransformersGenerator(spec)
    else:
        raise GenerationError(f"unknown back-end {backend!r} (choose llama_cpp, transformers or openai)")
    if settings.generation_cache_dir:
        # one folder per back-end and model file (by name and size): a profile that changes its model
        # never replays another model's replies
        size = spec.path.stat().st_size if spec.path.is_file() else 0
        generator = CachedGenerator(generator, Path(settings.generation_cache_dir) / f"{backend}-{spec.path.name}-{size}")
    return generator


class CachedGenerator:
    """A development aid: replies are stored on disk by prompt, and the same prompt is answered from the
    store. Decoding is greedy, so a stored reply is the reply; tuning the steps after generation then
    re-runs in seconds. Off unless `QA_GENERATION_CACHE_DIR` is set; never for timing.

    >>> import tempfile
    >>> g = CachedGenerator(ScriptedGenerator(lambda m: "Seven spots."), Path(tempfile.mkdtemp()))
    >>> "".join(g.stream([{"role": "user", "content": "?"}])), "".join(g.stream([{"role": "user", "content": "?"}]))
    ('Seven spots.', 'Seven spots.')
    >>> len(g.inner.calls)
    1
    """

    def __init__(self, inner: Generator, folder: Path) -> None:
        self.inner, self.folder, self.name = inner, Path(folder), inner.name
        self._scores = threading.local()

    @property
    def last_scores(self) -> list[float] | None:
        return getattr(self._scores, "values", None)

    def stream(self, messages: Messages, max_tokens: int = 96, stop: Sequence[str] = ()) -> Iterator[str]:
        key = hashlib.sha256(json.dumps([messages, max_tokens, list(stop)], sort_keys=True).encode()).hexdigest()
        file = self.folder / key[:2] / f"{key}.json"
        self._scores.values = None
        if file.is_file():
            stored = json.loads(file.read_text(encoding="utf-8"))
            if isinstance(stored, dict):  # an older entry is a bare list of pieces: no scores, asked again
                yield from stored["pieces"]
                self._scores.values = stored["scores"]
                return
        pieces = []
        for piece in self.inner.stream(messages, max_tokens=max_tokens, stop=stop):
            pieces.append(piece)
            yield piece
        scores = reply_scores(self.inner)
        self._scores.values = scores
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"pieces": pieces, "scores": scores}, f)
        os.replace(tmp, file)


class Demand:
    """How many replies are asked of a generator right now (writing, or waiting for the one model): a span
    reading mode answers alone while the queue is long instead of making every session wait.

    >>> demand = Demand()
    >>> with demand.held():
    ...     demand.count
    1
    >>> demand.count
    0
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1


class LazyGenerator:
    """A generator loaded at its first reply, not before: in a span-reading mode most questions never need
    it, so the 1.1 GB model loads only when one does. `loaded` tells whether it has.

    >>> lazy = LazyGenerator(lambda: ScriptedGenerator(lambda m: "Seven."))
    >>> lazy.loaded, "".join(lazy.stream([])), lazy.loaded
    (False, 'Seven.', True)
    """

    name = "lazy"

    def __init__(self, load: Callable[[], Generator]) -> None:
        self._load = load
        self._inner: Generator | None = None

    @property
    def loaded(self) -> bool:
        return self._inner is not None

    def inner(self) -> Generator:
        if self._inner is None:
            self._inner = self._load()
        return self._inner

    @property
    def last_scores(self) -> list[float] | None:
        return reply_scores(self._inner) if self._inner is not None else None

    def stream(self, messages: Messages, max_tokens: int = 96, stop: Sequence[str] = ()) -> Iterator[str]:
        return self.inner().stream(messages, max_tokens=max_tokens, stop=stop)
