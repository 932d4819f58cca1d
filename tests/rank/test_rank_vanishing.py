"""A ranking task that cannot be loaded, or that goes away while it is on screen.

- ``RankSource._state`` moved on from a task its provider could not load by calling itself;
  when the next task to try was that same task (the only one left, or every one left
  unloadable) it recursed until Python's limit: a RecursionError out of the status line.
- A keystroke is an answer to the question on screen. When the task on screen went away
  between painting it and the key (a remote lease taken back), ``record`` moved on to the next
  task and journaled the key as the answer to that task's first question, which the person
  had not seen: a comparison silently attributed to the wrong candidates.
"""

from __future__ import annotations

import sys

import pytest

from rankterm.core.errors import RanktermError
from rankterm.core.model import Choice, Comparison
from rankterm.sources.base import Draft
from rankterm.sources.ranking import LocalRankTasks, RankSource
from rankterm.storage.index import BadPairError
from tests.rank.test_rank_session import open_rank, write


class Unloadable(LocalRankTasks):
    """The file's ranking tasks, with some listed but not loadable."""

    def __init__(self, local, annotator: str, broken: set[str], only: list[str] | None = None):
        super().__init__(local, annotator)
        self.broken = broken
        self.only = only

    def task_ids(self) -> list[str]:
        return self.only if self.only is not None else super().task_ids()

    def task(self, task_id: str):
        if task_id in self.broken:
            raise BadPairError(f"{task_id}: cannot be read")
        return super().task(task_id)


@pytest.mark.parametrize(
    ("broken", "only"),
    [({"t2"}, None), ({"t2"}, ["t2"]), ({"t1", "t2"}, None)],
    ids=["one-of-two", "the-only-one", "all"],
)
def test_a_task_that_never_loads_ends_the_search_without_recursing(tmp_path, broken, only) -> None:
    local, _ = open_rank(write(tmp_path / "pairs.jsonl"))
    try:
        source = RankSource(local, Unloadable(local, "ann", broken, only))
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(200)  # a bounded search needs a few frames, not hundreds
        try:
            view = source.rank_view()
        finally:
            sys.setrecursionlimit(limit)
        if broken == {"t2"} and only is None:
            assert view is not None and view.task.id == "t1"
        else:
            assert view is None
            with pytest.raises(RuntimeError, match="no ranking task"):
                source.record(Choice.A, 2, Draft(), 10)
    finally:
        local.close()


def test_an_answer_to_a_task_that_went_away_is_not_given_to_the_next(tmp_path) -> None:
    local, _ = open_rank(write(tmp_path / "pairs.jsonl"))
    try:
        tasks = Unloadable(local, "ann", set())
        source = RankSource(local, tasks)
        shown = source.rank_view()
        assert shown is not None and shown.task.id == "t2"  # priority 1 first
        tasks.broken.add("t2")  # gone between painting the question and the key
        with pytest.raises(RanktermError, match="t2"):
            source.record(Choice.A, 2, Draft(), 10)
        assert not any(isinstance(r, Comparison) for r in local.session.state.comparisons.values())
        # The next task is on screen now; an answer to it is taken.
        after = source.rank_view()
        assert after is not None and after.task.id == "t1"
        made = source.record(Choice.A, 2, Draft(), 10)
        assert made.pair_id == "t1" and (made.a, made.b) == (after.question.a, after.question.b)
        with pytest.raises(RanktermError, match="t1"):
            tasks.broken.add("t1")
            source.type_order("ABCD", Draft())
    finally:
        local.close()
