"""`rankterm judge --to-adjudication` against a real server: the pairs a judge and the people
disagree on join the conflict queue with the judge's verdict beside the human ones."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest

from rankterm.core.model import Resolution
from rankterm.sources.adjudication import RemoteDesk
from rankterm.sources.client import TaskClient, TaskServerError
from rankterm.storage.journal import Journal
from tests.server.conftest import Backend, judgment

# Two annotators: p00000 both A (the judge says B: referred), p00001 both B (judge B: agrees),
# p00002 A and B (no majority; a conflict of its own under any_disagreement).
PEOPLE = {"p00000": ("A", "A"), "p00001": ("B", "B"), "p00002": ("A", "B")}
JUDGE = {"p00000": "B", "p00001": "B", "p00002": "A"}


def _judged(backend: Backend) -> tuple[str, str, str, str]:
    project = backend.project(n_pairs=3, overlap=2, conflict_rule="any_disagreement")
    a, ta = backend.user()
    b, tb = backend.user()
    adjudicator, tj = backend.user("adjudicator")
    with TaskClient(backend.url, project, ta) as ca, TaskClient(backend.url, project, tb) as cb:
        for client, name, k in ((ca, a, 0), (cb, b, 1)):
            leased = sorted(i.pair.id for i in client.lease(3).leases)
            assert leased == sorted(PEOPLE)
            client.submit([judgment(p, name, PEOPLE[p][k]) for p in leased])
    return project, tj, ta, adjudicator


def _items() -> list[dict]:
    return [
        {"pair_id": p, "judge": "j1", "choice": c, "strength": 2 if c in "AB" else None,
         "rationale": f"judge on {p}"}
        for p, c in JUDGE.items()
    ] + [{"pair_id": "nope", "judge": "j1", "choice": "A", "strength": 1}]  # fmt: skip


def test_referrals_join_the_queue_as_model_verdicts(backend: Backend) -> None:
    project, tj, ta, adjudicator = _judged(backend)
    with TaskClient(backend.url, project, tj) as cj:
        before = cj.stats()
        assert [i.pair.id for i in cj.conflicts()] == ["p00002"]
        counts = cj.refer(_items())
        assert counts == {"referred": 1, "already": 0, "agreed": 1, "no_majority": 1,
                          "unknown": 1, "ranking_task": 0}  # fmt: skip
        assert cj.refer(_items())["already"] == 1  # a resend adds nothing
        queue = {i.pair.id: i for i in cj.conflicts()}
        assert set(queue) == {"p00000", "p00002"}
        (verdict,) = queue["p00000"].model_verdicts
        extra = verdict.model_extra
        assert (extra["source"], extra["judge"], extra["choice"]) == ("model", "j1", "B")
        assert extra["human_majority"] == "A" and verdict.text == "judge on p00000"
        # Only people's judgments are votes; the stats did not change.
        assert len(queue["p00000"].judgments) == 2
        after = cj.stats()
        assert after["annotators"] == before["annotators"]
        settle = Resolution(pair_id="p00000", adjudicator=adjudicator, choice="A", strength=2)
        assert cj.resolve([settle])[0].status == "accepted"
        assert [i.pair.id for i in cj.conflicts()] == ["p00002"]
    # Annotators cannot refer.
    with TaskClient(backend.url, project, ta) as ca, pytest.raises(TaskServerError):
        ca.refer(_items())


def test_judge_cli_refers_and_the_remote_desk_shows_it(backend: Backend, tmp_path) -> None:
    project, tj, _ta, _adjudicator = _judged(backend)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(b"".join(
        orjson.dumps({"id": p, "prompt": "q", "response_a": "a", "response_b": "b"}) + b"\n"
        for p in JUDGE))  # fmt: skip
    out = tmp_path / "judge.jsonl"
    out.write_bytes(b"".join(
        orjson.dumps({"source": "model", "judge": "j1", "pair_id": p, "order": o, "choice": c,
                      "strength": 2, "rationale": f"judge on {p}"}) + b"\n"
        for p, c in JUDGE.items() for o in ("ab", "ba")))  # fmt: skip
    env = {**os.environ, "RANKTERM_TOKEN": tj, "RANKTERM_CONFIG": str(tmp_path / "none.toml")}
    ran = subprocess.run(
        [sys.executable, "-m", "rankterm", "judge", str(pairs), "-m",
         "j1=http://127.0.0.1:9/v1#none", "-o", str(out), "--to-adjudication",
         "--server", backend.url, "--project", project],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "1 pairs sent to adjudication" in ran.stderr
    client = TaskClient(backend.url, project, tj)
    desk = RemoteDesk(client, Journal.open(tmp_path / "adj.jsonl"), "adj")
    try:
        cases = {c.pair.id: c for c in desk.cases()}
        assert [c.model_extra["judge"] for c in cases["p00000"].model_verdicts] == ["j1"]
        assert cases["p00000"].discussion == []
        assert cases["p00002"].model_verdicts == []
    finally:
        desk.close()


def test_a_verdict_on_a_ranking_task_is_refused_not_counted_as_no_majority(
    backend: Backend,
) -> None:
    """A judge's A/B verdict on a K-way task: before, it was counted "no majority" (as if
    people had not agreed yet) and a later call could refer it. It is refused and counted
    apart, and nothing reaches the queue."""
    from tests.server.rank_helpers import make_rank_tasks

    project, tj, _, _ = _judged(backend)
    backend.add_pairs(project, make_rank_tasks(1, k=3))
    with TaskClient(backend.url, project, tj) as cj:
        counts = cj.refer([{"pair_id": "r00000", "judge": "j1", "choice": "A", "strength": 1}])
        assert counts["no_majority"] == 0, counts
        assert counts.get("ranking_task") == 1 and sum(counts.values()) == 1, counts
        assert "r00000" not in {i.pair.id for i in cj.conflicts()}
