"""Item 6 of issue 13, on the routes that need a role: the role is checked before the body.

Work and review routes bound their bodies while they stream, but the admin routes (project
create and update, guideline upload, pair import) and the adjudicator's resolutions were
parsed by FastAPI *before* the role check: an annotator's valid token made the server take in
a 32 MB JSON string (three times its size while parsing) just to answer 403. Now token, role
and membership are checked before a byte of the body is read, with the answer the route
gives anyway (403 for the wrong role, the 404 of a missing project for a non-member), and
every such route has a byte budget (its fields at their limits, escaped) beyond which a body
is refused with 413 while it streams.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.attacks.test_body_limits import ATTACK_BYTES, peak_mb, play, reset_peak, rss_mb
from tests.server.conftest import Backend

#: "Without the server's RSS growing more than a few MB": the old code grew by ~100 MB.
MAX_GROWTH_MB = 8
MAX_HEALTH_S = 1.0


def _string_body(key: str, size: int = ATTACK_BYTES, head: bytes = b"{") -> bytes:
    """A JSON object whose one string field ``key`` fills ``size`` bytes."""
    start = head + f'"{key}": "'.encode()
    return start + b"x" * (size - len(start) - 2) + b'"}'


def _attacks(project: str) -> list[tuple[str, str, bytes, str]]:
    """(label, path, body, content type): 32 MB to every route that needs admin or adjudicator."""
    p = f"/v1/projects/{project}"
    many_strings = (
        b'{"resolutions": [' + b",".join([b'{"rationale": "' + b"y" * 500_000 + b'"}'] * 64) + b"]}"
    )
    lines = b"".join(
        b'{"id": "q%d", "prompt": "' % i + b"z" * 1_000_000 + b'"}\n' for i in range(32)
    )
    return [
        (
            "create project",
            "/v1/projects",
            _string_body("guidelines", head=b'{"name": "zz", '),
            "application/json",
        ),
        ("update project", p, _string_body("description"), "application/json"),
        ("upload guidelines", f"{p}/guidelines", _string_body("content"), "application/json"),
        (
            "import pairs (JSON)",
            f"{p}/pairs",
            b"[" + _string_body("prompt")[:-1] + b"}]",
            "application/json",
        ),
        ("import pairs (NDJSON)", f"{p}/pairs", lines, "application/x-ndjson"),
        ("resolutions", f"{p}/resolutions", many_strings, "application/json"),
    ]


def _method(label: str) -> str:
    return "PATCH" if label == "update project" else "POST"


@pytest.mark.parametrize("index", range(6))
def test_an_annotator_cannot_make_an_admin_route_read_a_huge_body(
    backend: Backend, index: int
) -> None:
    project = backend.project(n_pairs=2)
    _, token = backend.user()
    label, path, body, kind = _attacks(project)[index]
    assert len(body) > 30 * 1024 * 1024
    headers = {"Authorization": f"Bearer {token}", "Content-Type": kind}
    pid = backend.server.proc.pid
    reset_peak(pid)
    before = rss_mb(pid)
    status, latencies = play(backend.url + path, body, headers, method=_method(label))
    growth = peak_mb(pid) - before
    print(f"\n[{backend.name}] {label}: {status}, server grew {growth:.1f} MB")
    assert status in (403, None), (label, status)
    assert growth < MAX_GROWTH_MB, f"{label}: server grew by {growth:.0f} MB"
    assert max(latencies) < MAX_HEALTH_S, f"{label}: health took {max(latencies):.2f} s"


def test_the_refusal_is_the_one_the_route_gives_anyway(backend: Backend) -> None:
    """The early check gives the answers the routes give after reading a body: 401 for a
    bad token, 403 for the wrong role, and for an adjudicator who is not a member the very 404
    of a project that does not exist (no oracle on project names)."""
    target = backend.project(n_pairs=2)
    other = backend.project()
    _, annotator = backend.user()
    _, outsider = backend.user("adjudicator", member_of=[other])
    missing = f"nope{uuid.uuid4().hex[:6]}"
    small = {"resolutions": []}

    def post(token: str, name: str) -> httpx.Response:
        return httpx.post(
            f"{backend.url}/v1/projects/{name}/resolutions",
            json=small,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    assert post("x" * 40, target).status_code == 401
    refused = post(annotator, target)
    assert refused.status_code == 403 and "adjudicator" in refused.json()["detail"]
    here, nowhere = post(outsider, target), post(outsider, missing)
    assert here.status_code == nowhere.status_code == 404
    assert here.json()["detail"] == nowhere.json()["detail"].replace(missing, target)
    # A non-member's huge body gets that 404 too, and is not read.
    pid = backend.server.proc.pid
    reset_peak(pid)
    before = rss_mb(pid)
    big = _attacks(target)[-1][2]
    status, _ = play(
        f"{backend.url}/v1/projects/{target}/resolutions",
        big,
        {"Authorization": f"Bearer {outsider}", "Content-Type": "application/json"},
    )
    assert status in (404, None)
    assert peak_mb(pid) - before < MAX_GROWTH_MB


def _admin(backend: Backend) -> dict[str, str]:
    _, token = backend.user("admin")
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def test_the_biggest_honest_bodies_still_pass(server: Backend) -> None:
    """Every field at its limit, every character escaped at its longest (``json.dumps``
    escapes a character beyond the BMP as 12 bytes): accepted."""
    from rankterm.server.api.projects import CREATE_BUDGET, GUIDELINES_BUDGET, UPDATE_BUDGET
    from rankterm.server.pools import MAX_REQUIREMENT_TEXT, MAX_REQUIREMENTS
    from rankterm.server.schemas import (
        MAX_DESCRIPTION,
        MAX_GUIDELINES,
        MAX_PROJECT_CRITERIA,
        MAX_PROJECT_TAGS,
    )

    headers = _admin(server)
    words = {
        "tags": [f"{i:03d}" + "🙂" * 197 for i in range(MAX_PROJECT_TAGS)],
        "criteria": [f"{i:03d}" + "🙂" * 197 for i in range(MAX_PROJECT_CRITERIA)],
        "description": "🙂" * MAX_DESCRIPTION,
        # Annotator pools: a slice value may be any text, the attribute side is plain.
        "requirements": [
            f"metadata.x{i:02d}=" + "🙂" * (MAX_REQUIREMENT_TEXT - 27) + ":languages=de"
            for i in range(MAX_REQUIREMENTS)
        ],
    }
    name = server.unique("big")
    create = json.dumps({"name": name, "guidelines": "🙂" * MAX_GUIDELINES, **words}).encode()
    assert CREATE_BUDGET - 128 * 1024 < len(create) <= CREATE_BUDGET
    response = httpx.post(f"{server.url}/v1/projects", content=create, headers=headers, timeout=120)
    assert response.status_code == 201, response.text[:300]
    update = json.dumps(words).encode()
    assert UPDATE_BUDGET - 128 * 1024 < len(update) <= UPDATE_BUDGET
    base = f"{server.url}/v1/projects/{name}"
    response = httpx.patch(base, content=update, headers=headers, timeout=60)
    assert response.status_code == 200, response.text[:300]
    guidelines = json.dumps({"content": "\U0001f642" * (MAX_GUIDELINES - 1) + "!"}).encode()
    assert GUIDELINES_BUDGET - 128 * 1024 < len(guidelines) <= GUIDELINES_BUDGET
    response = httpx.post(f"{base}/guidelines", content=guidelines, headers=headers, timeout=120)
    assert response.status_code == 201, response.text[:300]


@pytest.mark.parametrize("route", ["create", "update", "guidelines"])
def test_an_admin_body_over_the_budget_is_refused_while_it_streams(
    server: Backend, route: str
) -> None:
    from rankterm.server.api.projects import CREATE_BUDGET, GUIDELINES_BUDGET, UPDATE_BUDGET

    project = server.project()
    headers = _admin(server)
    budget, path, body = {
        "create": (
            CREATE_BUDGET,
            "/v1/projects",
            _string_body("guidelines", CREATE_BUDGET + 1, b'{"name": "zz", '),
        ),
        "update": (
            UPDATE_BUDGET,
            f"/v1/projects/{project}",
            _string_body("description", UPDATE_BUDGET + 1),
        ),
        "guidelines": (
            GUIDELINES_BUDGET,
            f"/v1/projects/{project}/guidelines",
            _string_body("content", GUIDELINES_BUDGET + 1),
        ),
    }[route]
    method = "PATCH" if route == "update" else "POST"
    # By its Content-Length: refused before a byte of it is sent.
    assert _status_for_headers(server, method, path, headers, len(body)) == 413
    # Unknown length (chunked): refused as the bytes pass the budget.
    response = httpx.request(
        method,
        server.url + path,
        content=iter([body[:1000], body[1000:]]),
        headers=headers,
        timeout=60,
    )
    assert response.status_code == 413, response.text[:300]
    assert str(budget) in response.json()["detail"]


def _status_for_headers(
    server: Backend, method: str, path: str, headers: dict[str, str], length: int
) -> int:
    """The status the server answers to a request's head alone (Content-Length ``length``,
    no body sent)."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(server.url)
    head = [f"{method} {path} HTTP/1.1", f"Host: {where.netloc}", f"Content-Length: {length}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        answer = sock.recv(4096)
    return int(answer.split(b" ", 2)[1])
