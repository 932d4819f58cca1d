"""Own versus other people's data on the task server, and tokens kept out of every message.

tests/server/test_roles.py checks every endpoint x role; this adds the other axis: a valid
token used on someone else's records (their judgments, leases, project) must change nothing of
theirs, and no token may appear in an error message, a log line or a file the client writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from rankterm.core.model import Retraction
from rankterm.sources.client import (
    AuthError,
    NotFoundError,
    RetryPolicy,
    ServerUnavailable,
    TaskClient,
)
from rankterm.storage.journal import encode
from tests.reliability.serverstack import Stack, make_pairs, stack
from tests.server.conftest import free_port, judgment

ONCE = RetryPolicy(attempts=1)


@dataclass
class World:
    s: Stack
    tokens: dict[str, str]
    tmp: Path

    def client(self, who: str, project: str = "alpha") -> TaskClient:
        return TaskClient(self.s.url, project, self.tokens[who], retry=ONCE, timeout=30)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("authz")
    with stack("sqlite", tmp) as s:
        s.project("alpha", make_pairs(10, "a"), overlap=2, guidelines="# Alpha rules")
        s.project("beta", make_pairs(10, "b"), overlap=2)
        tokens = {name: s.user(name) for name in ("alice", "bob")}
        tokens["root"] = s.user("root", "admin")
        # Members of another project only: the matrix's "member of another project" column.
        tokens["mallory"] = s.user("mallory", member_of=["beta"])
        tokens["judge"] = s.user("judge", "adjudicator", member_of=["beta"])
        tokens["alice-judge"] = s.user("alice-judge", "adjudicator")
        yield World(s, tokens, tmp)


def test_a_judgment_in_someone_elses_name_is_rejected(world):
    with world.client("bob") as bob:
        forged = judgment("a00001", "alice")
        (ack,) = bob.submit([forged])
        assert ack.status == "rejected" and "not the token's user" in ack.reason
    with world.client("alice") as alice:
        assert alice.progress()["judged"] == 0


def test_someone_elses_judgment_cannot_be_retracted_or_overwritten(world):
    with world.client("alice") as alice:
        pair_id = alice.lease(1).leases[0].pair.id
        original = judgment(pair_id, "alice", choice="A")
        assert [a.status for a in alice.submit([original])] == ["accepted"]
    with world.client("bob") as bob:
        undo = Retraction(retracts=original.id, pair_id=pair_id, annotator="bob")
        (ack,) = bob.retract([undo])
        assert ack.status == "rejected", ack
        # The same id under bob's name: never replaces alice's record, and bob is told.
        bob.lease(10)
        clash = judgment(pair_id, "bob", choice="B", id=original.id)
        (ack,) = bob.submit([clash])
        assert ack.status == "rejected" and "another annotator" in ack.reason, ack
    exported = httpx.get(
        f"{world.s.url}/v1/projects/alpha/export",
        headers={"Authorization": f"Bearer {world.tokens['root']}"},
        timeout=30,
    )
    assert exported.status_code == 200, exported.text
    lines = map(orjson.loads, exported.content.splitlines())
    records = [r for r in lines if r.get("id") == str(original.id)]
    assert len(records) == 1
    assert records[0]["annotator"] == "alice" and records[0]["choice"] == "A"
    assert not records[0].get("retracted", False)


def test_someone_elses_leases_cannot_be_renewed_or_released(world):
    with world.client("alice") as alice:
        held = alice.lease(2).leases
        ids = [i.lease_id for i in held]
    with world.client("bob") as bob:
        assert {s.status for s in bob.renew(ids)} == {"unknown"}
        assert {s.status for s in bob.release(ids)} == {"unknown"}
    with world.client("alice") as alice:
        assert [s.status for s in alice.renew(ids)] == ["renewed", "renewed"]
        alice.release(ids)


def test_records_sent_to_another_project_touch_nothing_there(world):
    with world.client("alice", "alpha") as alice:
        held = alice.lease(1).leases
        mine = judgment(held[0].pair.id, "alice")
        assert [a.status for a in alice.submit([mine])] == ["accepted"]
    with world.client("alice", "beta") as other:
        assert {s.status for s in other.renew([held[0].lease_id])} == {"unknown"}
        (ack,) = other.submit([judgment("a00009", "alice")])  # alpha's pair id, beta's door
        assert ack.status == "rejected", ack
        (ack,) = other.retract(
            [Retraction(retracts=mine.id, pair_id=mine.pair_id, annotator="alice")]
        )
        assert ack.status == "rejected", ack
        assert other.progress()["judged"] == 0
    with world.client("alice", "gamma") as nowhere, pytest.raises(NotFoundError):
        nowhere.progress()


# -- the matrix: endpoint x (member, member of another project, no such project) ---------------

A = "/v1/projects/{p}"
#: (method, path, body, the project-role needed). Every call that names a project.
PROJECT_CALLS = [
    ("GET", A, None, "annotator"),
    ("GET", A + "/guidelines", None, "annotator"),
    ("POST", A + "/leases", {"n": 1}, "annotator"),
    (
        "POST",
        A + "/leases/renew",
        {"lease_ids": ["6f1c8f0e-3a5b-4c1e-9d8a-6b0c2f7e4a11"]},
        "annotator",
    ),
    ("POST", A + "/leases/release", {"lease_ids": []}, "annotator"),
    ("POST", A + "/judgments", {"judgments": []}, "annotator"),
    ("POST", A + "/retractions", {"retractions": []}, "annotator"),
    ("GET", A + "/me/progress", None, "annotator"),
    ("GET", A + "/me/judgments", None, "annotator"),
    ("GET", A + "/pairs/a00001/comments", None, "annotator"),
    ("POST", A + "/pairs/a00001/comments", {"text": "hi"}, "annotator"),
    ("GET", A + "/progress", None, "adjudicator"),
    ("GET", A + "/stats", None, "adjudicator"),
    ("GET", A + "/conflicts", None, "adjudicator"),
    ("POST", A + "/resolutions", {"resolutions": []}, "adjudicator"),
]


@pytest.mark.parametrize("column", ["member", "member of another project", "no such project"])
@pytest.mark.parametrize(("method", "path", "body", "needs"), PROJECT_CALLS)
def test_authorization_matrix(world, method, path, body, needs, column):
    """A member gets through (comments: 404 on a pair they did not judge); a member of another
    project gets exactly the 404 of a project that does not exist, on every call."""
    who = {"annotator": ("alice", "mallory"), "adjudicator": ("alice-judge", "judge")}[needs]
    token = world.tokens[who[0] if column != "member of another project" else who[1]]
    project = "gamma" if column == "no such project" else "alpha"
    response = httpx.request(
        method,
        world.s.url + path.format(p=project),
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if column == "member":
        allowed = {200, 201, 404} if "/comments" in path else {200, 201}
        assert response.status_code in allowed, response.text
    else:
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == f"no project named {project!r}"


def test_revoked_token_is_refused_everywhere(world):
    """Revocation takes effect on the next request (the server caches no tokens); from then
    on every call is refused."""
    from rankterm.server import users

    token = world.s.user("carol")
    with TaskClient(world.s.url, "alpha", token, retry=ONCE) as carol:
        assert carol.me()["name"] == "carol"
        world.s.db.write(lambda conn: users.revoke_tokens(conn, "carol"))
        for call in (carol.me, carol.progress, lambda: carol.lease(1)):
            with pytest.raises(AuthError) as caught:
                call()
            assert token not in str(caught.value)


# -- tokens out of messages, logs and files -----------------------------------------------------


def test_client_errors_and_repr_never_show_the_token(world):
    secret = world.tokens["alice"]
    bogus = "rt_" + "x" * 40
    with TaskClient(world.s.url, "alpha", bogus, retry=ONCE) as c, pytest.raises(AuthError) as e:
        c.me()
    assert bogus not in str(e.value) and bogus not in repr(e.value)
    dead = f"http://127.0.0.1:{free_port()}"
    with TaskClient(dead, "alpha", secret, retry=ONCE) as c:
        assert secret not in repr(c)
        with pytest.raises(ServerUnavailable) as e:
            c.lease(1)
    assert secret not in str(e.value) and secret not in repr(e.value)


def cli(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RANKTERM_")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "rankterm", *args],
        capture_output=True, text=True, env=full, cwd=cwd, timeout=180,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("case", ["bad-token", "no-such-project", "server-down"])
def test_cli_failures_against_the_server_never_print_the_token(world, tmp_path, case):
    token = world.tokens["alice"] if case != "bad-token" else "rt_" + "y" * 40
    url = world.s.url if case != "server-down" else f"http://127.0.0.1:{free_port()}"
    project = "nope" if case == "no-such-project" else "alpha"
    env = {
        "RANKTERM_TOKEN": token,
        "RANKTERM_CONFIG": str(tmp_path / "config.toml"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    journal = tmp_path / "j.jsonl"
    journal.write_bytes(encode(judgment("a00003", "alice")))  # one verdict made offline
    done = cli(env, "sync", str(journal), "--server", url, "--project", project, cwd=tmp_path)
    text = done.stdout + done.stderr
    assert done.returncode != 0, text
    assert "Traceback" not in text, text
    assert token not in text and token[3:20] not in text, text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), f"token written to {path}"


def test_server_log_never_holds_a_token_after_all_of_the_above(world):
    log = world.s.log.read_text(errors="replace")
    assert log, "the server wrote no log"
    for token in world.tokens.values():
        assert token not in log and token[3:20] not in log
