"""Keys in bursts on the ranking screen (a fast typist, a paste, SSH batching keystrokes).

The screen reads keys long before it shows what they answer. The rule is the pairwise
screen's verdict gate (tests/tui/test_verdict_gate.py): a verdict key counts only for a
comparison painted before the key was read; keys read earlier are dropped, on purpose. So:

- every comparison journaled is the question that was on screen when its key was read
  (checked against a log of what was painted when, kept by the test from the gate itself);
- no task is ranked twice, and every ranking names the task its comparisons are about;
- the keys that counted, typed again one at a time by a slow typist, give the same journal
  of comparisons and the same orders.

Keys are posted to the app as the driver posts them (``App.post_message(events.Key)``), in
bursts whose gaps are shorter and longer than a frame, crossing from one task to the next,
with undo inside a burst; at 80x24 and 160x50.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from textual import events

from rankterm.config import Settings
from rankterm.core.insertion import Edge, Ranker, insertion_sequence
from rankterm.core.model import Choice, Comparison, Ranking, Retraction
from rankterm.sources.local import open_local
from rankterm.sources.ranking import RankSource
from rankterm.storage.journal import read_journal
from rankterm.tui.app import make_app
from rankterm.tui.verdict_gate import HOLD_DELAY

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
VERDICTS = {"1": "left", "2": "left", "3": "left", "4": "tie", "5": "right", "6": "right"}
VERDICTS["7"] = "right"


@dataclass
class Watch:
    """What the screen painted when, and which verdict keys the gate let through."""

    painted: list[tuple[float, str, int, int]] = field(default_factory=list)
    accepted: list[tuple[float, str]] = field(default_factory=list)
    _pending: tuple[str, int, int] | None = None

    def attach(self, screen) -> None:
        gate = screen.gate
        shown, painted, admit = gate.shown, gate.painted, gate.admit

        def on_shown(at: float) -> None:
            rv = screen.rank_view
            self._pending = None if rv is None else (rv.task.id, rv.left, rv.right)
            shown(at)

        def on_painted(at: float) -> None:
            before = gate.painted_at
            painted(at)
            if before is None and gate.painted_at is not None and self._pending is not None:
                self.painted.append((gate.painted_at, *self._pending))

        def on_admit(press):
            refusal = admit(press)
            if refusal is None and press is not None:
                self.accepted.append((press.time, press.key))
            return refusal

        gate.shown, gate.painted, gate.admit = on_shown, on_painted, on_admit
        rv = screen.rank_view  # the first question, painted before the watch began
        assert gate.painted_at is not None and rv is not None
        self.painted.append((gate.painted_at, rv.task.id, rv.left, rv.right))

    def on_screen_at(self, at: float) -> tuple[str, int, int]:
        """The question last painted before ``at`` (what the person saw then)."""
        before = [p for p in self.painted if p[0] <= at]
        assert before, f"a key read at {at} before anything was painted was accepted"
        return max(before)[1:]


def open_rank(tmp_path: Path, name: str):
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(SAMPLES / "rank4.jsonl", folder / "rank4.jsonl")
    local, guide, _ = open_local(folder / "rank4.jsonl", annotator="typist")
    rank = RankSource(local)
    app = make_app(local, Settings(annotator="typist"), guide, rank_source=rank)
    return local, rank, app


async def painted(pilot, app) -> None:
    await pilot.pause()
    for _ in range(200):
        gate = getattr(app.screen, "gate", None)
        if gate is not None and gate.painted_at is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause()


async def quiet(pilot, app, rank) -> None:
    """Until nothing moves: the last key handled and its question painted."""
    last = None
    for _ in range(100):
        await pilot.pause(0.05)
        gate = app.screen.gate
        now = (len(list(read_journal(rank.journal.path))), gate.serial, gate.painted_at)
        if now == last and gate.painted_at is not None:
            return
        last = now
    raise AssertionError("the screen never settled")


def key(name: str) -> events.Key:
    return events.Key(name, name)


def comparisons_and_rankings(local):
    """The standing comparisons (in order) and the standing rankings of the journal."""
    entries = list(read_journal(local.journal.path))
    retracted = {e.retracts for e in entries if isinstance(e, Retraction)}
    comps = [e for e in entries if isinstance(e, Comparison) and e.id not in retracted]
    ranks = [e for e in entries if isinstance(e, Ranking) and e.id not in retracted]
    return entries, comps, ranks


def check_attribution(watch: Watch, entries: list) -> None:
    """Each accepted key is the next comparison journaled (or the undo that followed it), and
    that comparison is the question on screen when the key was read, on the side pressed."""
    journaled = [e for e in entries if isinstance(e, Comparison)]
    assert len(journaled) == len(watch.accepted), (journaled, watch.accepted)
    for (at, pressed), comp in zip(watch.accepted, journaled, strict=True):
        task, left, right = watch.on_screen_at(at)
        assert comp.pair_id == task
        assert {comp.a, comp.b} == {left, right}
        side = VERDICTS[pressed]
        if side == "tie":
            assert comp.choice is Choice.TIE
        else:
            better = left if side == "left" else right
            assert (comp.a if comp.choice is Choice.A else comp.b) == better


def check_rankings(comps: list[Comparison], ranks: list[Ranking]) -> None:
    assert len({r.pair_id for r in ranks}) == len(ranks), "a task ranked twice"
    for r in ranks:
        mine = [c for c in comps if c.id in set(r.comparisons)]
        assert len(mine) == len(r.comparisons)
        assert {c.pair_id for c in mine} <= {r.pair_id}
        assert {c.ranking_id for c in mine} <= {r.ranking_id}


async def slow_typist(tmp_path: Path, keys: list[str], size) -> tuple[list, list]:
    """The same keys one at a time, each after its question is painted."""
    local, rank, app = open_rank(tmp_path, "slow")
    async with app.run_test(size=size) as pilot:
        await painted(pilot, app)
        last = ""
        for k in keys:
            if k == last:
                # The same verdict key again at once would be a held key (an undo between
                # does not count: the gate sees verdict keys only).
                await pilot.pause(HOLD_DELAY)
            if k != "u":
                last = k
            await pilot.press(k)
            await quiet(pilot, app, rank)
        await pilot.press("q")
    _, comps, ranks = comparisons_and_rankings(local)
    local.close()
    return comps, ranks


def closes_with_left(rank: RankSource) -> bool:
    """Whether "left is better" on the question on screen completes its task's order."""
    view = rank.rank_view()
    edges = [Edge(c.id, c.a, c.b, c.choice) for c in view.known]
    choice = Choice.A if view.left == view.question.a else Choice.B
    edges.append(Edge("next", view.question.a, view.question.b, choice))
    sequence = insertion_sequence(view.task.k, f"typist\x00{view.task.id}")
    return Ranker(view.task.k, edges, sequence=sequence).complete


