"""Annotator pools on the lease path: what the ``pairs.pool`` filter costs a lease.

In process (no HTTP, so only the database work shows): a project of N pairs with the
requirement ``metadata.language=de:languages=de``, imported in chunks of 2,000, then
``scheduling.lease`` of 20 by one annotator, each round in its own write transaction, median
over the rounds. Cases:

- ``plain``: no requirements (every lease still filters ``pool IN ('')``);
- ``interleaved_en`` / ``interleaved_de``: every other pair German, an annotator without and
  with German;
- ``german_first_en``: the N/2 highest-priority pairs German, an annotator without German.
  Before migration 0011 the lease walked the priority index past every German pair still open
  (the filter was on the row, not in the index): the worst case, growing with N. Now each
  pool's pick walks only that pool (rankterm.server.picking.pick).

Also: the import rate with requirements, and one recompute of every pair's pool (a change of
requirements).

    uv run python benchmarks/bench_pools.py            # 20,000 pairs, 30 leases a case
    uv run python benchmarks/bench_pools.py --quick    # 2,000 pairs, 5 leases a case
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import add_backend_option, emit, log, on_each_backend, parse_args

GERMAN = "metadata.language=de:languages=de"
ENGLISH = "metadata.language=en:languages=en"


def run(url: str, n: int, rounds: int) -> dict[str, Any]:
    from rankterm.core.model import Pair
    from rankterm.server import projects, scheduling, users
    from rankterm.server.core import forget_project, get_project, get_user
    from rankterm.server.db import Database
    from rankterm.server.migrate import run_migrations
    from rankterm.server.schemas import ProjectCreate, ProjectUpdate
    from rankterm.server.settings import resolve_db_url

    db = Database(resolve_db_url(url))
    run_migrations(db)
    db.write(lambda conn: users.add_user(conn, "en", "annotator", {"languages": ["en"]}))
    db.write(lambda conn: users.add_user(conn, "de", "annotator", {"languages": ["de", "en"]}))

    def setup(name: str, requirements: list[str], german: Any) -> float:
        spec = ProjectCreate(name=name, overlap=1, max_leases=10**6, requirements=requirements)
        db.write(lambda conn: projects.create_project(conn, spec))
        pairs = [
            Pair(
                id=f"p{i}",
                prompt="q",
                response_a="a",
                response_b="b",
                metadata={"language": "de" if german(i) else "en"},
                priority=-i,
            )
            for i in range(n)
        ]
        start = time.perf_counter()
        for s in range(0, n, 2000):
            chunk = list(enumerate(pairs[s : s + 2000], s))
            db.write(lambda conn, c=chunk: projects.import_pairs(conn, get_project(conn, name), c))
        took = time.perf_counter() - start
        db.refresh_statistics("pairs", n)
        return took

    def leases(name: str, who: str) -> dict[str, float]:
        times, got = [], []
        for _ in range(rounds):

            def work(conn: Any) -> None:
                forget_project(conn, name)
                project, user = get_project(conn, name), get_user(conn, who)
                start = time.perf_counter()
                got.append(len(scheduling.lease(conn, project, user, 20)))
                times.append(time.perf_counter() - start)

            db.write(work)
        return {"median_ms": statistics.median(times) * 1000, "leased": sum(got)}

    try:
        figures: dict[str, Any] = {}
        setup("plain", [], lambda i: False)
        figures["plain"] = leases("plain", "en")
        took = setup("interleaved", [GERMAN], lambda i: i % 2 == 1)
        figures["import_pairs_per_s"] = n / took
        figures["interleaved_en"] = leases("interleaved", "en")
        figures["interleaved_de"] = leases("interleaved", "de")
        setup("german_first", [GERMAN], lambda i: i < n // 2)
        figures["german_first_en"] = leases("german_first", "en")
        change = ProjectUpdate(requirements=[GERMAN, ENGLISH])
        start = time.perf_counter()
        db.write(lambda conn: projects.update_project(conn, "german_first", change))
        figures["recompute_s"] = time.perf_counter() - start
        return figures
    finally:
        db.dispose()


def main() -> None:
    holder: dict[str, Any] = {}

    def extra(parser: Any) -> None:
        add_backend_option(parser, "database(s) to measure")
        holder["parser"] = parser

    args = parse_args(__doc__.splitlines()[0], extra)
    n, rounds = (2000, 5) if args.quick else (20_000, 30)
    log(f"pools: {n} pairs, {rounds} leases of 20 a case")
    results = on_each_backend(holder["parser"], args.backend, lambda url: run(url, n, rounds))
    params = {"pairs": n, "rounds": rounds, "lease": 20, "lease_total": 20 * rounds}
    emit("bench_pools", params, results)


if __name__ == "__main__":
    main()
