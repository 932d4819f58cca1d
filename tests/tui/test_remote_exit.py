"""Remote ``annotate`` ends with the same exit codes as local mode: 4 when the person quits
with pairs left, 0 once the server has nothing more for them (run as a person would: the real
CLI on a pseudo-terminal against a real server process)."""

from __future__ import annotations

import time

import pytest

from tests.serverproc import alice_project
from tests.tui.ptyrun import PtyApp

pytest.importorskip("fastapi")


@pytest.fixture
def project(tmp_path):
    with alice_project(tmp_path, 3) as running:
        yield running


def _run(server, token, tmp_path) -> PtyApp:
    args = ["annotate", "--server", server.url, "--project", "demo"]
    args += ["--out", str(tmp_path / "alice.jsonl")]
    return PtyApp(args, size=(100, 30), env={"RANKTERM_TOKEN": token})


def _judged(tmp_path) -> int:
    journal = tmp_path / "alice.jsonl"
    return journal.read_text().count('"kind":"judgment"') if journal.exists() else 0


def _wait_judged(tmp_path, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _judged(tmp_path) < n:
        assert time.monotonic() < deadline, f"{_judged(tmp_path)} judged, waited for {n}"
        time.sleep(0.05)


def test_quitting_with_pairs_left_exits_4_and_finishing_exits_0(project, tmp_path):
    # A leased batch comes in random order (the order must not tell gold or repeats apart),
    # so the test goes by what the journal holds, not by which pair comes first.
    server, token = project
    app = _run(server, token, tmp_path)
    try:
        app.wait_for(b"pair-00", timeout=90)
        app.send(b"1")
        _wait_judged(tmp_path, 1)
        app.send(b"q")
        code = app.wait_exit(timeout=90)
    finally:
        app.close()
    assert code == 4, app.snapshot()[-800:]

    app = _run(server, token, tmp_path)
    try:
        start = app.wait_for(b"pair-00", timeout=90)
        for n, key in ((2, b"7"), (3, b"6")):  # two keys: one key twice at once is held
            time.sleep(0.3)  # the pair is on screen before the key
            app.send(key)
            _wait_judged(tmp_path, n)
        app.wait_for(b"All done", start=start, timeout=90)
        app.send(b"q")
        code = app.wait_exit(timeout=90)
    finally:
        app.close()
    assert code == 0, app.snapshot()[-800:]
