"""A pool of OpenAI-compatible generator servers (QA_OPENAI_BASE_URL=url1,url2) against local fake
servers: replies spread over them, a dead one skipped and retried later, a reply broken off midway
finished by another server, streaming through the pool."""
import dataclasses
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qa.models.generation import GenerationError, GeneratorPool, OpenAIGenerator, make_generator

REPLY = ["Korea ", "climbed ", "seven ", "spots."]
ASK = [{"role": "user", "content": "How far did Korea climb?"}]


class FakeServer:
    """A chat server streaming REPLY; `mode` makes it fail: "error" (HTTP 500), "cut" (stops after two
    pieces and closes the connection), "other" (a different reply)."""

    def __init__(self, mode: str = "ok", delay: float = 0.0) -> None:
        self.mode, self.delay, self.requests = mode, delay, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                server.requests += 1
                if server.mode == "error":
                    self.send_error(500)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = ["Japan ", "fell."] if server.mode == "other" else REPLY
                for n, piece in enumerate(pieces):
                    if server.mode == "cut" and n == 2:
                        self.close_connection = True
                        return
                    time.sleep(server.delay)
                    self.wfile.write(f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

            def log_message(self, *args):
                pass

        class Quiet(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that stops reading midway (the pool, on a reply that differs) is expected

        self.httpd = Quiet(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    made = []

    def make(*modes, delay=0.0):
        made.extend(FakeServer(m, delay) for m in modes)
        return made[-len(modes):]

    yield make
    for s in made:
        s.stop()


def _pool(servers, retry_after=30.0):
    return GeneratorPool([OpenAIGenerator(s.url, "m", timeout=5) for s in servers], retry_after=retry_after)


def test_replies_are_spread_over_the_servers(servers):
    a, b = servers("ok", "ok")
    pool = _pool([a, b])
    for _ in range(10):
        assert list(pool.stream(ASK)) == REPLY  # streamed piece by piece through the pool
    assert a.requests == b.requests == 5


def test_concurrent_replies_go_to_the_least_busy_server(servers):
    a, b = servers("ok", "ok", delay=0.05)
    pool = _pool([a, b])
    with ThreadPoolExecutor(4) as run:
        replies = list(run.map(lambda _: "".join(pool.stream(ASK)), range(8)))
    assert replies == ["".join(REPLY)] * 8 and a.requests == b.requests == 4


def test_a_dead_server_is_skipped_with_a_log_line_then_retried(servers, caplog):
    dead, alive = servers("error", "ok")
    pool = _pool([dead, alive], retry_after=0.3)
    with caplog.at_level(logging.WARNING, logger="qa.models.generation"):
        for _ in range(4):
            assert "".join(pool.stream(ASK)) == "".join(REPLY)
    assert dead.requests == 1 and alive.requests == 4  # tried once, then skipped
    assert any(dead.url in r.getMessage() and "skipped for 0 s" in r.getMessage() for r in caplog.records)
    dead.mode = "ok"  # it comes back
    time.sleep(0.35)
    for _ in range(4):
        assert "".join(pool.stream(ASK)) == "".join(REPLY)
    assert dead.requests >= 2  # retried after retry_after, and serving again


def test_a_reply_broken_off_midway_is_finished_by_another_server(servers):
    cut, whole = servers("cut", "ok")
    pool = GeneratorPool([OpenAIGenerator(cut.url, "m", timeout=5), OpenAIGenerator(whole.url, "m", timeout=5)])
    pool._turn = len(pool.members) - 1  # the next reply starts on the server that breaks off
    pieces = list(pool.stream(ASK))
    assert cut.requests == 1 and whole.requests == 1
    assert "".join(pieces) == "".join(REPLY) and pieces[:2] == REPLY[:2]  # nothing said twice


def test_a_server_dying_mid_test_loses_no_reply(servers):
    a, b = servers("ok", "ok", delay=0.02)
    pool = _pool([a, b])
    errors, done = [], []

    def chat(n):
        try:
            done.append("".join(pool.stream(ASK)))
        except Exception as e:  # every failure counts
            errors.append(e)

    with ThreadPoolExecutor(4) as run:
        futures = [run.submit(chat, n) for n in range(40)]
        time.sleep(0.3)
        a.stop()  # one server goes away while chats are running
        for f in futures:
            f.result()
    assert not errors and done == ["".join(REPLY)] * 40


def test_every_server_down_is_one_clear_error(servers):
    a, b = servers("error", "error")
    with pytest.raises(GenerationError, match="no generator server answered: cannot reach") as failed:
        list(_pool([a, b]).stream(ASK))
    assert a.url in str(failed.value) and b.url in str(failed.value)


def test_servers_replying_differently_are_an_error_not_a_spliced_answer(servers):
    cut, other = servers("cut", "other")
    pool = _pool([cut, other])
    pool._turn = len(pool.members) - 1
    with pytest.raises(GenerationError, match="replied differently"):
        list(pool.stream(ASK))


def test_several_urls_in_the_setting_make_a_pool(servers, settings):
    a, b = servers("ok", "ok")
    s = dataclasses.replace(settings, backend="openai", openai_base_url=f"{a.url}, {b.url}", openai_model="m",
                            openai_retry_s=5.0)
    pool = make_generator("default", s)
    assert isinstance(pool, GeneratorPool) and [m.base_url for m in pool.members] == [a.url, b.url]
    assert pool.retry_after == 5.0 and "".join(pool.stream(ASK)) == "".join(REPLY)