def bursts(seed: int) -> list[tuple[list[str], float]]:
    """Groups of keys posted at once, each followed by a gap (some shorter than a frame)."""
    rng = random.Random(seed)
    out = []
    for _ in range(24):
        group = [
            "u" if rng.random() < 0.08 else rng.choice("2266445") for _ in range(rng.randint(1, 4))
        ]
        out.append((group, rng.choice([0.0, 0.005, 0.02, 0.08, 0.25, 0.5])))
    return out


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_bursts_attribute_every_comparison_to_the_question_on_screen(tmp_path, size, seed):
    local, rank, app = open_rank(tmp_path, "burst")
    watch = Watch()
    async with app.run_test(size=size) as pilot:
        await painted(pilot, app)
        watch.attach(app.screen)
        for group, gap in bursts(seed):
            for name in group:
                app.post_message(key(name))
            await asyncio.sleep(gap)
        await quiet(pilot, app, rank)
        # A slow machine may have taken too few keys to finish a task: spaced keys (no two
        # alike in a row) until one is finished, so the bursts always cross into the next.
        for name in "26" * 10:
            if any(isinstance(e, Ranking) for e in read_journal(rank.journal.path)):
                break
            app.post_message(key(name))
            await quiet(pilot, app, rank)
        await pilot.press("q")
    entries, comps, ranks = comparisons_and_rankings(local)
    local.close()
    check_attribution(watch, entries)
    check_rankings(comps, ranks)
    assert ranks and any(isinstance(e, Retraction) for e in entries)  # crossed, and undid
    print(
        f"\nseed {seed}: {len(watch.accepted)} keys counted, {len(comps)} comparisons, "
        f"{len(ranks)} rankings, {sum(isinstance(e, Retraction) for e in entries)} undone"
    )
    # What counted, typed slowly: the same comparisons and orders. Undo is a key too: replay
    # the journal's own sequence of verdicts and undos.
    keys: list[str] = []
    accepted = iter(watch.accepted)
    for e in entries:
        if isinstance(e, Comparison):
            keys.append(next(accepted)[1])
        elif isinstance(e, Retraction) and not any(
            isinstance(r, Ranking) and r.id == e.retracts for r in entries
        ):
            keys.append("u")
    slow_comps, slow_ranks = await slow_typist(tmp_path, keys, size)
    shape = [(c.pair_id, c.a, c.b, c.choice) for c in comps]
    assert [(c.pair_id, c.a, c.b, c.choice) for c in slow_comps] == shape
    assert [(r.pair_id, r.order) for r in slow_ranks] == [(r.pair_id, r.order) for r in ranks]


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_a_burst_answers_only_the_question_on_screen(tmp_path, size):
    """``26262`` in one read: one comparison, on the first question; the rest were read
    before their question existed."""
    local, rank, app = open_rank(tmp_path, "one")
    watch = Watch()
    async with app.run_test(size=size) as pilot:
        await painted(pilot, app)
        watch.attach(app.screen)
        first = rank.rank_view()
        for name in "26262":
            app.post_message(key(name))
        await quiet(pilot, app, rank)
        await pilot.press("q")
    entries, comps, _ = comparisons_and_rankings(local)
    local.close()
    assert len(comps) == 1
    assert (comps[0].pair_id, {comps[0].a, comps[0].b}) == (
        first.task.id,
        {first.question.a, first.question.b},
    )
    check_attribution(watch, entries)


