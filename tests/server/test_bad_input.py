"""Bad input gets 401/403/404/413/422 naming the problem, and never a 500."""

from __future__ import annotations

import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.conftest import Backend


@pytest.fixture
def setup(backend: Backend) -> tuple[Backend, str, dict[str, str], dict[str, str]]:
    project = backend.project(n_pairs=3, overlap=1)
    _, token = backend.user()
    _, admin = backend.user("admin")
    return (
        backend,
        project,
        {"Authorization": f"Bearer {token}"},
        {"Authorization": f"Bearer {admin}"},
    )


def test_body_over_the_limit_is_413(setup) -> None:
    backend, project, headers, _ = setup
    big = b'{"judgments": [' + b" " * (33 * 1024 * 1024) + b"]}"
    url = f"{backend.url}/v1/projects/{project}/judgments"
    try:
        response = httpx.post(url, content=big, headers=headers, timeout=60)
        assert response.status_code == 413
        assert "limit" in response.json()["detail"]
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        pass  # the server may answer and close before the body is fully sent

    def chunks():
        for _ in range(40):
            yield b" " * (1024 * 1024)

    try:
        streamed = httpx.post(url, content=chunks(), headers=headers, timeout=60)
        assert streamed.status_code == 413
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        pass
    assert httpx.get(f"{backend.url}/v1/health").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/leases", {"n": 0}, "n"),
        ("/leases", {"n": "ten"}, "n"),
        ("/leases", {"m": 3}, "m"),
        ("/judgments", {"judgments": "x"}, "judgments"),
        ("/judgments", {}, "judgments"),
        ("/leases/renew", {"lease_ids": ["not-a-uuid"]}, "lease_ids.0"),
    ],
)
def test_validation_errors_name_the_field(setup, path: str, body: dict, field: str) -> None:
    backend, project, headers, _ = setup
    response = httpx.post(f"{backend.url}/v1/projects/{project}{path}", json=body, headers=headers)
    assert response.status_code == 422
    data = response.json()
    assert field in [f["field"] for f in data["fields"]]
    assert data["detail"].startswith(field)


def test_project_settings_are_validated(setup) -> None:
    backend, _, _, admin = setup
    url = f"{backend.url}/v1/projects"
    for body, field in [
        ({"name": "ok1", "overlap": 0}, "overlap"),
        ({"name": "ok2", "conflict_rule": "vibes"}, "conflict_rule"),
        ({"name": "bad name/"}, "name"),
        ({"name": "ok3", "gold_rate": 2}, "gold_rate"),
    ]:
        response = httpx.post(url, json=body, headers=admin)
        assert response.status_code == 422, body
        assert response.json()["fields"][0]["field"] == field


def test_not_found_unauthorized_forbidden(setup) -> None:
    backend, project, headers, _ = setup
    base = f"{backend.url}/v1/projects"
    assert httpx.get(f"{base}/no-such-project", headers=headers).status_code == 404
    assert httpx.get(f"{base}/{project}/pairs/zzz/comments", headers=headers).status_code == 404
    assert httpx.get(f"{backend.url}/v1/nothing", headers=headers).status_code == 404
    assert httpx.get(f"{base}/{project}").status_code == 401
    assert httpx.get(f"{base}/{project}", headers={"Authorization": "Basic abc"}).status_code == 401
    assert httpx.get(f"{base}/{project}", headers={"Authorization": "Bearer"}).status_code == 401
    assert httpx.post(base, json={"name": "x"}, headers=headers).status_code == 403


def test_revoked_and_blocked_tokens_are_refused(setup) -> None:
    from rankterm.server import users

    backend, project, _, _ = setup
    name, token = backend.user()
    backend.db.write(lambda conn: users.revoke_tokens(conn, name))
    url = f"{backend.url}/v1/projects/{project}"
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    other, token2 = backend.user()
    backend.db.write(lambda conn: users.set_user(conn, other, active=False))
    assert httpx.get(url, headers={"Authorization": f"Bearer {token2}"}).status_code == 401


