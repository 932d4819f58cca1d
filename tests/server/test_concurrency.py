"""Many annotators against two server processes sharing one database: no slot is lost or
handed out twice, every pair ends with exactly ``overlap`` judgments by distinct people."""

from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy import func, select

from rankterm.server import tables as t
from rankterm.server.core import get_project
from rankterm.sources.client import RetryPolicy, TaskClient
from tests.server.conftest import Backend, ServerProcess, judgment


def _annotate(url: str, project: str, name: str, token: str, errors: list, acks: list) -> None:
    rng = random.Random(name)
    try:
        with TaskClient(url, project, token, retry=RetryPolicy(attempts=10, base=0.05)) as c:
            idle = 0
            while idle < 2:
                batch = c.lease(20)
                if batch.exhausted:
                    idle += 1
                    time.sleep(0.2)
                    continue
                idle = 0
                sent = [
                    judgment(
                        i.pair.id,
                        name,
                        rng.choice(["A", "B", "tie"]),
                        shown_swapped=i.shown_swapped,
                    )
                    for i in batch.leases
                ]
                acks.extend(c.submit(sent))
    except Exception as exc:  # reported by the test
        errors.append(f"{name}: {exc!r}")


def run_crowd(backend: Backend, n_annotators: int, n_pairs: int, overlap: int, tmp_path) -> None:
    project = backend.project(n_pairs=n_pairs, overlap=overlap)
    second = ServerProcess(backend.db_url, tmp_path / "second.log")
    try:
        urls = [backend.url, second.url]
        people = [backend.user() for _ in range(n_annotators)]
        errors: list[str] = []
        acks: list = []
        threads = [
            threading.Thread(
                target=_annotate, args=(urls[i % 2], project, name, token, errors, acks)
            )
            for i, (name, token) in enumerate(people)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
    finally:
        second.stop()
    assert not errors, errors[:5]
    assert {a.status for a in acks} == {"accepted"}
    assert len(acks) == n_pairs * overlap
    J, P = t.judgments, t.pairs
    with backend.db.read() as conn:
        proj = get_project(conn, project)
        per_pair = conn.execute(
            select(J.c.pair_seq, func.count(), func.count(func.distinct(J.c.user_id)))
            .where(J.c.project_id == proj.id)
            .group_by(J.c.pair_seq)
        ).all()
        counters = conn.execute(
            select(P.c.n_judged, P.c.n_leased, func.count())
            .where(P.c.project_id == proj.id)
            .group_by(P.c.n_judged, P.c.n_leased)
        ).all()
    assert len(per_pair) == n_pairs
    assert {(n, distinct) for _, n, distinct in per_pair} == {(overlap, overlap)}
    assert [tuple(row) for row in counters] == [(overlap, 0, n_pairs)]


@pytest.mark.pg
def test_50_annotators_2_servers_postgres(pg_backend: Backend, tmp_path) -> None:
    run_crowd(pg_backend, n_annotators=50, n_pairs=2000, overlap=3, tmp_path=tmp_path)


def test_20_annotators_2_servers_sqlite(sqlite_backend: Backend, tmp_path) -> None:
    run_crowd(sqlite_backend, n_annotators=20, n_pairs=300, overlap=3, tmp_path=tmp_path)
