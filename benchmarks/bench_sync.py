"""Sync: how long 10,000 journaled judgments take to drain to the task server.

Method: a real ``rankterm serve`` process on a SQLite file, set up with the admin CLI (a
project per scenario, one annotator, a token, 10,000 pairs imported), and a journal of 10,000
judgments made offline (no acks). Three ways the outbox drains are timed:

- ``cli_sync``: ``rankterm sync JOURNAL`` in a fresh process, wall time to exit (it sends in
  batches of 500 and appends each batch's acks to the journal).
- ``reconnect_online``: the TUI's remote source (``open_remote``) opened on the journal while
  the server is up; time from opening until ``progress().pending_sync == 0`` and every
  judgment has an ``accepted`` ack in the journal.
- ``reconnect_after_outage``: the same source opened while the server is down (it starts
  offline and backs off 0.5, 1, 2, ... up to 10 s between attempts); after ``OUTAGE`` seconds
  the server starts; time from the server answering /v1/health to the outbox being empty.
  This is what an annotator sees after a network outage: retry backoff plus drain.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson

from common import emit, log, parse_args
from datagen import sized_pairs_file

JUDGMENTS = 10_000


class _Done(Exception):
    """Stop after the scenarios --quick runs."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin(db: str, *args: str) -> str:
    """``rankterm admin ...`` in this process (setup only: saves a process start per call)."""
    import contextlib
    import io

    from rankterm.commands.cli import _register_commands, app

    if not getattr(app, "_bench_registered", False):
        _register_commands()
        app._bench_registered = True  # type: ignore[attr-defined]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            app(args=["admin", *args, "--db", db], standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                failed = f"admin {args} failed: {out.getvalue()}{err.getvalue()}"
                raise RuntimeError(failed) from None
    return out.getvalue()


class Server:
    def __init__(self, db: str, log_path: Path) -> None:
        self.db, self.port, self.log_path = db, free_port(), log_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait until /v1/health answers; returns when that happened."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rankterm", "serve", "--db", self.db, "--port", str(self.port)],
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return time.perf_counter()
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def offline_journal(path: Path, annotator: str, count: int, seed: int) -> Path:
    """``count`` judgments on pairs p0000000.., as a journal with no acks yet."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with path.open("wb") as handle:
        for i in range(count):
            choice = rng.choice(["A", "B", "A", "B", "tie", "both_bad"])
            record = {
                "schema_version": 1,
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "created_at": (start + timedelta(seconds=i * 7)).isoformat().replace("+00:00", "Z"),
                "kind": "judgment",
                "pair_id": f"p{i:07d}",
                "annotator": annotator,
                "choice": choice,
                "strength": rng.randint(1, 3) if choice in ("A", "B") else None,
                "tags": [],
                "rationale": "",
                "flagged": False,
                "shown_swapped": rng.random() < 0.5,
                "duration_ms": rng.randint(2000, 30000),
                "guideline_version": None,
            }
            handle.write(orjson.dumps(record) + b"\n")
    return path


def accepted_acks(journal: Path) -> int:
    from rankterm.storage.journal import read_journal, replay

    state = replay(read_journal(journal))
    return sum(1 for ack in state.acks.values() if ack.status in ("accepted", "duplicate"))


def drain_remote(server: Server, project: str, token: str, journal: Path, timeout: float) -> dict:
    """Open the remote source on the journal; seconds until its outbox is empty."""
    from rankterm.sources.remote import open_remote

    opened = time.perf_counter()
    source, _guide, _issues = open_remote(
        server.url, project, token, annotator="alice", out=journal
    )
    try:
        pending_at_open = source.progress().pending_sync
        deadline = opened + timeout
        while source.progress().pending_sync:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"outbox not drained: {source.progress()}")
            time.sleep(0.02)
        drained = time.perf_counter()
    finally:
        source.close(flush_seconds=1.0)
    return {"opened": opened, "drained": drained, "pending_at_open": pending_at_open}


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    count = 1_000 if args.quick else JUDGMENTS
    outage = 20.0
    try:
        import fastapi  # noqa: F401
    except ImportError:
        emit("sync", {"judgments": count}, {"skipped": "server extra not installed"})
        return
    pairs = sized_pairs_file(count)
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="rankterm-sync-") as tmp:
        root = Path(tmp)
        db = f"sqlite:///{root / 'server.sqlite'}"
        # Offline verdicts made without leases: prior labels, which only an admin may import
        # (an annotator's verdict needs their lease on the pair).
        admin(db, "user", "add", "alice", "--role", "admin")
        token = admin(db, "token", "create", "alice").split()[0]
        scenarios = ("cli", "online") if args.quick else ("cli", "online", "outage")
        for name in scenarios:
            admin(db, "project", "create", name, "--overlap", "1")
        for name in scenarios:
            admin(db, "import", name, str(pairs))
        env = {
            **os.environ,
            "RANKTERM_TOKEN": token,
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "data"),
            "RANKTERM_CONFIG": str(root / "config.toml"),
        }
        os.environ.update({k: env[k] for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME")})
        os.environ["RANKTERM_CONFIG"] = env["RANKTERM_CONFIG"]
        server = Server(db, root / "server.log")
        try:
            server.start()
            journal = offline_journal(root / "cli.jsonl", "alice", count, seed=1)
            started = time.perf_counter()
            sync = ["sync", str(journal), "--server", server.url, "--project", "cli"]
            result = subprocess.run(
                [sys.executable, "-m", "rankterm", *sync],
                env=env,
                capture_output=True,
                timeout=1800,
            )
            wall = time.perf_counter() - started
            acked = accepted_acks(journal)
            figures["cli_sync"] = {
                "seconds": round(wall, 2),
                "judgments_per_s": round(count / wall, 1),
                "exit": result.returncode,
                "acked": acked,
            }
            log(f"cli sync: {figures['cli_sync']}")

            journal = offline_journal(root / "online.jsonl", "alice", count, seed=2)
            online = drain_remote(server, "online", token, journal, timeout=1800)
            seconds = online["drained"] - online["opened"]
            figures["reconnect_online"] = {
                "seconds": round(seconds, 2),
                "judgments_per_s": round(count / seconds, 1),
                "pending_at_open": online["pending_at_open"],
                "acked": accepted_acks(journal),
            }
            log(f"reconnect online: {figures['reconnect_online']}")
            server.stop()
            if args.quick:  # the outage scenario restarts the server: too slow for --quick
                raise _Done

            # Down when the source opens; up again OUTAGE seconds later.
            journal = offline_journal(root / "outage.jsonl", "alice", count, seed=3)
            import threading

            ready: dict[str, float] = {}

            def restart_later() -> None:
                time.sleep(outage)
                ready["at"] = server.start()

            restarter = threading.Thread(target=restart_later)
            restarter.start()
            outage_run = drain_remote(server, "outage", token, journal, timeout=1800)
            restarter.join()
            seconds = outage_run["drained"] - ready["at"]
            figures["reconnect_after_outage"] = {
                "outage_s": outage,
                "seconds_from_server_ready": round(seconds, 2),
                "pending_at_open": outage_run["pending_at_open"],
                "acked": accepted_acks(journal),
            }
            log(f"after outage: {figures['reconnect_after_outage']}")
        except _Done:
            pass
        finally:
            server.stop()
    params = {"judgments": count, "server_db": "sqlite", "outage_s": None if args.quick else outage}
    emit("sync", params, figures)


if __name__ == "__main__":
    main()
