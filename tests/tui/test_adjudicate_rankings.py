"""Adjudicating K-way rankings (issue #16): each annotator's order side by side as letters,
the candidates by letter only (never their models), and an order of record typed by the
expert, checked against the task before it is journaled."""

from __future__ import annotations

import uuid

import pytest

from rankterm.config import Settings
from rankterm.core.model import Ranking, RankTask, Resolution
from rankterm.guidelines import EMPTY
from rankterm.quality import AnnotatorStats
from rankterm.sources.adjudication import (
    Case,
    Decision,
    make_resolution,
    mean_rank_order,
    ranking_contestedness,
)
from rankterm.tui.app import make_adjudicate_app

SIZES = [(80, 24), (160, 50)]

TASK = RankTask(
    id="rank-007",
    prompt="Which answer explains recursion best?",
    responses=[
        {"content": "A function that **calls itself** on a smaller input.", "model": "gpt-x"},
        {"content": "Recursion is when \x1b]0;pwn\x07 a thing repeats.", "model": "llama-y"},
        {"content": "See: recursion.", "model": "claude-z"},
        {"content": "A base case plus a step that shrinks the problem.", "model": "mistral-w"},
    ],
)

ORDERS = {"ana": [[0], [3], [1], [2]], "ben": [[3], [0], [2], [1]], "chi": [[0, 3], [1], [2]]}


def _ranking(who: str, order: list[list[int]]) -> Ranking:
    return Ranking(
        id=uuid.UUID(int=len(who) * 1000 + sum(map(ord, who))),
        pair_id=TASK.id,
        annotator=who,
        ranking_id=uuid.uuid4(),
        k=sum(map(len, order)),
        order=order,
        duration_ms=61_000,
        rationale="D is the textbook answer." if who == "ben" else "",
        tags=["verbosity"] if who == "chi" else [],
    )


class MemoryDesk:
    """A desk holding one ranking case; resolutions kept in a list (the journal's stand-in)."""

    adjudicator = "judy"
    guideline_version = None

    def __init__(self) -> None:
        rankings = [_ranking(who, order) for who, order in ORDERS.items()]
        self.case = Case(
            pair=TASK,
            judgments=[],
            contested=ranking_contestedness(TASK.id, rankings),
            rankings=rankings,
        )
        self.resolved: list[Resolution] = []

    def cases(self) -> list[Case]:
        return [self.case]

    def track_records(self) -> dict[str, AnnotatorStats]:
        return {}

    def resolve(self, case: Case, decision: Decision) -> Resolution:
        resolution = make_resolution(case, decision, self.adjudicator, None)
        self.resolved.append(resolution)
        case.resolutions.append(resolution)
        return resolution

    def comment(self, case, text):  # pragma: no cover - not used here
        raise NotImplementedError

    pending = 0

    def close(self) -> None:
        pass


def test_mean_rank_order_ties_equal_means() -> None:
    rankings = [_ranking("x", [[0], [1], [2], [3]]), _ranking("y", [[1], [0], [3], [2]])]
    assert mean_rank_order(rankings) == [[0, 1], [2, 3]]


async def _ready(app, pilot) -> None:
    for _ in range(200):
        screen = app.screen
        if getattr(screen, "cases", None):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.6)  # past the verdict gate's paint guard


async def test_orders_side_by_side_and_a_typed_order_of_record() -> None:
    desk = MemoryDesk()
    app = make_adjudicate_app(desk, Settings(annotator="judy"), EMPTY)
    async with app.run_test(size=(160, 50)) as pilot:
        await _ready(app, pilot)
        screen = app.screen
        text = screen.query_one("#verdicts").text
        assert "A>D>B>C" in text and "D>A>C>B" in text and "A=D>B>C" in text
        assert "mean" in text
        left = screen.query_one("#left").text
        right = screen.query_one("#right").text
        for model in ("gpt-x", "llama-y", "claude-z", "mistral-w"):
            assert model not in left + right + text  # letters, never the models
        assert "\x1b" not in right and "calls itself" in left
        # A pair's verdict key does nothing to a ranking task.
        await pilot.press("2")
        await pilot.pause(0.2)
        assert desk.resolved == []
        # An order that leaves a candidate out is refused, nothing journaled.
        await pilot.press("o")
        await pilot.pause(0.2)
        for key in "ADB":
            await pilot.press(key.lower())
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert desk.resolved == []
        await pilot.press("o")
        await pilot.pause(0.2)
        for key in "d=ab>c":
            await pilot.press({"=": "equals_sign", ">": "greater_than_sign"}.get(key, key))
        await pilot.press("ctrl+s")
        for _ in range(40):
            if desk.resolved:
                break
            await pilot.pause(0.05)
    (resolution,) = desk.resolved
    assert resolution.order == [[3, 0], [1], [2]]
    assert resolution.choice is None
    assert sorted(resolution.considered) == sorted(r.id for r in desk.case.rankings)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_ranking_case_snapshot(snap_compare, size) -> None:
    app = make_adjudicate_app(MemoryDesk(), Settings(annotator="judy"), EMPTY)

    async def ready(pilot) -> None:
        await _ready(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)
