"""Binary insertion with ties: which two candidates of a K-way ranking to compare next.

A person is good at comparing two texts side by side and poor at holding nine in mind; the
program does the sorting. Candidates are inserted one by one into the tiers placed so far
(best first), each by binary search against the middle tier's representative (its first
member): "better" and "worse" halve the range, a tie puts the candidate into that tier. A
full order of K takes at most sum(ceil(log2(m + 1)) for m in 1..K-1) comparisons (5 for K=4,
11 for K=6) instead of the K(K-1)/2 of asking every pair (6, 15).

Everything is derived from the comparisons made so far, never from hidden state, so replaying
a journal's comparisons after a crash gives the same next question, and undo is "drop the
last comparison". The comparisons are folded into a relation graph: ties join candidates into
classes (union-find) and "better" answers are edges between classes; its transitive closure
says which answers are already known. A question whose answer the closure implies is never
asked.

**Contradictions.** Since implied comparisons are never asked, a contradiction cannot come from
the questions alone; it comes from

- a *typed order* (``3142``) that disagrees with what the comparisons imply (the person typed
  C > A after saying A > B and B > C): each such pair is re-asked, both texts side by side,
  and the answer settles it (see :meth:`Ranker.next_question`);
- a *re-ask* answer that repeats the contradicting verdict: the person insists, so the earlier
  comparisons that implied the opposite (every comparison on a path of the graph between the
  two) are withdrawn, and insertion asks again whatever is no longer known;
- a journal holding comparisons that do not agree (merged or hand-edited): replayed in order,
  a later comparison wins in the same way.

Precisely: a comparison (a, b, verdict) *contradicts* the others when the transitive closure of
the others (ties as equalities, "better" as a strict order) implies a different verdict for
a and b, including a cycle through a tie. :func:`withdrawn_by` names the comparisons to
withdraw so that it no longer does. This module is pure: no I/O, no rankterm imports beyond
the model.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from rankterm.core.model import Choice, Order, implied_pairs


@dataclass(frozen=True)
class Edge:
    """One standing comparison in the engine's terms: ``choice`` A means ``a`` beats ``b``."""

    id: Hashable
    a: int
    b: int
    choice: Choice

    def normalised(self) -> tuple[int, int, Choice]:
        """As (better, worse, A) or (low, high, TIE): one spelling per verdict."""
        if self.choice is Choice.TIE:
            return min(self.a, self.b), max(self.a, self.b), Choice.TIE
        if self.choice is Choice.A:
            return self.a, self.b, Choice.A
        return self.b, self.a, Choice.A


def flip(choice: Choice) -> Choice:
    """The same verdict with the two candidates exchanged."""
    return {Choice.A: Choice.B, Choice.B: Choice.A}.get(choice, choice)


