"""PostgreSQL's pipelined submit (pg_submit) decides and stores exactly what the Core path does.

The same seeded stream of leases, submits (fresh, resent, superseding, over capacity, for
unknown pairs, after a retraction) and retractions runs twice against one database: once
through SQLAlchemy Core and once pipelined, each in a project and with users of its own.
Every receipt and the final rows of pairs, judgments, leases and rejections must match.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from rankterm.core.model import Retraction
from rankterm.server import ingest, pg_submit, projects, scheduling, users
from rankterm.server import tables as t
from rankterm.server.core import get_project, get_user
from rankterm.server.schemas import ProjectCreate
from tests.server.conftest import Backend, judgment, make_pairs

pytestmark = pytest.mark.pg

N_PAIRS = 10
PEOPLE = ("u1", "u2", "u3")


class Run:
    """One path's project and users; record ids are made per path (they are global keys)."""

    def __init__(self, backend: Backend, tag: str, path: ingest.SubmitPath) -> None:
        self.db = backend.db
        self.path = path
        self.project = backend.unique(f"eq{tag}")
        self.names = {p: backend.unique(f"{tag}{p}") for p in PEOPLE}
        spec = ProjectCreate(name=self.project, overlap=2, gold_rate=0.2)
        self.db.write(lambda conn: projects.create_project(conn, spec))
        pairs = list(enumerate(make_pairs(N_PAIRS, gold=1)))
        self.db.write(
            lambda conn: projects.import_pairs(conn, get_project(conn, self.project), pairs)
        )
        for name in self.names.values():
            self.db.write(lambda conn, name=name: users.add_user(conn, name, "annotator"))
        self.ids: dict[int, uuid.UUID] = {}
        self.back: dict[uuid.UUID, int] = {}

    def rid(self, key: int) -> uuid.UUID:
        if key not in self.ids:
            self.ids[key] = uuid.uuid4()
            self.back[self.ids[key]] = key
        return self.ids[key]

    def lease(self, who: str, n: int, seed: int) -> list[str]:
        def work(conn: Any) -> list[str]:
            proj, user = get_project(conn, self.project), get_user(conn, self.names[who])
            items = scheduling.lease(conn, proj, user, n, random.Random(seed))
            return [item["pair"]["id"] for item in items]

        return self.db.write(work)

    def submit(self, who: str, items: list[tuple[int, str, str]]) -> list[tuple]:
        name = self.names[who]
        raw = [
            judgment(pair_id, name, choice, id=self.rid(key)).model_dump(mode="json")
            for key, pair_id, choice in items
        ]

        def work(conn: Any) -> list[ingest.Receipt]:
            proj, user = get_project(conn, self.project), get_user(conn, name)
            return ingest.submit_judgments(conn, proj, user, raw, self.path)

        return [self._receipt(r) for r in self.db.write(work)]

    def retract(self, who: str, key: int, target: int, pair_id: str) -> list[tuple]:
        name = self.names[who]
        record = Retraction(
            id=self.rid(key), retracts=self.rid(target), pair_id=pair_id, annotator=name
        )

        def work(conn: Any) -> list[ingest.Receipt]:
            proj, user = get_project(conn, self.project), get_user(conn, name)
            return ingest.submit_retractions(conn, proj, user, [record.model_dump(mode="json")])

        return [self._receipt(r) for r in self.db.write(work)]

    def _receipt(self, r: ingest.Receipt) -> tuple:
        return (self.back[r.judgment_id], r.status, self._plain(r.reason))

    def _plain(self, text: str) -> str:
        text = text.replace(self.project, "<project>")
        for person, name in self.names.items():
            text = text.replace(name, person)
        return text

    def state(self) -> dict[str, Any]:
        """The project's rows, with path-specific ids and names mapped back to keys."""
        who = {}
        with self.db.engine.connect() as conn:
            proj = get_project(conn, self.project)
            for person, name in self.names.items():
                who[get_user(conn, name).id] = person
            P, J, L, RJ = t.pairs, t.judgments, t.leases, t.rejections
            pairs = {
                row.seq: row
                for row in conn.execute(select(P).where(P.c.project_id == proj.id)).all()
            }
            judged = conn.execute(select(J).where(J.c.project_id == proj.id)).all()
            leased = conn.execute(select(L).where(L.c.project_id == proj.id)).all()
            rejected = conn.execute(select(RJ).where(RJ.c.project_id == proj.id)).all()
        return {
            "pairs": sorted(
                (p.pair_id, p.n_judged, p.n_leased, p.done, p.conflict) for p in pairs.values()
            ),
            "judgments": sorted(
                (
                    self.back[j.id],
                    who[j.user_id],
                    pairs[j.pair_seq].pair_id,
                    j.source,
                    j.choice,
                    j.retracted,
                    j.superseded,
                    j.lease_id is not None,
                )
                for j in judged
            ),
            "leases": sorted(
                (who[x.user_id], pairs[x.pair_seq].pair_id, x.kind, x.state) for x in leased
            ),
            "rejections": sorted(
                (self.back[r.id], who[r.user_id], self._plain(r.reason)) for r in rejected
            ),
        }