async def test_a_burst_across_the_end_of_a_task_does_not_answer_the_next(tmp_path):
    """The last comparison of a task, then keys in the same read: the next task's first
    question was never on screen, so they judge nothing."""
    local, rank, app = open_rank(tmp_path, "cross")
    watch = Watch()
    async with app.run_test(size=(80, 24)) as pilot:
        await painted(pilot, app)
        watch.attach(app.screen)
        first = rank.rank_view().task.id
        last = ""
        while not closes_with_left(rank):  # slowly, up to the task's last question
            if last == "2":
                await pilot.pause(HOLD_DELAY)
            last = "2"
            await pilot.press("2")
            await quiet(pilot, app, rank)
        assert rank.rank_view().task.id == first
        if last == "2":
            await pilot.pause(HOLD_DELAY)
        for name in "2644":  # the closing "2" and three keys meant for nothing on screen
            app.post_message(key(name))
        await quiet(pilot, app, rank)
        second = rank.rank_view()
        assert second.task.id != first and second.asked == 0
        await pilot.press("q")
    entries, comps, ranks = comparisons_and_rankings(local)
    local.close()
    assert [r.pair_id for r in ranks] == [first]
    assert {c.pair_id for c in comps} == {first}
    check_attribution(watch, entries)
    check_rankings(comps, ranks)


async def test_a_tag_key_read_after_the_closing_verdict_does_not_tag_the_closed_ranking(
    tmp_path,
):
    """``2h`` in one read, the ``2`` closing the task: the ranking is journaled with the tags
    set before ``2``. The ``h`` came after the verdict; it must not land on the ranking that
    verdict closed (the person never saw a question to tag when they pressed it)."""
    local, rank, app = open_rank(tmp_path, "tag")
    async with app.run_test(size=(80, 24)) as pilot:
        await painted(pilot, app)
        first = rank.rank_view().task.id
        last = ""
        while not closes_with_left(rank):
            if last == "2":
                await pilot.pause(HOLD_DELAY)
            last = "2"
            await pilot.press("2")
            await quiet(pilot, app, rank)
        if last == "2":
            await pilot.pause(HOLD_DELAY)
        app.post_message(key("2"))
        app.post_message(key("h"))
        await quiet(pilot, app, rank)
        assert not app.screen._verdicts_in_flight  # every verdict key's action finished
        assert "hallucination" not in app.screen.draft.tags  # nor on the next task
        await pilot.pause(HOLD_DELAY)
        await pilot.press("h")  # pressed once the next question is up: it counts
        assert "hallucination" in app.screen.draft.tags
        await pilot.press("q")
    _, _, ranks = comparisons_and_rankings(local)
    local.close()
    assert [r.pair_id for r in ranks] == [first]
    assert ranks[0].tags == []


async def test_the_same_verdict_key_after_an_undo_is_a_new_press(tmp_path):
    """``2``, ``u``, ``2`` each once its question is on screen, faster than a held key's
    repeat delay: the second ``2`` was not a held key (another key came between, which ends a
    keyboard's auto-repeat), so it answers the question undo brought back."""
    local, rank, app = open_rank(tmp_path, "redo")
    async with app.run_test(size=(80, 24)) as pilot:
        await painted(pilot, app)
        first = rank.rank_view().question
        for name in ("2", "u", "2"):
            await pilot.press(name)
            await quiet(pilot, app, rank)
        await pilot.press("q")
    entries, comps, _ = comparisons_and_rankings(local)
    local.close()
    kinds = [type(e).__name__ for e in entries]
    assert kinds == ["Comparison", "Retraction", "Comparison"], kinds
    assert {comps[0].a, comps[0].b} == {first.a, first.b}


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_a_typed_order_pasted_in_one_burst_is_taken_whole(tmp_path, size) -> None:
    """``o3142`` and Enter pasted over SSH arrive before the typed-order dialog exists: its
    keys went to a screen with nothing focused and were lost, and the dialog opened empty.
    They now land in the dialog's field, and the Enter among them submits it."""
    local, rank, app = open_rank(tmp_path, "paste")
    async with app.run_test(size=size) as pilot:
        await painted(pilot, app)
        task = rank.rank_view().task.id
        for name in ["o", "3", "1", "4", "2", "enter"]:
            app.post_message(key(name))
        await quiet(pilot, app, rank)
        assert type(app.screen).__name__ != "TypedOrderDialog"
        await pilot.press("q")
    _, _, ranks = comparisons_and_rankings(local)
    local.close()
    (ranking,) = [r for r in ranks if r.pair_id == task]
    assert ranking.order == [[2], [0], [3], [1]]  # 3142: C > A > D > B


async def test_keys_pasted_without_enter_wait_in_the_field(tmp_path) -> None:
    local, _rank, app = open_rank(tmp_path, "paste-open")
    async with app.run_test(size=(80, 24)) as pilot:
        await painted(pilot, app)
        for name in ["o", "C", "A"]:
            app.post_message(key(name))
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "TypedOrderDialog"
        from textual.widgets import Input

        assert app.screen.query_one(Input).value == "CA"
        await pilot.press("escape", "q")
    local.close()
