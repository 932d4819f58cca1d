"""Adaptive overlap (--extra-on-conflict): a third annotator only where the first two disagree,
an adjudicator only where the third did not settle it; the judgments (and hours) saved."""

from __future__ import annotations

import time
from typing import Any

from rankterm.core.model import Judgment
from rankterm.server import adaptive
from rankterm.server.core import PROJECT_TTL, get_project
from rankterm.sources.client import TaskClient
from tests.server.conftest import Backend, judgment

#: First two verdicts per pair, and the third annotator's where one is asked.
FIRST = {
    "p00000": ("A", "A"),
    "p00001": ("B", "B"),
    "p00002": ("A", "B"),
    "p00003": ("A", "B"),
    "p00004": ("tie", "tie"),
    "p00005": ("B", "A"),
}
THIRD = {"p00002": "A", "p00003": "tie", "p00005": "B"}


def _judge_all(c: TaskClient, name: str, verdicts: dict[str, str], ms: int) -> list[str]:
    leased = sorted(i.pair.id for i in c.lease(20).leases)
    acks = c.submit([judgment(p, name, verdicts[p], duration_ms=ms) for p in leased])
    assert {a.status for a in acks} == {"accepted"}
    return leased


def test_third_annotator_only_on_disagreement(backend: Backend) -> None:
    project = backend.project(n_pairs=6, overlap=2, extra_on_conflict=1)
    (a, ta), (b, tb), (c3, tc) = backend.user(), backend.user(), backend.user()
    _, tj = backend.user("adjudicator")
    for token, name, k in ((ta, a, 0), (tb, b, 1)):
        with TaskClient(backend.url, project, token) as c:
            got = _judge_all(c, name, {p: v[k] for p, v in FIRST.items()}, 20_000)
            assert got == sorted(FIRST)
    with TaskClient(backend.url, project, tj) as cj:
        # Disagreement opens the extra slot first: nothing for an adjudicator yet.
        assert cj.conflicts() == []
        assert cj.project_progress()["complete"] == 3
    with TaskClient(backend.url, project, tc) as c:
        assert _judge_all(c, c3, THIRD, 40_000) == sorted(THIRD)
        assert c.lease(5).exhausted
    with TaskClient(backend.url, project, tj) as cj:
        # A-B-A and B-A-B: settled by the majority; A-B-tie: still split.
        assert [item.pair.id for item in cj.conflicts()] == ["p00003"]
        assert cj.project_progress()["complete"] == 6
    with backend.db.read() as conn:
        saved = adaptive.project_savings(conn, get_project(conn, project))
    # Fixed overlap 3: 18 judgments; adaptive: 12 + 3 = 15.
    assert (saved.fixed, saved.judgments_done, saved.judgments_saved) == (3, 15, 3)
    assert saved.median_seconds == 20.0  # 12 at 20 s, 3 at 40 s
    assert saved.hours_saved == 3 * 20 / 3600


def test_without_extra_the_overlap_is_fixed(backend: Backend) -> None:
    project = backend.project(n_pairs=2, overlap=2)
    (a, ta), (b, tb), (_, tc) = backend.user(), backend.user(), backend.user()
    for token, name, choice in ((ta, a, "A"), (tb, b, "B")):
        with TaskClient(backend.url, project, token) as c:
            _judge_all(c, name, {"p00000": choice, "p00001": choice}, 1000)
    with TaskClient(backend.url, project, tc) as c:
        assert c.lease(5).exhausted


def _v(choice: str, who: str, strength: int | None = None) -> Judgment:
    return judgment("p", who, choice, **({} if strength is None else {"strength": strength}))


