"""The ``informative`` order: near-zero margins, split verdicts and overlapping model ratings
first; scores refreshed in the background; ``admin project show`` says why."""

from __future__ import annotations

import time

from sqlalchemy import select

from rankterm.core.model import Pair
from rankterm.server import informative
from rankterm.server import tables as t
from rankterm.server.core import get_project
from rankterm.sources.client import TaskClient
from tests.attacks.test_oracles import _kinds
from tests.server.conftest import Backend, judgment
from tests.server.test_cli import run


def _pair(pid: str, priority: float = 0, **fields: object) -> Pair:
    return Pair(id=pid, prompt="p", response_a="a", response_b="b", priority=priority, **fields)


def _scores(backend: Backend, project: str) -> dict[str, float]:
    with backend.db.read() as conn:
        pid = get_project(conn, project).id
        rows = conn.execute(
            select(t.pairs.c.pair_id, t.pairs.c.info_score).where(t.pairs.c.project_id == pid)
        ).all()
    return dict(rows)


def test_near_zero_margins_first_after_a_background_refresh(backend: Backend) -> None:
    project = backend.project(overlap=1, ordering="informative")
    backend.add_pairs(
        project,
        [
            _pair("q0", priority=5),  # no signal: after every scored pair, whatever its priority
            _pair("q1", metadata={"reward_a": 0.1, "reward_b": 0.0}),
            _pair("q2", metadata={"reward_a": 3.0, "reward_b": 0.0}),
            _pair("q3", metadata={"margin": -0.5}),
            _pair("q4", metadata={"margin": "n/a"}),  # not a number: no signal
        ],
    )
    _, token = backend.user()
    with TaskClient(backend.url, project, token) as c:
        # Nothing scored yet: priority order; this lease starts the refresh, off its path.
        assert c.lease(1).leases[0].pair.id == "q0"
        deadline = time.monotonic() + 30
        while _scores(backend, project)["q1"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        scores = _scores(backend, project)
        assert scores["q1"] > scores["q3"] > scores["q2"] > 0 == scores["q4"]
        order = [c.lease(1).leases[0].pair.id for _ in range(4)]
    assert order == ["q1", "q3", "q2", "q4"]


def test_split_verdicts_first_and_show_explains(backend: Backend) -> None:
    project = backend.project(overlap=3, ordering="informative")
    backend.add_pairs(project, [_pair(f"q{i}") for i in range(4)])
    (a, ta), (b, tb), (_, tc) = backend.user(), backend.user(), backend.user()
    for token, name, split in ((ta, a, "A"), (tb, b, "B")):
        with TaskClient(backend.url, project, token) as c:
            leased = [i.pair.id for i in c.lease(4).leases]
            c.submit([judgment(p, name, split if p == "q2" else "A") for p in leased])
    backend.db.write(lambda conn: informative.refresh(conn, get_project(conn, project)))
    with TaskClient(backend.url, project, tc) as c:
        assert c.lease(1).leases[0].pair.id == "q2"
    code, out, _ = run("admin", "project", "show", project, "--db", backend.db_url)
    assert code == 0
    assert "ordering = informative" in out
    assert "#1 q2: score 1.000 (disagreement 1.00: verdicts split 1-1)" in out
    assert "scored by margin 0, disagreement 4, overlap 0" in out


def test_overlapping_model_ratings_first(backend: Backend) -> None:
    project = backend.project(overlap=1, ordering="informative")
    settled = [_pair(f"s{i}", model_a="strong", model_b="weak") for i in range(12)]
    even = [_pair(f"e{i}", model_a="left", model_b="right") for i in range(12)]
    backend.add_pairs(project, settled + even)
    _, admin = backend.user("admin")
    with TaskClient(backend.url, project, admin) as c:
        verdicts = [judgment(p.id, c.me()["name"], "A") for p in settled]
        verdicts += [judgment(p.id, c.me()["name"], "AB"[i % 2]) for i, p in enumerate(even)]
        assert {a.status for a in c.submit(verdicts)} == {"accepted"}
    backend.add_pairs(
        project,
        [
            _pair("open-settled", priority=1, model_a="weak", model_b="strong"),
            _pair("open-even", model_a="right", model_b="left"),
            _pair("open-new", model_a="left", model_b="newcomer"),
        ],
    )
    with backend.db.read() as conn:
        scores, explained = informative.score_pairs(conn, get_project(conn, project))
    by_id = {s.pair_id: s for s in scores}
    assert by_id["open-new"].parts == {"overlap": 1.0}  # no rating yet: nothing is known
    assert by_id["open-even"].parts["overlap"] > 0.5
    assert by_id["open-settled"].parts["overlap"] == 0.0
    assert [s.pair_id for s in scores] == ["open-new", "open-even", "open-settled"]
    assert set(explained.models) == {"strong", "weak", "left", "right"}


def test_component_functions() -> None:
    assert informative.margin_part({"reward_a": 1, "reward_b": 1})[0] == 1.0
    assert informative.margin_part({"reward_a": True, "reward_b": 0}) is None
    assert informative.margin_part(None) is None
    assert informative.disagreement_part(["A"]) is None
    assert informative.disagreement_part(["A", "A", "B"])[0] == 2 * (1 - 2 / 3)
    models = {"x": (1000.0, 900.0, 1100.0), "y": (1050.0, 1000.0, 1300.0)}
    value, why = informative.overlap_part("x", "y", models)
    assert value == 0.5 and "overlap 50%" in why
    assert informative.overlap_part("x", "x", models) is None


def test_mixed_in_items_still_go_out_only_beside_ordinary_pairs(backend: Backend) -> None:
    """tests/attacks/test_oracles.py's queue-end check, in an informative project with extra
    slots on conflict: neither changes which items may go out alone (none)."""
    project = backend.project(
        n_pairs=6,
        gold=20,
        overlap=2,
        extra_on_conflict=1,
        gold_rate=0.3,
        repeat_rate=0.3,
        repeat_gap=0,
        ordering="informative",
    )
    backend.db.write(lambda conn: informative.refresh(conn, get_project(conn, project)))
    name, token = backend.user()
    after_dry: list[str] = []
    with TaskClient(backend.url, project, token, timeout=30) as c:
        dry = False
        for _ in range(40):
            answer = c.lease(1)
            if not answer.leases:
                dry = True
                continue
            (item,) = answer.leases
            if dry:
                after_dry.append(_kinds(backend, [item.lease_id])[item.lease_id])
            assert c.submit([judgment(item.pair.id, name)])[0].status == "accepted"
    assert dry and after_dry == []