class Closure:
    """The transitive closure of a set of consistent comparisons among ``k`` candidates."""

    def __init__(self, k: int, edges: Iterable[Edge]) -> None:
        self.k = k
        self.edges = list(edges)
        parent = list(range(k))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for e in self.edges:
            if e.choice is Choice.TIE:
                ra, rb = find(e.a), find(e.b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        self.cls = [find(i) for i in range(k)]
        better = [[False] * k for _ in range(k)]
        for e in self.edges:
            if e.choice is not Choice.TIE:
                hi, lo, _ = e.normalised()
                better[self.cls[hi]][self.cls[lo]] = True
        for m in range(k):  # Floyd-Warshall over classes (k <= 9)
            row_m = better[m]
            for i in range(k):
                if better[i][m]:
                    row_i = better[i]
                    for j in range(k):
                        if row_m[j]:
                            row_i[j] = True
        self.better = better

    @property
    def consistent(self) -> bool:
        """No class is better than itself (a cycle, or "better" inside a tie)."""
        return not any(self.better[c][c] for c in set(self.cls))

    def relation(self, a: int, b: int) -> Choice | None:
        """What the comparisons imply for ``a`` vs ``b`` (A: a better), or None if nothing."""
        ca, cb = self.cls[a], self.cls[b]
        if ca == cb:
            return Choice.TIE
        if self.better[ca][cb]:
            return Choice.A
        if self.better[cb][ca]:
            return Choice.B
        return None

    def _reach(self, p: int, q: int) -> bool:
        return p == q or self.better[p][q]

    def on_paths(self, top: int, bottom: int) -> list[Edge]:
        """Every edge on some path from candidate ``top``'s class down to ``bottom``'s (ties
        inside a class on such a path included): what makes the closure say top >= bottom."""
        x, y = self.cls[top], self.cls[bottom]
        out = []
        for e in self.edges:
            if e.choice is Choice.TIE:
                z = self.cls[e.a]
                if self._reach(x, z) and self._reach(z, y):
                    out.append(e)
            else:
                hi, lo, _ = e.normalised()
                if self._reach(x, self.cls[hi]) and self._reach(self.cls[lo], y):
                    out.append(e)
        return out


def withdrawn_by(k: int, edges: Sequence[Edge], new: Edge) -> list[Edge]:
    """The standing edges to withdraw so that ``new`` stands without contradiction.

    Earlier answers on the same two candidates always go (a new answer replaces them); then,
    while the closure of what is left implies another verdict for the pair, every edge on a
    path that implies it goes too. Empty when ``new`` agrees with everything.
    """
    same = {new.a, new.b}
    gone = [e for e in edges if {e.a, e.b} == same]
    left = [e for e in edges if {e.a, e.b} != same]
    while True:
        closure = Closure(k, left)
        implied = closure.relation(new.a, new.b)
        if implied is None or implied is new.choice:
            return gone
        if implied is Choice.A:
            drop = closure.on_paths(new.a, new.b)
        else:  # B, or TIE (a class holding both: the paths inside it, either way)
            drop = closure.on_paths(new.b, new.a)
            if implied is Choice.TIE:
                drop += [e for e in closure.on_paths(new.a, new.b) if e not in drop]
        if not drop:  # cannot happen with a consistent graph; never loop forever
            return gone
        gone += drop
        left = [e for e in left if e not in drop]


@dataclass(frozen=True)
class Question:
    """The next two candidates to compare. ``recheck``: a re-ask of a contradiction."""

    a: int
    b: int
    recheck: bool = False
    #: For a re-ask: what the comparisons imply for ``a`` vs ``b`` and what the typed order
    #: says (both in a-vs-b terms), to tell the person why they are asked again.
    implied: Choice | None = None
    typed: Choice | None = None


@dataclass
class Progress:
    """Where an insertion stands, for the strip: the tiers placed so far (best first), the
    candidate being inserted, and those still to come."""

    tiers: Order
    inserting: int | None
    waiting: list[int] = field(default_factory=list)


def insertion_sequence(k: int, seed: str) -> list[int]:
    """The order candidates are inserted in: a stable shuffle per (annotator, task), so the
    first candidate of the file is not always the first pivot, and a restart keeps it."""
    rng = random.Random(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    seq = list(range(k))
    rng.shuffle(seq)
    return seq


class Ranker:
    """The state of one ranking attempt, rebuilt from its standing comparisons.

    ``edges`` are the attempt's standing comparisons in the order they were made; a later one
    that contradicts earlier ones wins (:func:`withdrawn_by`), and the losers are listed in
    :attr:`dropped`. ``typed`` is an order the person typed and that is being checked against
    the comparisons (see :meth:`next_question`).
    """

    def __init__(
        self,
        k: int,
        edges: Iterable[Edge] = (),
        *,
        sequence: Sequence[int] | None = None,
        typed: Order | None = None,
    ) -> None:
        self.k = k
        self.sequence = list(sequence) if sequence is not None else list(range(k))
        if sorted(self.sequence) != list(range(k)):
            raise ValueError("the insertion sequence must hold each candidate once")
        self.edges: list[Edge] = []
        self.dropped: list[Edge] = []
        for edge in edges:
            gone = withdrawn_by(k, self.edges, edge)
            if gone:
                self.dropped += gone
                self.edges = [e for e in self.edges if e not in gone]
            self.edges.append(edge)
        self.closure = Closure(k, self.edges)
        self.typed = typed

    # -- queries ------------------------------------------------------------------------------

    def relation(self, a: int, b: int) -> Choice | None:
        return self.closure.relation(a, b)

    def typed_conflicts(self) -> list[Question]:
        """Pairs where the typed order and the comparisons disagree (each a re-ask)."""
        if self.typed is None:
            return []
        out = []
        for i, j, says in implied_pairs(self.typed):
            known = self.relation(i, j)
            if known is not None and known is not says:
                out.append(Question(i, j, recheck=True, implied=known, typed=says))
        return out

    def _insert(self) -> tuple[Progress, Question | None]:
        seq = self.sequence
        tiers: Order = [[seq[0]]]
        for n, x in enumerate(seq[1:], start=1):
            lo, hi = 0, len(tiers)
            placed = False
            while lo < hi:
                mid = (lo + hi) // 2
                rep = tiers[mid][0]
                rel = self.relation(x, rep)
                if rel is None:
                    return Progress(tiers, x, list(seq[n + 1 :])), Question(x, rep)
                if rel is Choice.TIE:
                    tiers[mid].append(x)
                    placed = True
                    break
                if rel is Choice.A:
                    hi = mid
                else:
                    lo = mid + 1
            if not placed:
                tiers.insert(lo, [x])
        return Progress(tiers, None, []), None

    def next_question(self) -> Question | None:
        """The next comparison to ask, or None once the order is known.

        With a typed order pending, its first disagreement with the comparisons is re-asked;
        once none is left the typed order is the answer (even where the comparisons say
        nothing). Otherwise, the next step of binary insertion.
        """
        if self.typed is not None:
            conflicts = self.typed_conflicts()
            return conflicts[0] if conflicts else None
        return self._insert()[1]

    def progress(self) -> Progress:
        return self._insert()[0]

    def order(self) -> Order | None:
        """The full order (tiers best first, each sorted), once nothing is left to ask."""
        if self.typed is not None:
            return None if self.typed_conflicts() else [sorted(t) for t in self.typed]
        progress, question = self._insert()
        if question is not None:
            return None
        return [sorted(tier) for tier in progress.tiers]

    @property
    def complete(self) -> bool:
        return self.order() is not None

    def withdrawn_by(self, edge: Edge) -> list[Edge]:
        """The standing comparisons ``edge`` would replace (see :func:`withdrawn_by`)."""
        return withdrawn_by(self.k, self.edges, edge)


def worst_case_comparisons(k: int) -> int:
    """The most comparisons binary insertion can need for ``k`` candidates."""
    return sum((m).bit_length() for m in range(1, k))
