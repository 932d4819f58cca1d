"""Item 6 of issue 13: a request body cannot buy memory or stall the server.

A 32 MB body of ``{}`` items used to take the server from ~90 MB to 1.8 GB resident and hold
up every other request for seconds, with a bogus token as well as a valid one: the body was
read and parsed before the token was looked at, and parsed whole before any size check. The
server process's own peak resident set (VmHWM, reset before the attack) is the measure here,
with a generous margin; the precise figures are in benchmarks/bench_attacks.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import Backend

#: Just under the server's default 32 MiB body limit: the request is not refused by size.
ATTACK_BYTES = 32 * 1024 * 1024 - 4096
#: The fixed server stays within this of its resident set before the attack (the old one grew
#: by over 1.5 GB).
MAX_GROWTH_MB = 60
#: Health must answer while the attack is in flight; loosely bounded (noisy machine).
MAX_HEALTH_S = 1.0


def empty_items_body(size: int = ATTACK_BYTES) -> bytes:
    n = (size - 20) // 3
    return b'{"judgments": [' + b"{}," * n + b"{}]}"


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def reset_peak(pid: int) -> None:
    """Reset the process's VmHWM to its current RSS (Linux: clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def rss_mb(pid: int) -> float:
    return _status_kb(pid, "VmRSS") / 1024


def peak_mb(pid: int) -> float:
    return _status_kb(pid, "VmHWM") / 1024


def play(
    url: str, body: bytes, headers: dict[str, str], method: str = "POST"
) -> tuple[int | None, list[float]]:
    """POST ``body`` while another thread keeps asking /v1/health; the attack's status (None
    when the server closed the connection before the whole body was sent) and the health
    latencies measured while it was in flight."""
    result: list[int | None] = [None]

    def attack() -> None:
        try:
            response = httpx.request(method, url, content=body, headers=headers, timeout=120)
            result[0] = response.status_code
        except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
            pass

    base = url.split("/v1/")[0]
    latencies: list[float] = []
    thread = threading.Thread(target=attack)
    with httpx.Client(timeout=30) as http:
        http.get(f"{base}/v1/health")  # a warm connection, so latency is the server's
        thread.start()
        while thread.is_alive() or not latencies:
            started = time.perf_counter()
            assert http.get(f"{base}/v1/health").status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.01)
    thread.join()
    return result[0], latencies


@pytest.mark.parametrize("who", ["bogus token", "valid token"])
def test_a_huge_body_of_empty_items_costs_bounded_memory(backend: Backend, who: str) -> None:
    project = backend.project(n_pairs=2)
    _, token = backend.user()
    headers = {
        "Authorization": f"Bearer {'x' * 40 if who == 'bogus token' else token}",
        "Content-Type": "application/json",
    }
    pid = backend.server.proc.pid
    body = empty_items_body()
    reset_peak(pid)
    before = rss_mb(pid)
    status, latencies = play(f"{backend.url}/v1/projects/{project}/judgments", body, headers)
    growth = peak_mb(pid) - before
    assert growth < MAX_GROWTH_MB, f"server grew by {growth:.0f} MB ({who})"
    assert max(latencies) < MAX_HEALTH_S, f"health took {max(latencies):.2f} s ({who})"
    expected = 401 if who == "bogus token" else 413
    assert status in (expected, None), status
    # The server is still fine for ordinary work.
    ok = httpx.post(
        f"{backend.url}/v1/projects/{project}/judgments",
        json={"judgments": []},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert ok.status_code == 200


def test_other_endpoints_check_the_token_before_the_body(backend: Backend) -> None:
    """Every endpoint with a body, not only submits: a bogus token buys no parsing."""
    project = backend.project(n_pairs=2)
    pid = backend.server.proc.pid
    body = b'{"lease_ids": [' + b'"x",' * (8 * 1024 * 1024 // 4) + b'"x"]}'
    headers = {"Authorization": "Bearer nope", "Content-Type": "application/json"}
    reset_peak(pid)
    before = rss_mb(pid)
    status, _ = play(f"{backend.url}/v1/projects/{project}/leases/renew", body, headers)
    assert peak_mb(pid) - before < MAX_GROWTH_MB
    assert status in (401, None)


def test_the_client_keeps_each_request_small(sqlite_backend: Backend) -> None:
    """Long ideal answers: the client splits a batch by bytes as well as by count, so every
    request stays far below the server's body limit and every judgment arrives."""
    from rankterm.core.model import Judgment
    from rankterm.sources.client import MAX_REQUEST_BYTES, TaskClient

    backend = sqlite_backend
    project = backend.project(n_pairs=12, overlap=1)
    name, token = backend.user()
    answer = "🙂" * 150_000  # 600 kB of UTF-8 each, 7 MB in all
    judgments = [
        Judgment(pair_id=f"p{i:05d}", annotator=name, choice="both_bad", ideal_response=answer)
        for i in range(12)
    ]
    sizes: list[int] = []
    with TaskClient(backend.url, project, token, timeout=60) as client:
        assert len(client.lease(12).leases) == 12  # a verdict needs its author's lease on the pair
        client._http.event_hooks["request"] = [lambda r: sizes.append(len(r.content))]
        acks = client.submit(judgments)
    assert [a.status for a in acks] == ["accepted"] * 12
    assert len(sizes) >= 2 and max(sizes) <= MAX_REQUEST_BYTES, sizes


def one_huge_string_body(size: int = ATTACK_BYTES) -> bytes:
    head = b'{"judgments": [{"pair_id": "p0", "choice": "tie", "rationale": "'
    tail = b'"}]}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


#: One string costs three times its size to parse (the body, orjson's buffer, the str): the
#: old server grew by about 85 MB for a 32 MB rationale before refusing it by its length.
MAX_STRING_GROWTH_MB = 30


def test_one_huge_string_is_refused_while_it_streams(backend: Backend) -> None:
    project = backend.project(n_pairs=2)
    _, token = backend.user()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    pid = backend.server.proc.pid
    reset_peak(pid)
    before = rss_mb(pid)
    url = f"{backend.url}/v1/projects/{project}/judgments"
    status, latencies = play(url, one_huge_string_body(), headers)
    growth = peak_mb(pid) - before
    print(f"\n[{backend.name}] one 32 MB string: status {status}, server grew {growth:.0f} MB")
    assert status in (413, None), status
    assert growth < MAX_STRING_GROWTH_MB, f"server grew by {growth:.0f} MB"
    assert max(latencies) < MAX_HEALTH_S


def test_the_longest_honest_strings_still_pass(server: Backend) -> None:
    """The bound on a string's bytes leaves room for every field at its own limit, escaped as
    the standard library escapes by default (12 bytes for a character beyond the BMP)."""
    import json
    import uuid

    from rankterm.server.records import MAX_IDEAL

    project = server.project(n_pairs=2, overlap=1)
    name, token = server.user()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    base = f"{server.url}/v1/projects/{project}"
    leased = httpx.post(f"{base}/leases", json={"n": 1}, headers=headers, timeout=30).json()
    record = {
        "id": str(uuid.uuid4()),
        "pair_id": leased["leases"][0]["pair"]["id"],
        "annotator": name,
        "choice": "both_bad",
        "ideal_response": "🙂" * MAX_IDEAL,
        "rationale": '\\"' * 25_000,
    }
    body = json.dumps({"judgments": [record]}).encode()  # ensure_ascii: \ud83d\ude42 each
    assert len(body) > 2 * 1024 * 1024
    response = httpx.post(f"{base}/judgments", content=body, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "accepted", response.text
