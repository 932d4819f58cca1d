"""Gold ranking tasks and blind repeats of ranking tasks look like any other ranking task in
the raw JSON an annotator's client receives (field names, field order, value shapes), as
tests/attacks/test_blinding.py checks for pairs. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from rankterm.core.model import RankTask
from rankterm.server import tables as t
from tests.server.conftest import Backend
from tests.server.rank_helpers import make_rank_tasks, ranking


def _lease(backend: Backend, project: str, token: str, n: int) -> list[dict[str, Any]]:
    answer = httpx.post(
        f"{backend.url}/v1/projects/{project}/leases",
        json={"n": n},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()["leases"]


def _shape(value: Any) -> Any:
    """Field names in order, and the type of every value (never the value itself)."""
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return ["list", *sorted({repr(_shape(v)) for v in value})]
    return type(value).__name__


def _kinds(backend: Backend, lease_ids: list[str]) -> dict[str, str]:
    import uuid

    with backend.db.read() as conn:
        rows = conn.execute(
            select(t.leases.c.id, t.leases.c.kind).where(
                t.leases.c.id.in_([uuid.UUID(i) for i in lease_ids])
            )
        ).all()
    return {str(row.id): row.kind for row in rows}


def test_gold_and_repeat_ranking_leases_have_the_shape_of_any_other(backend: Backend) -> None:
    project = backend.project(overlap=1, repeat_gap=0, gold_rate=0.3)
    gold = [
        RankTask(
            id=f"r9{i:04d}",  # ids in the same series: an id that says gold is the importer's
            prompt=f"rank question 9{i}",
            responses=[{"content": f"answer 9{i}.{c}", "model": f"m{c}"} for c in range(4)],
            gold={"order": [[c] for c in range(4)]},
        )
        for i in range(3)
    ]
    backend.add_pairs(project, make_rank_tasks(6, k=4) + gold)
    name, token = backend.user()
    _, admin_token = backend.user("admin")
    first = _lease(backend, project, token, 9)
    with httpx.Client(timeout=60) as client:
        body = {
            "rankings": [
                ranking(item["pair"]["id"], name, [[0], [1], [2], [3]]).model_dump(mode="json")
                for item in first
            ]
        }
        client.post(
            f"{backend.url}/v1/projects/{project}/rankings",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        ).raise_for_status()
        client.patch(
            f"{backend.url}/v1/projects/{project}",
            json={"repeat_rate": 1.0},
            headers={"Authorization": f"Bearer {admin_token}"},
        ).raise_for_status()
    again = _lease(backend, project, token, 9)
    items = first + again
    kinds = _kinds(backend, [item["lease_id"] for item in items])
    shapes: dict[str, set[str]] = {}
    for item in items:
        shapes.setdefault(kinds[item["lease_id"]], set()).add(repr(_shape(item)))
    print(f"\n[{backend.name}] kinds: { {k: len(v) for k, v in shapes.items()} }")
    assert {"normal", "gold", "repeat"} <= set(shapes), shapes.keys()
    assert shapes["gold"] == shapes["normal"] == shapes["repeat"], shapes
