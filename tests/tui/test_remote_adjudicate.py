"""Adjudication against a real task server: the desk's cases come from the server's conflict
queue, and a resolution made on screen reaches the server exactly once."""

from __future__ import annotations

import uuid

import pytest

from rankterm.config import Settings
from rankterm.core.model import Choice, Judgment
from rankterm.guidelines import EMPTY
from rankterm.sources.adjudication import RemoteDesk
from rankterm.sources.client import TaskClient
from rankterm.storage.journal import Journal
from rankterm.tui.app import make_adjudicate_app
from tests.helpers import pair_record, write_pairs
from tests.serverproc import ServerProcess, admin

pytest.importorskip("fastapi")

#: pair -> (alice's verdict, bob's verdict); only opposite sides are conflicts.
VERDICTS = {"pair-000": ("A", "B"), "pair-001": ("A", "A"), "pair-002": ("B", "A")}


@pytest.fixture
def server_with_conflicts(tmp_path):
    db = f"sqlite:///{tmp_path / 'server.sqlite'}"
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    admin(db, "project", "create", "demo", "--overlap", "2", "--conflict-rule", "opposite_sides")
    tokens = {}
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("judy", "adjudicator")):
        admin(db, "user", "add", name, "--role", role)
        admin(db, "project", "add-member", "demo", name)
        tokens[name] = admin(db, "token", "create", name).split()[0]
    admin(db, "import", "demo", str(pairs))
    server = ServerProcess(db, log=tmp_path / "server.log").start()
    for k, name in enumerate(("alice", "bob")):
        with TaskClient(server.url, "demo", tokens[name]) as client:
            leased = [item.pair.id for item in client.lease(3).leases]
            assert sorted(leased) == sorted(VERDICTS)
            client.submit(
                [
                    Judgment(
                        id=uuid.uuid4(),
                        pair_id=pid,
                        annotator=name,
                        choice=VERDICTS[pid][k],
                        strength=2,
                        rationale=f"{name} on {pid}",
                    )
                    for pid in leased
                ]
            )
    yield server, tokens["judy"]
    server.stop()


async def test_remote_desk_resolves_on_the_server(server_with_conflicts, tmp_path):
    server, token = server_with_conflicts
    client = TaskClient(server.url, "demo", token)
    desk = RemoteDesk(client, Journal.open(tmp_path / "judy-adjudications.jsonl"), "judy")
    app = make_adjudicate_app(desk, Settings(annotator="judy"), EMPTY)
    async with app.run_test(size=(160, 50)) as pilot:
        for _ in range(200):  # the cases arrive from the server in a worker
            await pilot.pause(0.05)
            if getattr(app.screen, "cases", None) and app.screen.query_one("#verdicts").text:
                break
        screen = app.screen
        assert sorted(c.pair.id for c in screen.cases) == ["pair-000", "pair-002"]
        first = screen.case
        # Every annotator's verdict and rationale is on screen, side by side.
        verdicts = screen.query_one("#verdicts").text
        assert "alice" in verdicts and "bob" in verdicts
        assert f"alice on {first.pair.id}" in verdicts
        await pilot.press("r", *"A answers the question", "ctrl+s", "2")
        await pilot.pause(0.3)
        assert screen.case is not None and screen.case.pair.id != first.pair.id
        await pilot.press("q")
    desk.close()
    with TaskClient(server.url, "demo", token) as judge:
        assert [item.pair.id for item in judge.conflicts()] != [first.pair.id]
        done = {i.pair.id: i for i in judge.conflicts(include_resolved=True) if i.resolutions}
        assert list(done) == [first.pair.id]
        resolution = done[first.pair.id].resolutions[0]
        assert resolution.choice is Choice.A and resolution.strength == 2
        assert resolution.rationale == "A answers the question"
        assert resolution.adjudicator == "judy"


def test_remote_adjudication_opens_on_a_project_without_guidelines(server_with_conflicts, tmp_path):
    """A project need not have guidelines: the server answers 404 for them, and the desk
    must open with none (it exited 1 with a traceback-free but fatal error before)."""
    from rankterm.commands.adjudicate import _open_remote

    server, token = server_with_conflicts
    settings = Settings(server=server.url, project="demo", token=token, annotator="judy")
    desk, guide = _open_remote(settings, tmp_path / "judy.adjudications.jsonl", None)
    try:
        assert guide is EMPTY
        assert desk.guideline_version is None
    finally:
        desk.close()
