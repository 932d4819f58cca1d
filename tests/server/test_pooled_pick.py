"""A pooled lease picks the same pairs as the single statement it replaced.

rankterm.server.picking.pick runs one index-driven pick per pool the annotator may serve and
merges them in queue order; the single statement (``pairs.pool IN (...)`` read on the rows of
``ix_pairs_queue``) is the reference. Compared on a randomized project: several pools,
priorities and info scores with ties, pairs done, leased, judged, with conflicting verdicts,
for every ordering and adaptive overlap, several annotators and batch sizes.
"""

from __future__ import annotations

import dataclasses
import random
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from rankterm.core.model import Pair
from rankterm.server import ingest, picking, pools, projects, scheduling, users
from rankterm.server import tables as t
from rankterm.server.app import submit_path_for
from rankterm.server.core import get_project, get_user
from rankterm.server.db import Database
from rankterm.server.migrate import run_migrations
from rankterm.server.schemas import ProjectCreate
from rankterm.server.settings import resolve_db_url
from tests.server.conftest import judgment, pg_admin_execute, pg_database_url

GERMAN = "metadata.language=de:languages=de"
ENGLISH = "metadata.language=en:languages=en"
PROFILES = {"none": {}, "de": {"languages": ["de"]}, "both": {"languages": ["de", "en"]}}


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'pick.db'}")
        name = None
    else:
        request.getfixturevalue("pg_url")  # skips without RANKTERM_TEST_PG
        name = f"rankterm_pick_{secrets.token_hex(4)}"
        pg_admin_execute(f"CREATE DATABASE {name}")
        database = Database(resolve_db_url(pg_database_url(name)))
    try:
        run_migrations(database)
        yield database
    finally:
        database.dispose()
        if name is not None:
            pg_admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _project(db: Database, rng: random.Random, n: int = 400) -> None:
    spec = ProjectCreate(name="mix", overlap=2, max_leases=10**6, requirements=[GERMAN, ENGLISH])
    db.write(lambda conn: projects.create_project(conn, spec))
    pairs = [
        Pair(
            id=f"p{i:04d}",
            prompt=f"q{i}",
            response_a="a",
            response_b="b",
            metadata={"language": rng.choice(["de", "de", "en", "fr"])},
            priority=rng.choice([0, 1, 2, 5]),
        )
        for i in range(n)
    ]
    rng.shuffle(pairs)
    db.write(
        lambda conn: projects.import_pairs(conn, get_project(conn, "mix"), list(enumerate(pairs)))
    )
    for who, profile in PROFILES.items():
        db.write(lambda conn, w=who, p=profile: users.add_user(conn, w, "annotator", p))
    # Leases and verdicts by the annotators themselves (the probes), some leases left live.
    for who in PROFILES:
        for _ in range(3):

            def work(conn: Any, w: str = who) -> None:
                project, user = get_project(conn, "mix"), get_user(conn, w)
                leased = scheduling.lease(conn, project, user, rng.randint(1, 15))
                items = [
                    judgment(item["pair"]["id"], w).model_dump(mode="json")
                    for item in leased
                    if rng.random() < 0.6
                ]
                ingest.submit_judgments(conn, project, user, items, submit_path_for(db))

            db.write(work)

    # Counters and scores all over the place: done, full, conflicting (judged to the overlap
    # but open), with ties in the info score.
    def scramble(conn: Any) -> None:
        for seq in range(1, n + 1):
            if rng.random() < 0.4:
                conn.execute(
                    update(t.pairs)
                    .where(t.pairs.c.seq == seq)
                    .values(
                        n_judged=rng.randint(0, 3),
                        n_leased=rng.randint(0, 2),
                        done=rng.random() < 0.2,
                    )
                )
            conn.execute(
                update(t.pairs)
                .where(t.pairs.c.seq == seq)
                .values(info_score=rng.choice([0.0, 0.25, 0.5, 0.9]))
            )

    db.write(scramble)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_pooled_pick_is_the_single_statements_pick(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    _project(db, rng)
    compared = nonempty = 0
    with db.engine.connect() as conn:
        base = get_project(conn, "mix")
        assert len(base.pool_keys) >= 2, base.pool_keys
        for ordering in ("priority", "informative"):
            for extra in (0, 1):
                project = dataclasses.replace(base, ordering=ordering, extra_on_conflict=extra)
                for who in PROFILES:
                    user = get_user(conn, who)
                    allowed = pools.allowed(project, user)
                    for pool_list in (
                        allowed,
                        [*allowed, "expertise=none"],
                        list(reversed(allowed)),
                    ):
                        for k in (1, 3, 20, 500):
                            stmt, params = picking.pick_normal(project, user.id, k, pool_list)
                            old = [row.seq for row in conn.execute(stmt, params)]
                            new = [
                                row.seq
                                for row in picking.pick(conn, project, user.id, k, pool_list)
                            ]
                            assert new == old, (ordering, extra, who, pool_list, k)
                            compared += 1
                            nonempty += bool(old)
        conn.rollback()
    assert compared == 2 * 2 * 3 * 3 * 4
    assert nonempty == compared  # the project leaves every annotator something to pick