def _script(seed: int) -> list[tuple]:
    """A stream of operations: keys stand for record ids, re-used keys are resends."""
    rng = random.Random(seed)
    pair_ids = [p.id for p in make_pairs(N_PAIRS, gold=1)] + ["nope"]
    ops: list[tuple] = []
    key = 0
    made: list[tuple[int, str, str]] = []  # (key, who, pair) of judgments sent
    for step in range(60):
        who = rng.choice(PEOPLE)
        roll = rng.random()
        if roll < 0.25:
            ops.append(("lease", who, rng.randint(1, 4), step))
        elif roll < 0.85:
            batch = []
            for _ in range(rng.randint(1, 4)):
                if made and rng.random() < 0.2:
                    k, _, pair = rng.choice(made)  # a resend, maybe in someone else's name
                else:
                    key += 1
                    k, pair = key, rng.choice(pair_ids)
                    made.append((k, who, pair))
                batch.append((k, pair, rng.choice(["A", "B", "tie"])))
            ops.append(("submit", who, batch))
        elif made:
            target, owner, pair = rng.choice(made)
            key += 1
            if rng.random() < 0.2:
                # A retraction that arrives before its judgment (rejected), then the judgment.
                key += 1
                ops.append(("retract", who, key - 1, key, pair))
                ops.append(("submit", who, [(key, pair, "A")]))
            else:
                ops.append(("retract", owner, key, target, pair))
    return ops


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_pipelined_submit_matches_core(pg_backend: Backend, seed: int) -> None:
    if not psycopg.Pipeline.is_supported():
        pytest.skip("libpq older than 14: no pipeline mode")
    script = _script(seed)
    outcomes = {}
    for tag, path in (("core", ingest.CORE), ("pipe", pg_submit.PIPELINED)):
        run = Run(pg_backend, tag, path)
        receipts = []
        for op in script:
            if op[0] == "lease":
                receipts.append(run.lease(op[1], op[2], op[3]))
            elif op[0] == "submit":
                receipts.append(run.submit(op[1], op[2]))
            else:
                receipts.append(run.retract(*op[1:]))
        outcomes[tag] = (receipts, run.state())
    (core_receipts, core_state), (pipe_receipts, pipe_state) = outcomes.values()
    for i, (a, b) in enumerate(zip(core_receipts, pipe_receipts, strict=True)):
        assert a == b, f"operation {i} {script[i]}"
    assert core_state == pipe_state
    statuses = {s for rs in core_receipts for r in rs if isinstance(r, tuple) for s in [r[1]]}
    assert statuses >= {"accepted", "duplicate", "rejected"}
    assert any(j[3] == "gold" for j in core_state["judgments"])
    assert any(j[6] for j in core_state["judgments"]), "nothing was superseded"
