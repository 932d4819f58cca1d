"""Remote ``annotate`` ends with the same exit codes as local mode: 4 when the person quits
with pairs left, 0 once the server has nothing more for them (run as a person would: the real
CLI on a pseudo-terminal against a real server process)."""

from __future__ import annotations

import pytest

from tests.helpers import pair_record, write_pairs
from tests.serverproc import ServerProcess, admin
from tests.tui.ptyrun import PtyApp

pytest.importorskip("fastapi")


@pytest.fixture
def project(tmp_path):
    db = f"sqlite:///{tmp_path / 'server.sqlite'}"
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    admin(db, "project", "create", "demo", "--overlap", "1")
    admin(db, "user", "add", "alice", "--role", "annotator")
    token = admin(db, "token", "create", "alice").split()[0]
    admin(db, "import", "demo", str(pairs))
    server = ServerProcess(db, log=tmp_path / "server.log").start()
    yield server, token
    server.stop()


def _run(server, token, tmp_path) -> PtyApp:
    args = ["annotate", "--server", server.url, "--project", "demo"]
    args += ["--out", str(tmp_path / "alice.jsonl")]
    return PtyApp(args, size=(100, 30), env={"RANKTERM_TOKEN": token})


def test_quitting_with_pairs_left_exits_4_and_finishing_exits_0(project, tmp_path):
    server, token = project
    app = _run(server, token, tmp_path)
    try:
        app.wait_for(b"pair-000", timeout=90)
        start = len(app.snapshot())
        app.send(b"1")
        app.wait_for(b"pair-001", start=start, timeout=60)
        app.send(b"q")
        code = app.wait_exit(timeout=90)
    finally:
        app.close()
    assert code == 4, app.snapshot()[-800:]

    app = _run(server, token, tmp_path)
    try:
        for pair_id in (b"pair-001", b"pair-002"):
            start = app.wait_for(pair_id, timeout=90)
            app.send(b"7")
        app.wait_for(b"All done", start=start, timeout=90)
        app.send(b"q")
        code = app.wait_exit(timeout=90)
    finally:
        app.close()
    assert code == 0, app.snapshot()[-800:]
