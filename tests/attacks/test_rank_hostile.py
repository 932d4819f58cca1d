"""A hostile annotator with a valid token against the ranking and referral routes (issue #16).

Each attack must get a clean refusal that names what is wrong and change nothing: the
honest ranking still goes in afterwards, other annotators' records stand as they were, and
the export (what the labels are trained on) holds no record the attacker forged. On SQLite
and PostgreSQL (the ``backend`` fixture).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from rankterm.sources.client import RetryPolicy, TaskClient
from tests.server.conftest import Backend, judgment, make_pairs
from tests.server.rank_helpers import make_rank_tasks, ranking

ONCE = RetryPolicy(attempts=1)


def _post(backend: Backend, project: str, token: str, path: str, body: Any) -> httpx.Response:
    return httpx.post(
        f"{backend.url}/v1/projects/{project}/{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def _submit_raw(backend: Backend, project: str, token: str, record: dict) -> dict:
    answer = _post(backend, project, token, "rankings", {"rankings": [record]})
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    return result


def _mine(backend: Backend, project: str, token: str) -> list[dict]:
    return httpx.get(
        f"{backend.url}/v1/projects/{project}/me/judgments",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ).json()["judgments"]


def _leased(backend: Backend, project: str, token: str, n: int) -> None:
    with TaskClient(backend.url, project, token, retry=ONCE) as c:
        assert len(c.lease(n).leases) == n


def test_a_step_cannot_reuse_an_id_already_stored(backend: Backend) -> None:
    """The comparisons of a ranking go out in the export as records of their own, by id: a
    step carrying the id of another annotator's comparison or judgment would stand beside
    (or, replayed, in place of) that record. Refused like a foreign judgment id."""
    project = backend.project(overlap=2)
    backend.add_pairs(project, make_rank_tasks(1, k=3) + make_pairs(1))
    victim, vt = backend.user()
    attacker, at = backend.user()
    _leased(backend, project, vt, 2)
    _leased(backend, project, at, 2)
    honest = ranking("r00000", victim, [[0], [1], [2]])
    verdict = judgment("p00000", victim)
    with TaskClient(backend.url, project, vt, retry=ONCE) as c:
        assert c.submit_rankings([honest])[0].status == "accepted"
        assert c.submit([verdict])[0].status == "accepted"
    mine = ranking("r00000", attacker, [[2], [1], [0]]).model_dump(mode="json")
    # (The id of another ranking's step is not looked for: steps are stored inside their
    # ranking's record, and a step's id is never shown to another annotator.)
    for stolen in (str(verdict.id), str(honest.id)):
        forged = {**mine, "id": str(uuid.uuid4())}
        forged["steps"] = [{**mine["steps"][0], "id": stolen}, *mine["steps"][1:]]
        forged["comparisons"] = [s["id"] for s in forged["steps"]]
        result = _submit_raw(backend, project, at, forged)
        assert result["status"] == "rejected", (stolen, result)
        assert "steps.0" in result["reason"], result
    # Nothing of the attacker's went in; the honest ranking still does.
    assert _mine(backend, project, at) == []
    with TaskClient(backend.url, project, at, retry=ONCE) as c:
        assert c.submit_rankings([ranking("r00000", attacker, [[2], [1], [0]])])[0].status == (
            "accepted"
        )


def test_steps_repeating_one_id_are_refused(backend: Backend) -> None:
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=4))
    name, token = backend.user()
    _leased(backend, project, token, 1)
    record = ranking("r00000", name, [[0], [1], [2], [3]]).model_dump(mode="json")
    twice = {**record, "id": str(uuid.uuid4()), "steps": [*record["steps"], record["steps"][0]]}
    twice["comparisons"] = [s["id"] for s in twice["steps"]]
    result = _submit_raw(backend, project, token, twice)
    assert result["status"] == "rejected" and result["reason"].startswith("steps.3"), result
    own_id = {**record, "id": record["steps"][1]["id"]}  # the ranking's id is a step's
    result = _submit_raw(backend, project, token, own_id)
    assert result["status"] == "rejected" and result["reason"].startswith("steps.1"), result
    assert _mine(backend, project, token) == []
    assert _submit_raw(backend, project, token, record)["status"] == "accepted"


def test_an_order_that_contradicts_its_own_comparisons_is_refused(backend: Backend) -> None:
    """The order is built from the comparisons: one that says the opposite of a comparison
    sent with it is not a ranking this client makes, and the export would carry both."""
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=3))
    name, token = backend.user()
    _leased(backend, project, token, 1)
    record = ranking("r00000", name, [[0], [1], [2]]).model_dump(mode="json")
    for order in ([[1], [0], [2]], [[0, 1], [2]], [[2], [1], [0]]):
        forged = {**record, "id": str(uuid.uuid4()), "order": order}
        result = _submit_raw(backend, project, token, forged)
        assert result["status"] == "rejected", (order, result)
        assert result["reason"].startswith("order:") and "steps." in result["reason"], result
    assert _mine(backend, project, token) == []
    assert _submit_raw(backend, project, token, record)["status"] == "accepted"


@pytest.mark.parametrize(
    ("order", "says"),
    [
        ([[0], [1], [1], [2]], "placed twice"),
        ([[0], [1]], "leaves out"),
        ([[0], [1], [2], [3], [7]], "does not exist"),
        ([[0], [], [1], [2], [3]], "empty tier"),
        ([[0], [1], [2], [-1]], "does not exist"),
    ],
)
def test_orders_that_are_not_a_full_order_are_refused_by_name(
    backend: Backend, order: list, says: str
) -> None:
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=4))
    name, token = backend.user()
    _leased(backend, project, token, 1)
    record = ranking("r00000", name, [[0], [1], [2], [3]]).model_dump(mode="json")
    result = _submit_raw(backend, project, token, {**record, "order": order})
    assert result["status"] == "rejected" and says in result["reason"], result
    assert _mine(backend, project, token) == []


def test_kinds_names_and_projects_are_checked(backend: Backend) -> None:
    project = backend.project(overlap=1)
    other = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=3) + make_pairs(1))
    backend.add_pairs(other, make_rank_tasks(1, k=3, prefix="o"))
    name, token = backend.user()
    peer, _ = backend.user()
    _leased(backend, project, token, 2)
    with TaskClient(backend.url, project, token, retry=ONCE) as c:
        answers = {
            "ranking for a pair": c.submit_rankings([ranking("p00000", name, [[0], [1], [2]])]),
            "judgment for a ranking task": c.submit([judgment("r00000", name)]),
            "someone else's name": c.submit_rankings([ranking("r00000", peer, [[0], [1], [2]])]),
        }
    with TaskClient(backend.url, other, token, retry=ONCE) as c:
        answers["another project's task"] = c.submit_rankings(
            [ranking("o00000", name, [[0], [1], [2]])]
        )
    reasons = {what: (acks[0].status, acks[0].reason) for what, acks in answers.items()}
    print(f"\n[{backend.name}] {reasons}")
    assert all(status == "rejected" for status, _ in reasons.values()), reasons
    assert "is a pair, not a ranking task" in reasons["ranking for a pair"][1]
    assert "is a ranking task: submit a ranking" in reasons["judgment for a ranking task"][1]
    assert "is not the token's user" in reasons["someone else's name"][1]
    assert "you hold no lease on pair 'o00000'" in reasons["another project's task"][1]
    assert _mine(backend, project, token) == [] and _mine(backend, other, token) == []
    # The leases still stand: the right records go in.
    with TaskClient(backend.url, project, token, retry=ONCE) as c:
        assert c.submit_rankings([ranking("r00000", name, [[0], [1], [2]])])[0].status == (
            "accepted"
        )
        assert c.submit([judgment("p00000", name)])[0].status == "accepted"


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'{"rankings": {}}',
        b'{"rankings": [1, "x", null]}',
        b'{"rankings": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
        b'{"rankings": []' + b" " * 10 + b', "extra": 1}',
    ],
    ids=["truncated", "list", "object-not-list", "scalars", "deep", "extra-field"],
)
def test_malformed_ranking_bodies_get_a_clean_4xx_or_per_item_refusals(
    backend: Backend, body: bytes
) -> None:
    project = backend.project(overlap=1)
    _, token = backend.user()
    answer = httpx.post(
        f"{backend.url}/v1/projects/{project}/rankings",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert answer.status_code in (200, 400, 413, 422), answer.text
    if answer.status_code == 200:
        assert all(r["status"] == "rejected" for r in answer.json()["results"])
    else:
        assert answer.json().get("error"), answer.text


def test_referrals_are_for_adjudicators_of_that_project_only(backend: Backend) -> None:
    from sqlalchemy import func, select

    from rankterm.server import tables as t

    project = backend.project(overlap=1)
    other = backend.project(overlap=1)
    backend.add_pairs(project, make_pairs(1))
    _, annotator = backend.user(member_of=[project])
    _, judge = backend.user("adjudicator", member_of=[other])
    item = {"pair_id": "p00000", "judge": "gpt", "choice": "A", "strength": 2}

    def comments() -> int:
        with backend.db.read() as conn:
            return conn.execute(select(func.count()).select_from(t.comments)).scalar()

    before = comments()
    answer = _post(backend, project, annotator, "referrals", {"items": [item]})
    assert answer.status_code == 403 and answer.json().get("error"), answer.text
    answer = _post(backend, project, judge, "referrals", {"items": [item]})
    assert answer.status_code in (403, 404) and answer.json().get("error"), answer.text
    for token in (annotator, judge):
        got = httpx.get(
            f"{backend.url}/v1/projects/{project}/conflicts",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert got.status_code in (403, 404) and got.json().get("error"), got.text
    assert comments() == before


def test_a_task_leased_to_someone_else_and_a_huge_k_are_refused(backend: Backend) -> None:
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=3))
    owner, owner_token = backend.user()
    name, token = backend.user()
    _leased(backend, project, owner_token, 1)  # the only task: the owner's lease
    record = ranking("r00000", name, [[0], [1], [2]]).model_dump(mode="json")
    result = _submit_raw(backend, project, token, record)
    assert result == {
        "judgment_id": record["id"],
        "status": "rejected",
        "reason": "you hold no lease on pair 'r00000'",
    }
    for k in (10, 10**9, -1, 2**70):
        result = _submit_raw(backend, project, token, {**record, "id": str(uuid.uuid4()), "k": k})
        assert result["status"] == "rejected" and result["reason"].startswith("k"), result
    assert _mine(backend, project, token) == []
    # The owner's lease was not touched: their ranking goes in.
    with TaskClient(backend.url, project, owner_token, retry=ONCE) as c:
        mine = ranking("r00000", owner, [[2], [0], [1]])
        assert c.submit_rankings([mine])[0].status == "accepted"


def test_one_comparison_repeated_many_times_is_refused(backend: Backend) -> None:
    """A ranking's standing comparisons hold one answer per two candidates (a new answer
    withdraws the old): the same comparison 100 times under new ids would weigh 100 in every
    pairwise export of the comparisons."""
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=3))
    name, token = backend.user()
    _leased(backend, project, token, 1)
    record = ranking("r00000", name, [[0], [1], [2]]).model_dump(mode="json")
    step = record["steps"][0]
    copies = [{**step, "id": str(uuid.uuid4())} for _ in range(100)]
    flipped = {**step, "id": str(uuid.uuid4()), "a": step["b"], "b": step["a"]}
    flipped["choice"] = "B" if step["choice"] == "A" else "A"
    for extra, at in ((copies, 2), ([flipped], 2)):
        steps = [*record["steps"], *extra]
        forged = {**record, "id": str(uuid.uuid4()), "steps": steps}
        forged["comparisons"] = [s["id"] for s in steps]
        result = _submit_raw(backend, project, token, forged)
        assert result["status"] == "rejected", result
        assert result["reason"].startswith(f"steps.{at}: compares A and B again"), result
    assert _mine(backend, project, token) == []
    assert _submit_raw(backend, project, token, record)["status"] == "accepted"
