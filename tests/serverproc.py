"""A real ``rankterm serve`` process on 127.0.0.1 for tests, and admin CLI helpers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin(db: str, *args: str) -> str:
    """Run ``rankterm admin ...`` against a database; returns stdout, raises on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "rankterm", "admin", *args, "--db", db],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise AssertionError(f"admin {args} failed: {result.stdout}\n{result.stderr}")
    return result.stdout


class ServerProcess:
    def __init__(self, db: str, port: int | None = None, log: Path | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.log = log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rankterm", "serve", "--db", self.db, "--port", str(self.port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not become ready")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def alice_project(
    tmp_path: Path, pairs: int | list[dict], *options: str, project: str = "demo"
) -> Iterator[tuple[ServerProcess, str]]:
    """A server process on a fresh SQLite database holding ``project`` (created with
    ``options``, by default overlap 1) of ``pairs`` (records, or how many plain ones) and its one
    annotator, ``alice``, set up with the admin CLI as an operator would; yields the running
    server and alice's token, and stops the server after."""
    from tests.helpers import pair_record, write_pairs

    records = [pair_record(i) for i in range(pairs)] if isinstance(pairs, int) else pairs
    db = f"sqlite:///{tmp_path / 'server.sqlite'}"
    path = write_pairs(tmp_path / "pairs.jsonl", records)
    admin(db, "project", "create", project, *(options or ("--overlap", "1")))
    admin(db, "user", "add", "alice", "--role", "annotator")
    admin(db, "project", "add-member", project, "alice")
    token = admin(db, "token", "create", "alice").split()[0]
    admin(db, "import", project, str(path))
    server = ServerProcess(db, log=tmp_path / "server.log").start()
    try:
        yield server, token
    finally:
        server.stop()
