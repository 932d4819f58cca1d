"""The endpoint client under faults a real model server will not produce on demand.

A small hand-written HTTP server (a real socket, a real httpx client) plays 429 with
Retry-After, 500, a stall past the timeout, a body cut short, malformed JSON and a 401. Success
paths are covered against a real model in test_real_model.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from rankterm.llm.endpoint import ChatClient, Endpoint, EndpointError, RetryPolicy

OK = orjson.dumps({
    "choices": [{"message": {"role": "assistant", "content": "fine"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
})  # fmt: skip


class Script:
    """The faults to play, one per request, then success."""

    def __init__(self, faults: list[str]) -> None:
        self.faults = list(faults)
        self.times: list[float] = []
        self.auth: list[str | None] = []
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()


def make_handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            with script.lock:
                script.times.append(time.monotonic())
                script.auth.append(self.headers.get("authorization"))
                fault = script.faults.pop(0) if script.faults else "ok"
                script.in_flight += 1
                script.peak = max(script.peak, script.in_flight)
            try:
                self.play(fault)
            finally:
                with script.lock:
                    script.in_flight -= 1

        def play(self, fault: str) -> None:
            if fault == "429":
                self.send_response(429)
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif fault in ("500", "401"):
                self.send_response(int(fault))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no")
            elif fault == "stall":
                time.sleep(1.5)
                self.reply(OK)
            elif fault == "cut":
                self.send_response(200)
                self.send_header("Content-Length", str(len(OK)))
                self.end_headers()
                self.wfile.write(OK[:10])
                self.wfile.flush()
                self.connection.close()
            elif fault == "malformed":
                self.reply(b'{"choices": [')
            elif fault == "slow":
                time.sleep(0.2)
                self.reply(OK)
            else:
                self.reply(OK)

        def reply(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture
def stub() -> Iterator[tuple[Script, str]]:
    script = Script([])
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield script, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def ask(url: str, *, retries: int = 3, timeout: float = 5.0, concurrency: int = 4,
        calls: int = 1, key: str | None = None) -> list:  # fmt: skip
    endpoint = Endpoint("m", url, "m", api_key=key)
    policy = RetryPolicy(retries=retries, backoff_s=0.05, timeout_s=timeout)

    async def main() -> list:
        async with ChatClient(concurrency=concurrency, policy=policy) as client:
            messages = [{"role": "user", "content": "hi"}]
            return await asyncio.gather(
                *(client.complete(endpoint, messages) for _ in range(calls)),
                return_exceptions=True,
            )

    return asyncio.run(main())


def test_429_waits_for_retry_after(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.faults = ["429"]
    (done,) = ask(url)
    assert done.text == "fine" and done.attempts == 2
    assert script.times[1] - script.times[0] >= 0.95  # Retry-After: 1, not the 0.05 s backoff
    assert done.usage == {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}


@pytest.mark.parametrize("fault", ["500", "cut", "malformed", "stall"])
def test_transient_faults_are_retried(stub: tuple[Script, str], fault: str) -> None:
    script, url = stub
    script.faults = [fault, fault]
    (done,) = ask(url, timeout=0.5)
    assert done.text == "fine" and done.attempts == 3


def test_gives_up_after_retries_with_the_reason(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.faults = ["500"] * 10
    (error,) = ask(url, retries=2)
    assert isinstance(error, EndpointError)
    assert "gave up after 3 tries: HTTP 500" in str(error)
    assert len(script.times) == 3


def test_401_is_not_retried_and_key_is_sent(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.faults = ["401"]
    (error,) = ask(url, key="sk-test")
    assert isinstance(error, EndpointError) and "HTTP 401" in str(error)
    assert len(script.times) == 1
    assert script.auth == ["Bearer sk-test"]


def test_concurrency_is_bounded_per_endpoint(stub: tuple[Script, str]) -> None:
    script, url = stub
    script.faults = ["slow"] * 12
    results = ask(url, concurrency=3, calls=12)
    assert all(r.text == "fine" for r in results)
    assert script.peak == 3
