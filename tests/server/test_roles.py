"""Every endpoint's role check (endpoint x role -> status), and tokens never leak."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.server.conftest import Backend, judgment

ROLES = ["none", "bad", "annotator", "adjudicator", "admin"]
RANK = {"annotator": 0, "adjudicator": 1, "admin": 2}


@dataclass
class World:
    backend: Backend
    project: str
    tokens: dict[str, str]
    names: dict[str, str]
    lease_id: str = ""


@pytest.fixture(scope="module")
def world(sqlite_backend: Backend) -> World:
    backend = sqlite_backend
    project = backend.project(n_pairs=20, overlap=1, guidelines="# Guidelines")
    tokens: dict[str, str] = {"bad": "rt_" + secrets.token_urlsafe(32)}
    names: dict[str, str] = {}
    for role in RANK:
        names[role], tokens[role] = backend.user(role)
    return World(backend, project, tokens, names)


def _body(world: World, role: str, kind: str) -> Any:
    name = world.names.get(role, "nobody")
    if kind == "project":
        return {"name": f"m{uuid.uuid4().hex[:10]}"}
    if kind == "judgments":
        return {"judgments": [judgment("p00019", name).model_dump(mode="json")]}
    if kind == "retractions":
        return {"retractions": []}
    if kind == "rankings":
        return {"rankings": []}
    if kind == "resolutions":
        return {"resolutions": []}
    if kind == "leases":
        return {"n": 1}
    if kind == "lease_ids":
        return {"lease_ids": [str(uuid.uuid4())]}
    if kind == "guidelines":
        return {"content": "be kind"}
    if kind == "patch":
        return {"description": "x"}
    if kind == "comment":
        return {"text": "hello"}
    if kind == "pairs":
        pair_id = f"n{uuid.uuid4().hex[:6]}"
        return [{"id": pair_id, "prompt": "p", "response_a": "a", "response_b": "b"}]
    return None


P = "/v1/projects/{p}"
# (method, path, body kind, the least role that may call it; comments: special rules)
ENDPOINTS = [
    ("GET", "/v1/me", None, "annotator"),
    ("GET", "/v1/projects", None, "annotator"),
    ("POST", "/v1/projects", "project", "admin"),
    ("GET", P, None, "annotator"),
    ("PATCH", P, "patch", "admin"),
    ("GET", P + "/guidelines", None, "annotator"),
    ("POST", P + "/guidelines", "guidelines", "admin"),
    ("POST", P + "/pairs", "pairs", "admin"),
    ("GET", P + "/export", None, "admin"),
    ("GET", P + "/progress", None, "adjudicator"),  # counters a verdict moves: an oracle
    ("GET", P + "/stats", None, "adjudicator"),
    ("POST", P + "/leases", "leases", "annotator"),
    ("POST", P + "/leases/renew", "lease_ids", "annotator"),
    ("POST", P + "/leases/release", "lease_ids", "annotator"),
    ("POST", P + "/judgments", "judgments", "annotator"),
    ("POST", P + "/retractions", "retractions", "annotator"),
    ("POST", P + "/rankings", "rankings", "annotator"),
    ("GET", P + "/me/progress", None, "annotator"),
    ("GET", P + "/me/judgments", None, "annotator"),
    ("GET", P + "/conflicts", None, "adjudicator"),
    ("POST", P + "/resolutions", "resolutions", "adjudicator"),
    # Comments: annotators only on pairs they judged, adjudicators on conflicts, admins always.
    ("GET", P + "/pairs/p00000/comments", None, "admin"),
    ("POST", P + "/pairs/p00000/comments", "comment", "admin"),
]


def expected(role: str, least: str, path: str = "") -> set[int]:
    if role in ("none", "bad"):
        return {401}
    if RANK[role] < RANK[least] and "/comments" in path:
        return {404}  # a pair they may not discuss looks like no pair at all (no id oracle)
    return {200, 201} if RANK[role] >= RANK[least] else {403}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "kind", "least"), ENDPOINTS)
def test_role_matrix(world: World, method: str, path: str, kind: str | None, least: str, role: str):
    headers = {} if role == "none" else {"Authorization": f"Bearer {world.tokens[role]}"}
    body = _body(world, role, kind) if kind else None
    response = httpx.request(
        method,
        world.backend.url + path.format(p=world.project),
        json=body,
        headers=headers,
        timeout=30,
    )
    assert response.status_code in expected(role, least, path), response.text
    if response.status_code >= 400:
        error = response.json()
        assert set(error) >= {"error", "detail"}
    for token in world.tokens.values():
        assert token not in response.text


def test_annotator_may_discuss_pairs_they_judged(world: World) -> None:
    name, token = world.backend.user()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{world.backend.url}/v1/projects/{world.project}"
    lease = httpx.post(f"{base}/leases", json={"n": 1}, headers=headers).json()["leases"][0]
    pair_id = lease["pair"]["id"]
    body = {"judgments": [judgment(pair_id, name).model_dump(mode="json")]}
    httpx.post(f"{base}/judgments", json=body, headers=headers).raise_for_status()
    comments = f"{base}/pairs/{pair_id}/comments"
    posted = httpx.post(comments, json={"text": "unsure"}, headers=headers)
    assert posted.status_code == 201
    listed = httpx.get(f"{base}/pairs/{pair_id}/comments", headers=headers).json()["comments"]
    assert [c["text"] for c in listed] == ["unsure"]
    assert listed[0]["author"] == name


def test_annotators_see_only_their_own_judgments(world: World) -> None:
    a, ta = world.backend.user()
    b, tb = world.backend.user()
    base = f"{world.backend.url}/v1/projects/{world.project}"
    for name, token in ((a, ta), (b, tb)):
        headers = {"Authorization": f"Bearer {token}"}
        lease = httpx.post(f"{base}/leases", json={"n": 1}, headers=headers).json()["leases"]
        body = {"judgments": [judgment(lease[0]["pair"]["id"], name).model_dump(mode="json")]}
        httpx.post(f"{base}/judgments", json=body, headers=headers).raise_for_status()
    mine = httpx.get(f"{base}/me/judgments", headers={"Authorization": f"Bearer {ta}"}).json()
    assert {j["annotator"] for j in mine["judgments"]} == {a}


def test_tokens_never_reach_the_log(world: World) -> None:
    log = world.backend.server.log()
    assert "GET /v1/me" in log or "/v1/projects" in log  # the access log is on
    for token in world.tokens.values():
        assert token not in log
        assert token[3:20] not in log
    assert "internal error" not in log
