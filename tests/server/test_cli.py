"""The admin CLI against a real database, and ``rankterm sync`` against a real server."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from rankterm.commands.cli import _register_commands, app
from rankterm.core.errors import RanktermError
from rankterm.core.model import Ack, Retraction
from rankterm.sources.client import TaskClient
from rankterm.storage.journal import Journal, read_journal, replay
from tests.server.conftest import Backend, judgment

_register_commands()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    if isinstance(result.exception, RanktermError):
        return result.exception.exit_code, result.stdout, str(result.exception)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_admin_workflow(tmp_path) -> None:
    db = str(tmp_path / "admin.db")
    assert run("admin", "migrate", "--db", db)[0] == 0
    code, out, _ = run(
        "admin",
        "project",
        "create",
        "helpful",
        "--overlap",
        "2",
        "--db",
        db,
        "--tag",
        "hallucination",
        "--conflict-rule",
        "opposite_sides",
    )
    assert (code, out.strip()) == (0, "created project helpful")
    code, _, err = run("admin", "project", "create", "helpful", "--db", db)
    assert code == 1 and "already exists" in err
    code, _, err = run("admin", "project", "create", "bad", "--overlap", "0", "--db", db)
    assert code == 2 and "overlap" in err
    profile = tmp_path / "profile.json"
    profile.write_text('{"region": "EU", "languages": ["de", "en"]}')
    assert run("admin", "user", "add", "alice", "--profile", str(profile), "--db", db)[0] == 0
    assert run("admin", "user", "add", "root", "--role", "admin", "--db", db)[0] == 0
    code, _, err = run("admin", "user", "add", "eve", "--role", "king", "--db", db)
    assert code == 2 and "role" in err
    code, out, _ = run("admin", "token", "create", "alice", "--db", db)
    token = out.strip()
    assert code == 0 and token.startswith("rt_") and len(token) > 40
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        '{"id": "a", "prompt": "p", "response_a": "x", "response_b": "y"}\n'
        "broken\n"
        '{"id": "b", "prompt": "p", "response_a": "x"}\n'
        '{"id": "c", "prompt": "p", "response_a": "x", "response_b": "y", "gold": "B"}\n'
    )
    code, out, err = run("admin", "import", "helpful", str(pairs), "--db", db)
    assert code == 4 and "2 added, 0 already present, 2 invalid" in out  # INCOMPLETE
    assert "pairs.jsonl:2: invalid JSON" in err and "pairs.jsonl:3: response_b" in err
    assert "2 already present" in run("admin", "import", "helpful", str(pairs), "--db", db)[1]
    guide = tmp_path / "g.md"
    guide.write_text("# Prefer the honest answer\n")
    assert run("admin", "guidelines", "helpful", str(guide), "--db", db)[0] == 0
    assert run("admin", "project", "set", "helpful", "--overlap", "3", "--db", db)[0] == 0
    assert run("admin", "project", "set", "helpful", "--repeat-gap", "5", "--db", db)[0] == 0
    code, out, _ = run("admin", "project", "show", "helpful", "--db", db)
    assert "overlap = 3" in out and "progress.gold_pairs = 1" in out
    assert "repeat_gap = 5" in out
    code, _, err = run("admin", "project", "create", "gap", "--repeat-gap", "-1", "--db", db)
    assert code == 2 and "repeat-gap" in err
    assert "helpful" in run("admin", "project", "list", "--db", db)[1]
    assert "alice\tannotator" in run("admin", "user", "list", "--db", db)[1]
    # Membership: who may work in the project, in which role.
    assert run("admin", "project", "members", "helpful", "--db", db)[1].strip() == "(no members)"
    code, out, _ = run("admin", "project", "add-member", "helpful", "alice", "--db", db)
    assert (code, out.strip()) == (0, "alice is a member of helpful (annotator)")
    boss = ("--role", "boss")
    code, _, err = run("admin", "project", "add-member", "helpful", "alice", *boss, "--db", db)
    assert code == 2 and "member role" in err
    code, _, err = run("admin", "project", "add-member", "helpful", "nobody", "--db", db)
    assert code == 1 and "no user named 'nobody'" in err
    assert run("admin", "project", "members", "helpful", "--db", db)[1] == "alice\tannotator\n"
    assert run("admin", "project", "set", "helpful", "--max-leases", "5", "--db", db)[0] == 0
    assert "max_leases = 5" in run("admin", "project", "show", "helpful", "--db", db)[1]
    out_file = tmp_path / "export.ndjson"
    assert run("admin", "export", "helpful", "-o", str(out_file), "--db", db)[0] == 0
    kinds = [orjson.loads(line)["kind"] for line in out_file.read_bytes().splitlines()]
    assert kinds == ["project", "guidelines", "pair", "pair"]
    code, _, err = run("admin", "export", "nope", "-o", str(tmp_path / "nope.ndjson"), "--db", db)
    assert code == 1 and "no project named 'nope'" in err
    assert run("admin", "token", "revoke", "alice", "--db", db)[1].startswith("revoked 1")
    code, out, _ = run("admin", "project", "remove-member", "helpful", "alice", "--db", db)
    assert (code, out.strip()) == (0, "removed alice from helpful")
    code, _, err = run("admin", "project", "remove-member", "helpful", "alice", "--db", db)
    assert code == 1 and "not a member" in err
    assert token not in (tmp_path / "admin.db").read_bytes().decode(errors="replace")


def test_env_database_and_bad_urls(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RANKTERM_DB", str(tmp_path / "env.db"))
    assert run("admin", "project", "create", "viaenv")[0] == 0
    assert (tmp_path / "env.db").exists()
    code, _, err = run("admin", "migrate", "--db", "mysql://x@y/z")
    assert code == 2 and "unsupported database" in err
    code, _, err = run("admin", "migrate", "--db", "postgresql://u:secret@127.0.0.1:1/x")
    assert code == 1 and "cannot use database" in err and "secret" not in err


@pytest.fixture
def journal_setup(sqlite_backend: Backend, tmp_path):
    project = sqlite_backend.project(n_pairs=5, overlap=2)
    name, token = sqlite_backend.user()
    path = tmp_path / "offline.jsonl"
    return sqlite_backend, project, name, token, path


def test_sync_pushes_a_journal_and_records_receipts(journal_setup, monkeypatch) -> None:
    backend, project, name, token, path = journal_setup
    with TaskClient(backend.url, project, token) as c:  # the session that made the journal
        assert len(c.lease(4).leases) == 4
    made = [judgment(f"p{i:05d}", name) for i in range(4)]
    stray = judgment("no-such-pair", name)
    undo = Retraction(retracts=made[0].id, pair_id=made[0].pair_id, annotator=name)
    with Journal.open(path) as journal:
        journal.append_many([*made, stray, undo])
    monkeypatch.setenv("RANKTERM_TOKEN", token)
    args = ["sync", str(path), "--server", backend.url, "--project", project, "--batch", "2"]
    code, out, err = run(*args)
    assert code == 4, (out, err)
    assert "4 accepted" in out or "5 judgments and 1 retractions sent: 5 accepted" in out
    assert "no lease on pair 'no-such-pair'" in err
    assert token not in out + err
    state = replay(read_journal(path))
    assert set(state.acks) == {j.id for j in made} | {stray.id, undo.id}
    assert state.acks[stray.id].status == "rejected"
    assert not state.unacked()
    code, out, _ = run(*args)
    assert code == 0 and "0 judgments and 0 retractions sent" in out
    assert all(isinstance(e, Ack) or e.kind != "ack" for e in read_journal(path))


def test_sync_needs_a_token_and_a_server(tmp_path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text("")
    code, _, err = run("sync", str(path), "--server", "http://127.0.0.1:1", "--project", "x")
    assert code == 2 and "RANKTERM_TOKEN" in err
    code, _, err = run("sync", str(path), "--project", "x", env={"RANKTERM_TOKEN": "t"})
    assert code == 2 and "no server" in err


def test_sync_pushes_rankings_with_their_comparisons(sqlite_backend, tmp_path, monkeypatch) -> None:
    """A K-way ranking goes out whole; the undo of a comparison stays local (#16)."""
    import uuid as _uuid

    from rankterm.core.model import Choice, Comparison, Ranking
    from tests.server.rank_helpers import make_rank_tasks

    project = sqlite_backend.project(overlap=1)
    sqlite_backend.add_pairs(project, make_rank_tasks(1, k=3))
    name, token = sqlite_backend.user()
    with TaskClient(sqlite_backend.url, project, token) as c:
        assert len(c.lease(1).leases) == 1
    attempt = _uuid.uuid4()

    def compare(a: int, b: int) -> Comparison:
        return Comparison(
            pair_id="r00000", annotator=name, ranking_id=attempt, a=a, b=b, choice=Choice.A,
            strength=2,
        )  # fmt: skip

    first, undone, second = compare(0, 1), compare(1, 2), compare(1, 2)
    ranking = Ranking(
        pair_id="r00000",
        annotator=name,
        ranking_id=attempt,
        k=3,
        order=[[0], [1], [2]],
        comparisons=[first.id, second.id],
    )
    path = tmp_path / "ranked.jsonl"
    with Journal.open(path) as journal:
        journal.append_many([first, undone])
        journal.append(Retraction(retracts=undone.id, pair_id="r00000", annotator=name))
        journal.append_many([second, ranking])
    monkeypatch.setenv("RANKTERM_TOKEN", token)
    args = ["sync", str(path), "--server", sqlite_backend.url, "--project", project]
    code, out, err = run(*args)
    assert code == 0, (out, err)
    assert "0 judgments, 1 rankings and 0 retractions sent: 1 accepted" in out
    assert replay(read_journal(path)).acks[ranking.id].status == "accepted"
    code, out, _ = run(*args)
    assert code == 0 and "0 judgments and 0 retractions sent" in out