def test_majority_under_each_rule() -> None:
    votes: Any = [_v("A", "x"), _v("B", "y"), _v("A", "z")]
    assert adaptive.majority_agrees(votes, "any_disagreement")
    assert adaptive.majority_agrees(votes, "opposite_sides")
    split = [_v("A", "x"), _v("B", "y"), _v("tie", "z")]
    assert not adaptive.majority_agrees(split, "any_disagreement")
    assert adaptive.majority_agrees(split, "opposite_sides")  # A and tie: no opposite sides
    # -3, +1, +3 on the ordinal scale: +1 and +3 span 2, under 3.
    spread = [_v("A", "x", 3), _v("B", "y", 1), _v("B", "z", 3)]
    assert adaptive.majority_agrees(spread, "ordinal_spread>=3")
    assert not adaptive.majority_agrees(spread, "ordinal_spread>=2")


def test_flags() -> None:
    agree = [_v("A", "x"), _v("A", "y")]
    split = [_v("A", "x"), _v("B", "y")]
    assert adaptive.pair_flags(2, 1, "any_disagreement", 2, agree) == (True, False)
    assert adaptive.pair_flags(2, 1, "any_disagreement", 2, split) == (False, False)
    assert adaptive.pair_flags(2, 0, "any_disagreement", 2, split) == (True, True)
    assert adaptive.pair_flags(2, 1, "any_disagreement", 1, None) == (False, False)


def test_turning_extra_slots_on_reopens_split_pairs(backend: Backend) -> None:
    """A split pair already in the conflict queue goes back to the annotators when the
    project gets an extra slot, and returns to the queue only if the extra verdict leaves it
    split; turning the extra off again puts a still-split pair back in the queue."""
    from rankterm.server import projects
    from rankterm.server.schemas import ProjectUpdate

    project = backend.project(n_pairs=2, overlap=2)
    (a, ta), (b, tb), (c3, tc) = backend.user(), backend.user(), backend.user()
    _, tj = backend.user("adjudicator")
    for token, name, split in ((ta, a, "A"), (tb, b, "B")):
        with TaskClient(backend.url, project, token) as c:
            _judge_all(c, name, {"p00000": split, "p00001": "A"}, 1000)
    with TaskClient(backend.url, project, tj) as cj:
        assert [i.pair.id for i in cj.conflicts()] == ["p00000"]

    def change(**values: int) -> None:
        backend.db.write(
            lambda conn: projects.update_project(conn, project, ProjectUpdate(**values))
        )
        time.sleep(PROJECT_TTL + 0.1)  # a running server rereads settings this often

    change(extra_on_conflict=1)
    with TaskClient(backend.url, project, tj) as cj:
        assert cj.conflicts() == []
    change(extra_on_conflict=0)
    with TaskClient(backend.url, project, tj) as cj:
        assert [i.pair.id for i in cj.conflicts()] == ["p00000"]
    change(extra_on_conflict=1)
    with TaskClient(backend.url, project, tc) as c:
        assert _judge_all(c, c3, {"p00000": "A"}, 1000) == ["p00000"]
    with TaskClient(backend.url, project, tj) as cj:
        assert cj.conflicts() == []  # A-B-A: settled by the majority


def test_an_admins_prior_label_takes_an_open_extra_slot(backend: Backend) -> None:
    """Admins import prior labels without a lease: the third verdict of a split pair is
    taken (its extra slot is open), a third one on a pair whose two agree is not."""
    project = backend.project(n_pairs=2, overlap=2, extra_on_conflict=1)
    (a, ta), (b, tb) = backend.user(), backend.user()
    admin, tadmin = backend.user("admin")
    for token, name, split in ((ta, a, "A"), (tb, b, "B")):
        with TaskClient(backend.url, project, token) as c:
            _judge_all(c, name, {"p00000": split, "p00001": "A"}, 1000)
    with TaskClient(backend.url, project, tadmin) as c:
        acks = c.submit([judgment("p00000", admin, "A"), judgment("p00001", admin, "B")])
        assert [x.status for x in acks] == ["accepted", "rejected"]
        assert "already has its 2 judgments" in acks[1].reason
        assert c.conflicts() == []  # A-B-A: settled
