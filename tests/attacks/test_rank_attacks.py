"""Attacks on ranking submissions (issue #16): every refusal is the one a pair gets, so that
submitting a ranking is no oracle on which task ids exist, which are gold, or how many
candidates a task never served holds; oversized orders are refused by their size."""

from __future__ import annotations

import uuid

import httpx

from rankterm.core.model import Retraction
from rankterm.sources.client import RetryPolicy, TaskClient
from tests.server.conftest import Backend, judgment, make_pairs
from tests.server.rank_helpers import make_rank_tasks, ranking

ONCE = RetryPolicy(attempts=1)


def _post(backend: Backend, project: str, token: str, path: str, body: dict) -> httpx.Response:
    return httpx.post(
        f"{backend.url}/v1/projects/{project}/{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_unleased_rankings_get_the_answer_of_an_unleased_pair(backend: Backend) -> None:
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(2, k=4, gold=1) + make_pairs(2))
    name, token = backend.user()
    answers = {}
    with TaskClient(backend.url, project, token, retry=ONCE) as c:
        for task in ("r00000", "rgold000", "no-such-task"):
            ack = c.submit_rankings([ranking(task, name, [[0], [1], [2], [3]])])[0]
            answers[task] = (ack.status, ack.reason.replace(repr(task), "<id>"))
            # Candidates beyond this task's K (4) on a task never leased: still the same.
            wide = c.submit_rankings([ranking(task, name, [[i] for i in range(7)])])[0]
            answers[task + " k7"] = (wide.status, wide.reason.replace(repr(task), "<id>"))
        pair = c.submit([judgment("p00000", name)])[0]
        answers["pair"] = (pair.status, pair.reason.replace(repr("p00000"), "<id>"))
    print(f"\n[{backend.name}] unleased answers: {answers}")
    assert len(set(answers.values())) == 1, answers
    assert answers["pair"][0] == "rejected"


def test_comparisons_beyond_k_and_foreign_steps_are_refused(backend: Backend) -> None:
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=4))
    name, token = backend.user()
    with TaskClient(backend.url, project, token, retry=ONCE) as c:
        assert len(c.lease(1).leases) == 1
        sub = ranking("r00000", name, [[0], [1], [2], [3]])
        beyond = sub.model_copy(update={"id": uuid.uuid4()}, deep=True)
        beyond.steps[0].b = 5
        ack = c.submit_rankings([beyond])[0]
        assert ack.status == "rejected" and "candidate 6 does not exist" in ack.reason
        nine = sub.model_dump(mode="json")
        nine["id"] = str(uuid.uuid4())
        nine["steps"][0]["a"] = 9  # beyond any task: refused by the field's bound
        body = _post(backend, project, token, "rankings", {"rankings": [nine]}).json()
        (result,) = body["results"]
        assert result["status"] == "rejected" and result["reason"].startswith("steps.0.a")
        unlisted = sub.model_copy(update={"id": uuid.uuid4(), "comparisons": []}, deep=True)
        ack = c.submit_rankings([unlisted])[0]
        assert ack.status == "rejected" and ack.reason.startswith("comparisons:")
        # None of these took the lease: the honest ranking still goes in.
        assert c.submit_rankings([sub])[0].status == "accepted"


def test_huge_orders_are_refused_by_their_size(backend: Backend) -> None:
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=4))
    name, token = backend.user()
    judge, judge_token = backend.user("adjudicator")
    with TaskClient(backend.url, project, token, retry=ONCE) as c:
        assert len(c.lease(1).leases) == 1
    record = ranking("r00000", name, [[0], [1], [2], [3]]).model_dump(mode="json")
    for order in ([[i] for i in range(50_000)], [list(range(50_000))]):
        record = {**record, "id": str(uuid.uuid4()), "order": order}
        answer = _post(backend, project, token, "rankings", {"rankings": [record]})
        assert answer.status_code == 200, answer.text
        (result,) = answer.json()["results"]
        assert result["status"] == "rejected" and result["reason"].startswith("order"), result
    resolution = {
        "id": str(uuid.uuid4()),
        "pair_id": "r00000",
        "adjudicator": judge,
        "order": [[i] for i in range(50_000)],
    }
    answer = _post(backend, project, judge_token, "resolutions", {"resolutions": [resolution]})
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert result["status"] == "rejected" and result["reason"].startswith("order"), result


def test_someone_elses_ranking_id_is_refused_as_a_judgment_id_is(backend: Backend) -> None:
    project = backend.project(overlap=2)
    backend.add_pairs(project, make_rank_tasks(1, k=3) + make_pairs(1))
    a, ta = backend.user()
    b, tb = backend.user()
    with TaskClient(backend.url, project, ta, retry=ONCE) as ca:
        assert len(ca.lease(5).leases) == 2
        mine = ranking("r00000", a, [[0], [1], [2]])
        verdict = judgment("p00000", a)
        assert ca.submit_rankings([mine])[0].status == "accepted"
        assert ca.submit([verdict])[0].status == "accepted"
    with TaskClient(backend.url, project, tb, retry=ONCE) as cb:
        assert len(cb.lease(5).leases) == 2
        stolen = ranking("r00000", b, [[2], [1], [0]], id=mine.id)
        stolen_j = judgment("p00000", b, id=verdict.id)
        r_ack = cb.submit_rankings([stolen])[0]
        j_ack = cb.submit([stolen_j])[0]
        assert r_ack.status == j_ack.status == "rejected"
        assert r_ack.reason == j_ack.reason
        # Retracting another's ranking: the answer for an id that does not exist.
        answers = {
            target: cb.retract([Retraction(retracts=target, pair_id="r00000", annotator=b)])[0]
            for target in (mine.id, verdict.id, uuid.uuid4())
        }
        assert {(x.status, x.reason) for x in answers.values()} == {
            ("rejected", answers[mine.id].reason)
        }
    own = httpx.get(
        f"{backend.url}/v1/projects/{project}/me/judgments",
        headers={"Authorization": f"Bearer {ta}"},
        timeout=60,
    ).json()["judgments"]
    stored = {r["id"]: r for r in own}
    # The author's ranking stands, unchanged, with its comparisons.
    assert stored[str(mine.id)]["order"] == [[0], [1], [2]]
    assert stored[str(mine.id)]["retracted"] is False
    assert len(stored[str(mine.id)]["steps"]) == 2


def test_a_gold_ranking_task_leases_like_any_other(backend: Backend) -> None:
    project = backend.project(overlap=1, gold_rate=0.5)
    backend.add_pairs(project, make_rank_tasks(3, k=4, gold=3))
    _, token = backend.user()
    answer = _post(backend, project, token, "leases", {"n": 6}).json()
    shapes = {frozenset(item["pair"]) for item in answer["leases"]}
    assert answer["leases"] and all("gold" not in s and "priority" not in s for s in shapes)


def test_too_many_comparisons_are_refused_by_count(backend: Backend) -> None:
    project = backend.project(overlap=1)
    backend.add_pairs(project, make_rank_tasks(1, k=3))
    name, token = backend.user()
    with TaskClient(backend.url, project, token, retry=ONCE) as c:
        assert len(c.lease(1).leases) == 1
    record = ranking("r00000", name, [[0], [1], [2]]).model_dump(mode="json")
    step = record["steps"][0]
    steps = [{**step, "id": str(uuid.uuid4())} for _ in range(201)]
    record = {**record, "steps": steps, "comparisons": [s["id"] for s in steps]}
    answer = _post(backend, project, token, "rankings", {"rankings": [record]})
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert result["status"] == "rejected"
    assert result["reason"].startswith(("comparisons", "steps")), result
