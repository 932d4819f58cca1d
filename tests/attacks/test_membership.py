"""Issue 13 item 8: a token reaches only the projects its user is a member of.

An annotator of project "other" points their client at a project they were never added to.
Before the fix every call worked (leases, verdicts, guidelines, progress); after it every call
on that project answers 404 exactly as for a project that does not exist, so not even the
project's existence leaks. Membership is per project, with a role, and removal takes effect on
the next request.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.server.conftest import Backend, judgment

P = "/v1/projects/{p}"


def _calls(name: str) -> list[tuple[str, str, object]]:
    pair = "p00001"
    return [
        ("GET", P, None),
        ("GET", P + "/guidelines", None),
        ("POST", P + "/leases", {"n": 5}),
        ("POST", P + "/leases/renew", {"lease_ids": [str(uuid.uuid4())]}),
        ("POST", P + "/leases/release", {"lease_ids": [str(uuid.uuid4())]}),
        ("POST", P + "/judgments", {"judgments": [judgment(pair, name).model_dump(mode="json")]}),
        ("POST", P + "/retractions", {"retractions": []}),
        ("POST", P + "/rankings", {"rankings": []}),
        ("GET", P + "/me/progress", None),
        ("GET", P + "/me/judgments", None),
        ("GET", P + f"/pairs/{pair}/comments", None),
        ("POST", P + f"/pairs/{pair}/comments", {"text": "hi"}),
    ]


def _call(backend: Backend, token: str, method: str, path: str, body: object) -> httpx.Response:
    return httpx.request(
        method,
        backend.url + path,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_a_non_member_gets_404_on_everything_of_the_project(backend: Backend) -> None:
    target = backend.project(n_pairs=10, overlap=2, guidelines="# secret guidelines")
    _, member_token = backend.user()
    other = backend.project(n_pairs=2)
    outsider, token = backend.user(member_of=[other])
    missing = f"nope{uuid.uuid4().hex[:6]}"
    reached = []
    for method, path, body in _calls(outsider):
        response = _call(backend, token, method, path.format(p=target), body)
        nowhere = _call(backend, token, method, path.format(p=missing), body)
        if response.status_code != 404:
            reached.append(f"{method} {path} -> {response.status_code}")
        else:
            # Indistinguishable from a project that does not exist.
            assert response.json()["detail"] == nowhere.json()["detail"].replace(missing, target)
    total = len(_calls(outsider))
    print(f"\n[{backend.name}] calls a non-member got through: {len(reached)} of {total} {reached}")
    assert reached == []
    listed = _call(backend, token, "GET", "/v1/projects", None).json()
    assert [p["name"] for p in listed] == [other]
    # Nothing of the member's queue was taken.
    response = _call(backend, member_token, "POST", P.format(p=target) + "/leases", {"n": 10})
    assert len(response.json()["leases"]) == 10


def test_adjudicators_and_members_roles_are_per_project(backend: Backend) -> None:
    project = backend.project(n_pairs=2, overlap=2)
    other = backend.project(n_pairs=2)
    _, judge = backend.user("adjudicator", member_of=[other])
    path = P.format(p=project) + "/conflicts"
    assert _call(backend, judge, "GET", path, None).status_code == 404
    progress = P.format(p=project) + "/progress"
    assert _call(backend, judge, "GET", progress, None).status_code == 404
    # An adjudicator added as an annotator of this project may annotate but not adjudicate.
    name, token = backend.user("adjudicator", member_of=[])
    backend.add_member(project, name, "annotator")
    assert _call(backend, token, "GET", path, None).status_code == 403
    leased = _call(backend, token, "POST", P.format(p=project) + "/leases", {"n": 1})
    assert leased.status_code == 200 and len(leased.json()["leases"]) == 1
    mine = [leased.json()["leases"][0]["lease_id"]]
    _call(backend, token, "POST", P.format(p=project) + "/leases/release", {"lease_ids": mine})
    # Two annotators disagree on a pair: a conflict, whose thread adjudicators may read.
    for choice in ("A", "B"):
        who, their = backend.user(member_of=[project])
        _call(backend, their, "POST", P.format(p=project) + "/leases", {"n": 2})
        pair = "p00000"
        body = {"judgments": [judgment(pair, who, choice).model_dump(mode="json")]}
        _call(backend, their, "POST", P.format(p=project) + "/judgments", body)
    thread = P.format(p=project) + f"/pairs/{pair}/comments"
    # As an annotator who did not judge it: the 404 of no such pair (no id oracle).
    assert _call(backend, token, "GET", thread, None).status_code == 404
    backend.add_member(project, name, "adjudicator")  # changes the role
    assert _call(backend, token, "GET", path, None).status_code == 200
    assert _call(backend, token, "GET", thread, None).status_code == 200


def test_removing_a_member_takes_effect_on_the_next_request(backend: Backend) -> None:
    from rankterm.server import members
    from rankterm.server.core import get_project, get_user

    project = backend.project(n_pairs=4, overlap=1)
    name, token = backend.user()
    path = P.format(p=project) + "/leases"
    assert len(_call(backend, token, "POST", path, {"n": 2}).json()["leases"]) == 2

    def remove(conn):
        members.remove_member(conn, get_project(conn, project), get_user(conn, name))

    backend.db.write(remove)
    assert _call(backend, token, "POST", path, {"n": 2}).status_code == 404
    assert (
        _call(backend, token, "GET", P.format(p=project) + "/me/progress", None).status_code == 404
    )


@pytest.mark.parametrize("role", ["admin"])
def test_admins_reach_every_project(backend: Backend, role: str) -> None:
    project = backend.project(n_pairs=2)
    _, token = backend.user(role, member_of=[])
    assert _call(backend, token, "GET", P.format(p=project) + "/progress", None).status_code == 200
    assert _call(backend, token, "GET", P.format(p=project) + "/export", None).status_code == 200
