"""Memory per browser session of ``rankterm web``: how many annotators fit in a GB.

Method: a real ``rankterm serve`` (SQLite) with one project of 60 pairs and N annotators
(members, tokens), and a real ``rankterm web`` in front of it. Each annotator signs in over
HTTP (the sign-in form's POST) and opens the terminal websocket, exactly what the page's
script does, so the front starts their own ``rankterm annotate --server`` process under
Textual's web driver; the benchmark waits until each TUI has painted its first pair, then
presses three verdict keys in each session (0.9 s apart: the held-key window) and waits until
each status bar counts them. No browser is needed for this: the browser runs on the
annotator's laptop, and what the server pays for is the process per person plus the front.

Figures (MiB): each person's process RSS and PSS (PSS shares the pages the processes have in
common, e.g. the Python binary and libraries, out among them: what they really take together),
the front's RSS before any session and after N, and from those:

- ``per_session_mb`` = median process RSS + the front's growth per session;
- ``per_session_pss_mb`` = the same with PSS;
- ``annotators_per_gb`` = floor(1024 / per_session_mb) (RSS: the conservative figure), and
  ``annotators_per_gb_pss`` from PSS.

``--quick`` runs 2 sessions; the full run 8.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from common import emit, log, parse_args, proc_status_kb

PAIRS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin(db: str, *args: str) -> str:
    """``rankterm admin ...`` in this process (setup only: saves a process start per call)."""
    import io

    from rankterm.commands.cli import _register_commands, app

    if not getattr(app, "_bench_registered", False):
        _register_commands()
        app._bench_registered = True  # type: ignore[attr-defined]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            app(args=["admin", *args, "--db", db], standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                raise
    return out.getvalue()


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("RANKTERM_")}


def wait_http(url: str, proc: subprocess.Popen, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(x) for x in (task / "children").read_text().split()]
    return found


def pss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def session(url: str, token: str, total: int, presses: list[str]) -> dict[str, float]:
    """Sign in, open the terminal socket, wait for the first pair, judge, keep it open."""
    import aiohttp

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=60) as client:
        response = await client.post("/signin", data={"token": token, "mode": "annotate"})
        if response.status_code != 303:
            raise RuntimeError(f"sign-in: {response.status_code} {response.text[:200]}")
        cookie = response.cookies["rankterm_session"]
    http = aiohttp.ClientSession(cookies={"rankterm_session": cookie})
    ws = await http.ws_connect(url.replace("http", "ws") + "/ws?width=160&height=50")
    seen = bytearray()

    async def until(needle: bytes) -> None:
        async with asyncio.timeout(180):
            while needle not in seen:
                message = await ws.receive()
                if message.type == aiohttp.WSMsgType.BINARY:
                    seen.extend(message.data)
                elif message.type != aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"socket closed before {needle!r}")

    await until(f"0/{total}".encode())
    first_paint = time.monotonic() - started
    for done, key in enumerate(presses, start=1):
        await ws.send_str(json.dumps(["stdin", key]))
        await until(f"{done}/{total}".encode())
        await asyncio.sleep(0.9)
    return {"first_paint_s": first_paint, "ws": ws, "http": http}  # type: ignore[dict-item]


def mb(kb: float | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


async def measure(url: str, front_pid: int, tokens: list[str]) -> dict:
    base_rss = proc_status_kb(front_pid, "VmRSS")
    presses = ["2", "6", "3"]
    results = await asyncio.gather(*(session(url, t, PAIRS, presses) for t in tokens))
    await asyncio.sleep(2.0)  # let every TUI settle after its last paint
    pids = children(front_pid)
    rss = [proc_status_kb(p, "VmRSS") or 0 for p in pids]
    pss = [pss_kb(p) or 0 for p in pids]
    front_rss = proc_status_kb(front_pid, "VmRSS") or 0
    for result in results:
        await result["ws"].close()  # type: ignore[union-attr]
        await result["http"].close()  # type: ignore[union-attr]
    n = len(tokens)
    growth = (front_rss - (base_rss or 0)) / n
    per_session = statistics.median(rss) + growth
    per_session_pss = statistics.median(pss) + growth
    return {
        "sessions": n,
        "processes": len(pids),
        "verdicts_per_session": len(presses),
        "first_paint_s": {
            "median": round(statistics.median(r["first_paint_s"] for r in results), 2),  # type: ignore[misc]
            "max": round(max(r["first_paint_s"] for r in results), 2),  # type: ignore[type-var]
        },
        "child_rss_mb": {"median": mb(statistics.median(rss)), "max": mb(max(rss))},
        "child_pss_mb": {"median": mb(statistics.median(pss)), "max": mb(max(pss))},
        "front_rss_base_mb": mb(base_rss),
        "front_rss_mb": mb(front_rss),
        "front_growth_per_session_mb": mb(growth),
        "per_session_mb": mb(per_session),
        "per_session_pss_mb": mb(per_session_pss),
        "annotators_per_gb": math.floor(1024 / (per_session / 1024)),
        "annotators_per_gb_pss": math.floor(1024 / (per_session_pss / 1024)),
    }


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    n = 2 if args.quick else 8
    params = {"sessions": n, "pairs": PAIRS, "terminal": "160x50", "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="rankterm-web-") as tmp:
        root = Path(tmp)
        db = f"sqlite:///{root / 'server.sqlite'}"
        pairs = root / "pairs.jsonl"
        with pairs.open("w") as handle:
            for i in range(PAIRS):
                record = {"id": f"p{i:05d}", "prompt": f"question {i} " * 20}
                record |= {"response_a": f"answer a {i} " * 80, "response_b": f"answer b {i} " * 80}
                handle.write(json.dumps(record) + "\n")
        log(f"setting up a project of {PAIRS} pairs and {n} annotators")
        admin(db, "project", "create", "bench", "--overlap", str(n))
        admin(db, "import", "bench", str(pairs))
        tokens = []
        for i in range(n):
            admin(db, "user", "add", f"ann{i}")
            admin(db, "project", "add-member", "bench", f"ann{i}")
            tokens.append(admin(db, "token", "create", f"ann{i}").split()[0])
        server_port, web_port = free_port(), free_port()
        logs = (root / "server.log").open("wb"), (root / "web.log").open("wb")
        rankterm = [sys.executable, "-m", "rankterm"]
        server = subprocess.Popen(
            [*rankterm, "serve", "--db", db, "--port", str(server_port), "--log-level", "warning"],
            stdout=logs[0], stderr=subprocess.STDOUT, env=clean_env(), start_new_session=True,
        )  # fmt: skip
        front = subprocess.Popen(
            [*rankterm, "web", "--server", f"http://127.0.0.1:{server_port}", "--project",
             "bench", "--port", str(web_port), "--data-dir", str(root / "web"),
             "--max-sessions", str(n)],
            stdout=logs[1], stderr=subprocess.STDOUT, env=clean_env(), start_new_session=True,
        )  # fmt: skip
        try:
            wait_http(f"http://127.0.0.1:{server_port}/v1/health", server, "rankterm serve")
            url = f"http://127.0.0.1:{web_port}"
            wait_http(url + "/", front, "rankterm web")
            log(f"{n} sessions: sign in, first paint, 3 verdicts each")
            figures = asyncio.run(measure(url, front.pid, tokens))
        except Exception as exc:  # one JSON line even when it fails: the smoke test reads it
            tail = (root / "web.log").read_text(errors="replace")[-1500:]
            figures = {"error": f"{type(exc).__name__}: {exc}", "web_log": tail}
        finally:
            for proc in (front, server):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            for handle in logs:
                handle.close()
    emit("web", params, figures)


if __name__ == "__main__":
    main()
