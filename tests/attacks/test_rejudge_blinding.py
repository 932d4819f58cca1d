"""Issue #17 §1: a re-judgment after a guideline change looks like any other lease to everything
the annotator's client receives, against a real server on SQLite and PostgreSQL.

Detectors an annotator could run on their own traffic, checked against the truth in the
database: the lease's and the pair's fields, the lease id's form, the side order (a pair seen
before comes back inverted, exactly as a blind repeat does), and ``/me/progress``, whose
``judged`` count steps by one for every accepted verdict (a re-judgment replaces the earlier
verdict; before it was counted, the count stood still for it and only for it).
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import select

from rankterm.core.model import Pair
from rankterm.guidelines import text_version
from rankterm.server import tables as t
from tests.server.conftest import Backend, judgment
from tests.server.test_cli import run

V1 = "# G\n## General\nBe helpful.\n## Code\ntags: python\nCode must run.\n"
V2 = "# G\n## General\nBe helpful.\n## Code\ntags: python\nCode must run and be safe.\n"


def _pairs(prefix: str, n: int) -> list[Pair]:
    return [
        Pair(id=f"{prefix}{i}", prompt="q", response_a="a", response_b="b", tags=["python"])
        for i in range(n)
    ]


def test_a_rejudgment_cannot_be_told_apart(backend: Backend, tmp_path) -> None:
    project = backend.project(overlap=1, repeat_rate=0.3, repeat_gap=0)
    guide = tmp_path / "g.md"
    guide.write_text(V1)
    assert run("admin", "guidelines", project, str(guide), "--db", backend.db_url)[0] == 0
    backend.add_pairs(project, _pairs("x", 12))
    name, token = backend.user()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{backend.url}/v1/projects/{project}"

    def progress() -> int:
        return httpx.get(f"{base}/me/progress", headers=headers, timeout=30).json()["judged"]

    seen: dict[str, bool] = {}  # pair id -> side order of its first showing
    items: list[dict[str, Any]] = []
    steps: list[int] = []

    def work(version: str) -> None:
        while True:
            response = httpx.post(f"{base}/leases", json={"n": 4}, headers=headers, timeout=30)
            batch = response.json()["leases"]
            if not batch:
                return
            for item in batch:
                items.append(item)
                before = progress()
                verdict = judgment(
                    item["pair"]["id"],
                    name,
                    shown_swapped=item["shown_swapped"],
                    guideline_version=version,
                )
                acks = httpx.post(
                    f"{base}/judgments",
                    json={"judgments": [verdict.model_dump(mode="json")]},
                    headers=headers,
                    timeout=30,
                ).json()["results"]
                assert acks[0]["status"] == "accepted", acks
                steps.append(progress() - before)

    work(text_version(V1))
    guide.write_text(V2)
    code, out, err = run(
        "admin", "guidelines", project, str(guide), "--db", backend.db_url, "--requeue", "changed"
    )
    assert code == 0 and "(12 queued now, 0 already queued)" in out, err
    backend.add_pairs(project, _pairs("y", 12))
    work(text_version(V2))
    with backend.db.read() as conn:
        kinds = dict(
            conn.execute(
                select(t.leases.c.id, t.leases.c.kind).where(
                    t.leases.c.id.in_([uuid.UUID(i["lease_id"]) for i in items])
                )
            ).all()
        )
    kind = {i["lease_id"]: kinds[uuid.UUID(i["lease_id"])] for i in items}
    counts = Counter(kind.values())
    assert counts["rejudge"] == 12 and counts["normal"] == 24 and counts["repeat"] >= 1, counts
    assert set(steps) == {1}, steps  # every accepted verdict moves the count by one

    def features(item: dict[str, Any]) -> tuple:
        pair_id = item["pair"]["id"]
        again = pair_id in seen
        inverted = again and item["shown_swapped"] != seen[pair_id]
        seen.setdefault(pair_id, item["shown_swapped"])
        return (
            tuple(sorted(item)),
            tuple(sorted(item["pair"])),
            uuid.UUID(item["lease_id"]).version,
            again,
            inverted,
        )

    by_kind: dict[str, set[tuple]] = {}
    for item in items:
        by_kind.setdefault(kind[item["lease_id"]], set()).add(features(item))
    # Whatever a re-judgment shows, a blind repeat or an ordinary lease shows too.
    assert by_kind["rejudge"] <= by_kind["repeat"] | by_kind["normal"], by_kind
