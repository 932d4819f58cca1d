"""Hostile request bodies against a real server: prints ONE JSON line (name, params, figures).

Each attack is one POST to ``/v1/projects/P/judgments`` (or the route named) against a fresh
``rankterm serve``
process (one worker, 127.0.0.1), while another connection asks ``/v1/health`` back to back:

- ``bogus_token_empty_items``: a body of ``{}`` items just under the 32 MiB limit, with a
  token that belongs to nobody (issue 13: it took the server from 90 MB to 1.8 GB and held
  up every other request for 9 s);
- ``valid_token_empty_items``: the same body with a valid annotator token;
- ``valid_token_one_huge_string``: one item whose rationale is the whole body, the shape
  that costs the fixed server most (the body is read, then parsed, then refused by size);
- ``annotator_token_admin_guidelines``: a valid annotator token sends a 32 MB guideline text
  to the admin-only ``/guidelines`` (before the fix: read and parsed, ~3x its size, then 403;
  after: 403 before the body is read).

Figures per attack: the server's resident set before it and its peak during it (VmHWM,
reset just before the attack), the health requests' latency while it was in flight (p50 and
max, and how many were answered) and for one second just before it with no attack (this
machine's noise), the attack's status and duration.

``--baseline-src DIR`` also plays every attack against a server run from another source
tree (``git worktree add /tmp/old <commit>``, then ``--baseline-src /tmp/old/src``), in the
same run, alternating with the current code: figures under ``before`` and ``after``.

Usage: ``uv run python benchmarks/bench_attacks.py [--quick] [--baseline-src DIR]
[--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.server.conftest import ServerProcess  # noqa: E402

from common import add_backend_option, emit, log, on_each_backend, proc_status_kb  # noqa: E402

LIMIT = 32 * 1024 * 1024


def empty_items(size: int) -> bytes:
    n = (size - 20) // 3
    return b'{"judgments": [' + b"{}," * n + b"{}]}"


def one_huge_string(size: int) -> bytes:
    head = b'{"judgments": [{"pair_id": "p0", "choice": "tie", "rationale": "'
    tail = b'"}]}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def guidelines_huge_string(size: int) -> bytes:
    head = b'{"content": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


JUDGMENTS = "judgments"
#: name: (valid annotator token?, body maker, route under /v1/projects/P/).
ATTACKS = {
    "bogus_token_empty_items": (False, empty_items, JUDGMENTS),
    "valid_token_empty_items": (True, empty_items, JUDGMENTS),
    "valid_token_one_huge_string": (True, one_huge_string, JUDGMENTS),
    # An annotator's valid token on an admin route: refused (403) before the body is read.
    "annotator_token_admin_guidelines": (True, guidelines_huge_string, "guidelines"),
}


class Setup:
    """A project and an annotator written straight into the database."""

    def __init__(self, db_url: str) -> None:
        from rankterm.server import projects, users
        from rankterm.server.db import Database
        from rankterm.server.migrate import run_migrations
        from rankterm.server.schemas import ProjectCreate
        from rankterm.server.settings import resolve_db_url

        self.db = Database(resolve_db_url(db_url))
        run_migrations(self.db)
        self.project = f"atk{secrets.token_hex(3)}"
        name = f"u{secrets.token_hex(3)}"

        def work(conn: Any) -> str:
            projects.create_project(conn, ProjectCreate(name=self.project))
            users.add_user(conn, name, "annotator", {})
            return users.create_token(conn, name)

        self.token = self.db.write(work)


@contextmanager
def server_from(src: Path | None, db_url: str, log_path: Path):
    """A server process running the code in ``src`` (None: this checkout)."""
    saved = os.environ.get("PYTHONPATH")
    if src is not None:
        os.environ["PYTHONPATH"] = f"{src}{os.pathsep}{saved}" if saved else str(src)
    try:
        server = ServerProcess(db_url, log_path)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    try:
        yield server
    finally:
        server.stop()


def play(url: str, project: str, body: bytes, token: str, route: str) -> dict[str, Any]:
    outcome: dict[str, Any] = {"status": None}

    def attack() -> None:
        started = time.perf_counter()
        try:
            response = httpx.post(
                f"{url}/v1/projects/{project}/{route}",
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=300,
            )
            outcome["status"] = response.status_code
        except httpx.HTTPError as exc:
            outcome["status"] = f"closed ({type(exc).__name__})"
        outcome["attack_s"] = round(time.perf_counter() - started, 3)

    latencies: list[float] = []
    thread = threading.Thread(target=attack)
    with httpx.Client(timeout=120) as http:
        http.get(f"{url}/v1/health")
        # The same health requests with no attack, just before it: this machine's noise.
        idle: list[float] = []
        until = time.perf_counter() + 1.0
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            http.get(f"{url}/v1/health")
            idle.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.005)
        outcome["idle_health_p50_ms"] = round(statistics.median(idle), 2)
        outcome["idle_health_max_ms"] = round(max(idle), 2)
        thread.start()
        while thread.is_alive():
            t0 = time.perf_counter()
            http.get(f"{url}/v1/health")
            latencies.append(time.perf_counter() - t0)
            time.sleep(0.005)
    thread.join()
    ms = [x * 1000 for x in latencies]
    outcome["health_answered"] = len(ms)
    outcome["health_p50_ms"] = round(statistics.median(ms), 2) if ms else None
    outcome["health_max_ms"] = round(max(ms), 2) if ms else None
    return outcome


def measure(
    server: ServerProcess, setup: Setup, body: bytes, valid: bool, route: str = JUDGMENTS
) -> dict[str, Any]:
    pid = server.proc.pid
    before = (proc_status_kb(pid, "VmRSS") or 0) / 1024
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    token = setup.token if valid else "rt_" + secrets.token_hex(20)
    figures = play(server.url, setup.project, body, token, route)
    peak = (proc_status_kb(pid, "VmHWM") or 0) / 1024
    after = (proc_status_kb(pid, "VmRSS") or 0) / 1024
    figures.update(
        rss_before_mb=round(before, 1), rss_peak_mb=round(peak, 1), rss_after_mb=round(after, 1)
    )
    return figures


def run_attack(
    src: Path | None, db_url: str, setup: Setup, body: bytes, valid: bool, route: str
) -> dict:
    """One attack against a fresh server (one that earlier attacks have not grown)."""
    tmp = Path(tempfile.mkdtemp(prefix="rankterm-bench-attack-"))
    with server_from(src, db_url, tmp / "server.log") as server:
        time.sleep(0.5)  # let start-up settle
        return measure(server, setup, body, valid, route)


def run_backend(
    db_url: str, size: int, baseline: Path | None, quick: bool, only: list[str] | None = None
) -> dict[str, Any]:
    setup = Setup(db_url)
    attacks = {k: v for k, v in ATTACKS.items() if not only or k in only}
    results: dict[str, Any] = {name: {} for name in attacks}
    try:
        if quick and baseline is None:
            # Smoke mode: one server for every attack (the fixed code does not grow).
            tmp = Path(tempfile.mkdtemp(prefix="rankterm-bench-attack-"))
            with server_from(None, db_url, tmp / "server.log") as server:
                for name, (valid, make, route) in attacks.items():
                    results[name]["after"] = measure(server, setup, make(size), valid, route)
            return results
        for name, (valid, make, route) in attacks.items():
            body = make(size)
            # Alternate: the baseline first, then this code, attack by attack.
            if baseline is not None:
                log(f"{name}: baseline")
                results[name]["before"] = run_attack(baseline, db_url, setup, body, valid, route)
            log(f"{name}: this code")
            results[name]["after"] = run_attack(None, db_url, setup, body, valid, route)
        return results
    finally:
        setup.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="an 8 MiB body instead of 32 MiB")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        default=None,
        help="also run every attack against the code in this src directory (before/after)",
    )
    add_backend_option(parser, "which database (PostgreSQL needs RANKTERM_TEST_PG)")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(ATTACKS), default=None, help="run just these attacks"
    )
    args = parser.parse_args()
    if args.baseline_src is not None and not (args.baseline_src / "rankterm").is_dir():
        parser.error(f"--baseline-src {args.baseline_src}: no rankterm package there")
    size = (8 if args.quick else 32) * 1024 * 1024 - 4096
    results: dict[str, Any] = on_each_backend(
        parser,
        args.backend,
        lambda url: run_backend(url, size, args.baseline_src, args.quick, args.only),
    )
    emit(
        "attacks",
        {
            "quick": args.quick,
            "body_bytes": size,
            "baseline_src": str(args.baseline_src) if args.baseline_src else None,
            "backend": args.backend,
            "only": args.only,
        },
        results,
    )


if __name__ == "__main__":
    main()
