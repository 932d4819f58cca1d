"""Render cache keys by candidate, so a ranking renders each response once per width.

The ranking screen shows each comparison as a pair whose id names the task and the two
candidates (``t1 C:A``); the pairwise renderer keys its cache by pair id, so the same response
would be rendered again in every comparison it takes part in (a K=6 ranking asks up to 11).
This cache, given to the screen's :class:`~rankterm.tui.render.PairRenderer`, rewrites the
keys of such pairs to the candidate they show: a response rendered for one comparison serves
every later one, and all K can be rendered ahead while the person reads the first two.
"""

from __future__ import annotations

from collections.abc import Hashable

from rankterm.tui.render import Lines, RenderCache


class CandidateCache(RenderCache):
    """A :class:`RenderCache` that knows which pair ids are comparisons of a ranking task."""

    def __init__(self, size: int = 96) -> None:
        super().__init__(size)
        #: Comparison pair id -> (task id, candidate shown as "a", candidate shown as "b").
        self.aliases: dict[str, tuple[str, int, int]] = {}

    def alias(self, pair_id: str, task_id: str, a: int, b: int) -> None:
        self.aliases[pair_id] = (task_id, a, b)

    def canonical(self, key: Hashable) -> Hashable:
        """("md", pair, "a", width, raw) -> ("cand", task, index, width, raw); the prompt
        (``ctx``) by task. Other keys (diff, word counts) stay per comparison."""
        if not isinstance(key, tuple) or len(key) < 2 or key[1] not in self.aliases:
            return key
        task_id, a, b = self.aliases[key[1]]  # type: ignore[index]
        if key[0] == "md":
            return ("cand", task_id, a if key[2] == "a" else b, *key[3:])
        if key[0] == "ctx":
            return ("ctx-task", task_id, *key[2:])
        return key

    def peek(self, key: Hashable) -> Lines | None:
        return super().peek(self.canonical(key))

    def get_or_render(self, key: Hashable, make) -> Lines:  # type: ignore[no-untyped-def]
        return super().get_or_render(self.canonical(key), make)
