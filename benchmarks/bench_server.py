"""Task server benchmark: prints ONE JSON line (name, params, figures, machine).

Figures, on SQLite and (with RANKTERM_TEST_PG) on PostgreSQL, each against a real
``rankterm serve`` process on 127.0.0.1:

- ``judgments_per_s_batched``: one client submitting leased judgments in batches of 500;
- ``single_req_per_s_1`` / ``_4``: one judgment per request from 1 and 4 concurrent clients;
- ``lease_ms_{1,10,100}``: p50/p99 of lease(10) with that many annotators, each leasing 10
  and then submitting one judgment every ``think_s_per_judgment`` seconds (a fast annotator);
- ``lease_ms_alone``: one annotator leasing 10 and releasing them, back to back: the lease's
  own latency (p50 of many samples) and the server's CPU ms per lease and release;
- ``lease_ms_alone_informative``: the same in a project with the ``informative`` order and
  extra slots on conflict (scores refreshed in the background as a server does), measured in
  rounds alternating with ``lease_ms_alone_priority`` (the same in priority order) so that
  both see the same machine; ``informative_over_priority`` is the ratio of their p50s;
- ``lease_ms_100_closed_loop``: 100 annotators leasing and batch-submitting back to back with
  no pause at all (pure queueing: the latency is the queue length, not the lease);
- ``server_cpu_*``: the server process's CPU time per unit of work, which a busy machine
  disturbs far less than the rates;
- ``server_rss_mb`` / ``server_peak_rss_mb``: the server process after / at most during it.

Usage: ``uv run python benchmarks/bench_server.py [--quick]``. The load generator runs on the
same machine as the server, so on a small machine the figures are lower bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server.conftest import ServerProcess  # noqa: E402

from common import add_backend_option, emit, on_each_backend, proc_cpu_s  # noqa: E402


def _judgment(pair_id: str, annotator: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "pair_id": pair_id,
        "annotator": annotator,
        "choice": "A",
        "strength": 2,
        "duration_ms": 1234,
    }


def rss_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return round(values["VmRSS"], 1), round(values["VmHWM"], 1)


class Setup:
    """Users, projects and pairs written straight into the database, as the admin CLI does."""

    def __init__(self, db_url: str) -> None:
        from rankterm.server.db import Database
        from rankterm.server.migrate import run_migrations
        from rankterm.server.settings import resolve_db_url

        self.db = Database(resolve_db_url(db_url))
        run_migrations(self.db)
        self.projects: list[str] = []

    def users(self, n: int) -> list[tuple[str, str]]:
        """Annotators, members of the projects made so far."""
        from rankterm.server import users
        from rankterm.server.core import get_project, get_user

        try:
            from rankterm.server import members
        except ImportError:  # a server from before project membership (a same-run baseline)
            members = None
        made = []
        for _ in range(n):
            name = f"u{secrets.token_hex(4)}"

            def work(conn: Any, name: str = name) -> str:
                users.add_user(conn, name, "annotator")
                for project in self.projects if members else ():
                    members.add_member(conn, get_project(conn, project), get_user(conn, name))
                return users.create_token(conn, name)

            made.append((name, self.db.write(work)))
        return made

    def project(self, n_pairs: int, overlap: int, signals: bool = False, **settings: Any) -> str:
        """A project of ``n_pairs``; with ``signals``, each pair has two models and reward
        scores (what the informative order reads)."""
        from rankterm.core.model import Pair
        from rankterm.server import projects
        from rankterm.server.core import get_project
        from rankterm.server.schemas import ProjectCreate

        name = f"bench{secrets.token_hex(3)}"
        # No cap on live leases: the batched figure leases the whole project first.
        cap = {"max_leases": n_pairs} if "max_leases" in ProjectCreate.model_fields else {}
        spec = ProjectCreate(name=name, overlap=overlap, lease_ttl=3600, **cap, **settings)
        self.db.write(lambda conn: projects.create_project(conn, spec))
        rng = random.Random(n_pairs)
        pairs = [
            (
                i,
                Pair(
                    id=f"q{i:07d}",
                    prompt=f"prompt {i} " * 20,
                    response_a="a " * 200,
                    response_b="b " * 200,
                    **(
                        {
                            "model_a": f"m{i % 5}",
                            "model_b": f"m{(i + 1 + i // 5) % 5}",
                            "metadata": {"reward_a": rng.gauss(0, 2), "reward_b": rng.gauss(0, 2)},
                        }
                        if signals
                        else {}
                    ),
                ),
            )
            for i in range(n_pairs)
        ]
        for start in range(0, n_pairs, 5000):
            chunk = pairs[start : start + 5000]
            self.db.write(
                lambda conn, c=chunk: projects.import_pairs(conn, get_project(conn, name), c)
            )
        self.db.refresh_statistics("pairs", n_pairs)  # as `rankterm admin import` does
        self.projects.append(name)
        return name


def batched_ingest(url: str, setup: Setup, n: int) -> float:
    project = setup.project(n, overlap=1)
    ((name, token),) = setup.users(1)
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{url}/v1/projects/{project}"
    with httpx.Client(headers=headers, timeout=120) as http:
        pair_ids = []
        while len(pair_ids) < n:
            got = http.post(f"{base}/leases", json={"n": 500}).json()["leases"]
            if not got:
                break
            pair_ids += [item["pair"]["id"] for item in got]
        bodies = [
            orjson.dumps({"judgments": [_judgment(p, name) for p in pair_ids[i : i + 500]]})
            for i in range(0, len(pair_ids), 500)
        ]
        start = time.perf_counter()
        for body in bodies:
            response = http.post(
                f"{base}/judgments", content=body, headers={"Content-Type": "application/json"}
            )
            response.raise_for_status()
        elapsed = time.perf_counter() - start
    return round(len(pair_ids) / elapsed)


def single_requests(
    url: str, setup: Setup, clients: int, seconds: float, pid: int
) -> tuple[float, float]:
    """Judgments per second, one per request, and the server's CPU ms per request (counted
    from when every client holds its first leases)."""
    project = setup.project(8_000, overlap=clients)
    people = setup.users(clients)
    counts = [0] * clients
    ready = threading.Barrier(clients + 1)
    start = stop = 0.0

    def worker(k: int) -> None:
        name, token = people[k]
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            leased: list[str] = []

            def lease() -> None:  # a verdict needs its lease: 500 at a time
                got = http.post(f"{url}/v1/projects/{project}/leases", json={"n": 500})
                leased.extend(item["pair"]["id"] for item in got.json()["leases"])
                leased.reverse()

            lease()
            ready.wait()
            while time.perf_counter() < stop:
                if not leased:
                    lease()  # inside the timed run, rarely (every 500 verdicts)
                body = orjson.dumps({"judgments": [_judgment(leased.pop(), name)]})
                response = http.post(
                    f"{url}/v1/projects/{project}/judgments",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                response.raise_for_status()
                if not counts[k]:  # a rejected verdict would be a cheaper, meaningless figure
                    assert response.json()["results"][0]["status"] == "accepted", response.text
                counts[k] += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    stop = time.perf_counter() + 3600
    ready.wait()
    c0 = cpu_seconds(pid)
    start = time.perf_counter()
    stop = start + seconds
    for t in threads:
        t.join()
    done = sum(counts)
    # One decimal: on a loaded machine a second may see a single slow request (0.4/s).
    rate = round(done / (time.perf_counter() - start), 1)
    return rate, round((cpu_seconds(pid) - c0) / max(1, done) * 1000, 2)


async def _annotators(
    url: str, project: str, people: list, seconds: float, think: float
) -> tuple[list[float], int]:
    """Each annotator: lease 10, then judge them one by one, ``think`` seconds each, submitting
    every judgment on its own (as the TUI does); with think=0, lease and submit back to back."""
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=len(people) + 10, max_keepalive_connections=len(people))

    async with httpx.AsyncClient(timeout=120, limits=limits) as http:

        async def post(path: str, body: dict, headers: dict) -> httpx.Response:
            # A keep-alive connection the server closed while idle is not the server's fault.
            for attempt in range(3):
                try:
                    return await http.post(path, json=body, headers=headers)
                except httpx.TransportError:
                    errors.append(1)
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

        async def one(k: int, name: str, token: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            base = f"{url}/v1/projects/{project}"
            await asyncio.sleep(think * 10 * k / len(people))  # annotators arrive spread out
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                response = await post(f"{base}/leases", {"n": 10}, headers)
                latencies.append((time.perf_counter() - t0) * 1000)
                items = response.json()["leases"]
                if not think:
                    body = {"judgments": [_judgment(i["pair"]["id"], name) for i in items]}
                    await post(f"{base}/judgments", body, headers)
                    continue
                for item in items:
                    await asyncio.sleep(think)
                    body = {"judgments": [_judgment(item["pair"]["id"], name)]}
                    await post(f"{base}/judgments", body, headers)

        await asyncio.gather(*(one(k, name, token) for k, (name, token) in enumerate(people)))
    return latencies, len(errors)


def lease_latency(url: str, setup: Setup, n: int, seconds: float, think: float) -> dict:
    project = setup.project(6_000, overlap=3)
    people = setup.users(n)
    lat, errors = asyncio.run(_annotators(url, project, people, seconds, think))
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    return {
        "p50": round(statistics.median(lat), 1),
        "p99": round(p99, 1),
        "n": len(lat),
        "transport_retries": errors,
    }


def lease_alone(url: str, setup: Setup, seconds: float, pid: int) -> dict:
    """One annotator leasing 10 and giving them back, back to back: the lease's own latency
    (p50 of many samples) and the server's CPU per lease-and-release, which a loaded machine
    disturbs far less than latency. The annotator holds no other lease."""
    project = setup.project(2_000, overlap=1)
    ((_, token),) = setup.users(1)
    latencies, cpu = _lease_release(url, project, token, seconds, pid)
    return _alone_figures(latencies, cpu)


def _lease_release(
    url: str, project: str, token: str, seconds: float, pid: int
) -> tuple[list[float], float]:
    base = f"{url}/v1/projects/{project}"
    latencies: list[float] = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        http.post(f"{base}/leases/release", json={"lease_ids": []})  # a warm connection
        c0 = cpu_seconds(pid)
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            got = http.post(f"{base}/leases", json={"n": 10})
            latencies.append((time.perf_counter() - t0) * 1000)
            ids = [item["lease_id"] for item in got.json()["leases"]]
            assert len(ids) == 10, got.text
            http.post(f"{base}/leases/release", json={"lease_ids": ids}).raise_for_status()
        cpu = cpu_seconds(pid) - c0
    return latencies, cpu


def _alone_figures(latencies: list[float], cpu: float) -> dict:
    return {
        "p50": round(statistics.median(latencies), 2),
        "n": len(latencies),
        "server_cpu_ms_per_lease_and_release": round(cpu / len(latencies) * 1000, 3),
    }


def lease_alone_by_ordering(
    url: str, setup: Setup, seconds: float, pid: int, rounds: int
) -> dict[str, Any]:
    """:func:`lease_alone` in a priority project and in an informative one with extra slots
    on conflict, in alternating rounds (the same machine state for both)."""
    from rankterm.server import informative
    from rankterm.server.core import get_project

    plain = setup.project(2_000, overlap=1, signals=True)
    smart = setup.project(
        2_000, overlap=2, signals=True, ordering="informative", extra_on_conflict=1
    )
    setup.db.write(lambda conn: informative.refresh(conn, get_project(conn, smart)))
    ((_, token),) = setup.users(1)
    samples: dict[str, list[float]] = {"priority": [], "informative": []}
    cpu = {"priority": 0.0, "informative": 0.0}
    for _ in range(rounds):
        for ordering, project in (("priority", plain), ("informative", smart)):
            lat, used = _lease_release(url, project, token, seconds / rounds, pid)
            samples[ordering] += lat
            cpu[ordering] += used
    out = {f"lease_ms_alone_{k}": _alone_figures(v, cpu[k]) for k, v in samples.items()}
    out["informative_over_priority"] = round(
        out["lease_ms_alone_informative"]["p50"] / out["lease_ms_alone_priority"]["p50"], 3
    )
    return out


def cpu_seconds(pid: int) -> float:
    return proc_cpu_s(pid) or 0.0  # the server is alive while measured


def run_backend(db_url: str, quick: bool, only_ordering: bool = False) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="rankterm-bench-"))
    setup = Setup(db_url)
    server = ServerProcess(db_url, tmp / "server.log")
    pid = server.proc.pid
    try:
        if only_ordering:
            return lease_alone_by_ordering(server.url, setup, 3.0 if quick else 60.0, pid, 6)
        # --quick only proves the script still works (CI smoke test): tiny loads, no 100-annotator
        # runs. Figures from it are not comparable with a full run.
        secs = 1.0 if quick else 20.0
        figures: dict[str, Any] = {}
        n_batched = 1000 if quick else 20_000
        c0 = cpu_seconds(pid)
        figures["judgments_per_s_batched"] = batched_ingest(server.url, setup, n_batched)
        figures["server_cpu_us_per_judgment_batched"] = round(
            (cpu_seconds(pid) - c0) / n_batched * 1e6
        )
        for clients in (1, 4):
            rate, cpu_ms = single_requests(server.url, setup, clients, secs, pid)
            figures[f"single_req_per_s_{clients}"] = rate
            figures[f"server_cpu_ms_per_single_req_{clients}"] = cpu_ms
        think = 2.0
        lease_secs = 3.0 if quick else 40.0
        for n in (1, 10) if quick else (1, 10, 100):
            figures[f"lease_ms_{n}"] = lease_latency(server.url, setup, n, lease_secs, think)
        # The lease's own cost: unlike lease_ms_1 (a lease every 20 s), many samples.
        figures["lease_ms_alone"] = lease_alone(server.url, setup, secs * 3, pid)
        figures.update(lease_alone_by_ordering(server.url, setup, secs * 3, pid, 6))
        if not quick:
            figures["lease_ms_100_closed_loop"] = lease_latency(server.url, setup, 100, secs, 0.0)
        figures["server_rss_mb"], figures["server_peak_rss_mb"] = rss_mb(pid)
        figures["think_s_per_judgment"] = think
        return figures
    finally:
        server.stop()
        setup.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="seconds instead of minutes")
    add_backend_option(
        parser,
        "which database to measure (PostgreSQL needs RANKTERM_TEST_PG); one alone is"
        " measured without the other's run just before it",
    )
    parser.add_argument(
        "--ordering-only",
        action="store_true",
        help="measure only the lease latency in priority against informative order",
    )
    args = parser.parse_args()
    only = args.ordering_only
    results: dict[str, Any] = on_each_backend(
        parser, args.backend, lambda url: run_backend(url, args.quick, only)
    )
    results["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    emit(
        "server",
        {
            "quick": args.quick,
            "workers": 1,
            "batch": 500,
            "lease_n": 10,
            "backend": args.backend,
            "ordering_only": only,
        },
        results,
    )


if __name__ == "__main__":
    main()