def test_revocation_takes_effect_on_the_next_request(setup) -> None:
    """No grace period: the server checks tokens against the database on every request."""
    from rankterm.server import users

    backend, project, _, _ = setup
    name, token = backend.user()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{backend.url}/v1/projects/{project}"
    calls = [
        lambda: httpx.get(f"{backend.url}/v1/me", headers=headers),
        lambda: httpx.get(f"{base}/me/progress", headers=headers),
        lambda: httpx.post(f"{base}/leases", json={"n": 1}, headers=headers),
        lambda: httpx.post(f"{base}/judgments", json={"judgments": []}, headers=headers),
        lambda: httpx.post(f"{base}/leases/renew", json={"lease_ids": []}, headers=headers),
    ]
    assert [call().status_code for call in calls] == [200] * len(calls)  # now trusted (warm)
    backend.db.write(lambda conn: users.revoke_tokens(conn, name))
    assert [call().status_code for call in calls] == [401] * len(calls)
    other, token2 = backend.user()
    headers2 = {"Authorization": f"Bearer {token2}"}
    assert httpx.post(f"{base}/leases", json={"n": 1}, headers=headers2).status_code == 200
    backend.db.write(lambda conn: users.set_user(conn, other, active=False))
    assert httpx.post(f"{base}/leases", json={"n": 1}, headers=headers2).status_code == 401


HOSTILE = [
    b"",
    b"null",
    b"[]",
    b"{",
    b'"just a string"',
    b"1e999",
    b"[" * 5000 + b"]" * 5000,
    b'{"judgments": [null, 1, "x", [], {"id": "zz"}]}',
    b'{"judgments": [{"pair_id": "p\\u0000", "annotator": "a\\u0000", "choice": "A"}]}',
    b'{"retractions": [{"retracts": "00000000-0000-0000-0000-000000000000"}]}',
    b'{"n": 99999999999999999999999999}',
    b'{"lease_ids": [' + b'"' + str(uuid.uuid4()).encode() + b'",' * 1 + b"1]}",
    b'{"text": "\\ud800"}',
    '{"judgments": [{"pair_id": "🙂", "annotator": "ü", "choice": "tie"}]}'.encode(),
    b"\xff\xfe\x00garbage",
]
PATHS = [
    "/leases",
    "/leases/renew",
    "/leases/release",
    "/judgments",
    "/retractions",
    "/resolutions",
    "/pairs",
    "/guidelines",
    "/pairs/p%00/comments",
    "",
]


def test_hostile_bodies_never_get_a_500(setup) -> None:
    backend, project, headers, admin = setup
    base = f"{backend.url}/v1/projects/{project}"
    with httpx.Client(timeout=30) as http:
        for path in PATHS:
            for body in HOSTILE:
                for who in (headers, admin):
                    for kind in ("application/json", "application/x-ndjson"):
                        method = "PATCH" if path == "" else "POST"
                        response = http.request(
                            method,
                            base + path,
                            content=body,
                            headers={**who, "Content-Type": kind},
                        )
                        assert response.status_code < 500, (path, body[:80], response.text)
        for path in ["/v1/projects/%00", "/v1/projects/" + "x" * 5000, "/v1/projects/ü/stats"]:
            assert http.get(backend.url + path, headers=admin).status_code < 500


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
judgment_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | st.text(max_size=5),
        "pair_id": st.sampled_from(["p00000", "p00001", ""]) | st.text(max_size=8),
        "annotator": st.text(max_size=8),
        "choice": st.sampled_from(["A", "B", "tie", "both_bad", "C"]),
        "strength": st.integers(-5, 5) | st.none(),
        "tags": json_values,
        "criteria": json_values,
        "duration_ms": st.integers(),
        "created_at": st.text(max_size=30),
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(items=st.lists(judgment_like | json_values, max_size=5))
def test_generated_judgment_batches_never_500(sqlite_backend: Backend, items: list) -> None:
    backend = sqlite_backend
    if not hasattr(backend, "_fuzz"):
        backend._fuzz = (backend.project(n_pairs=2, overlap=2), backend.user()[1])  # type: ignore[attr-defined]
    project, token = backend._fuzz  # type: ignore[attr-defined]
    response = httpx.post(
        f"{backend.url}/v1/projects/{project}/judgments",
        json={"judgments": items},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert len(response.json()["results"]) == len(items)
