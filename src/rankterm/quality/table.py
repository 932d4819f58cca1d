"""The reliability table: units (pair ids) x raters (annotator ids) -> one value.

Every agreement coefficient in this package reads this one shape, the "reliability data"
matrix of Krippendorff (2011), stored sparsely as ``{unit: {rater: value}}`` so that missing
ratings cost nothing and a million judgments fit in memory.

When one annotator judged a pair more than once (blind repeats, re-judging after a break),
the table keeps their *first* judgment (earliest ``created_at``, then input order): a repeat
is a test of that person's consistency, not an extra vote, and counting it would let one
rater agree with themselves. Self-consistency is measured from the repeats elsewhere
(:mod:`rankterm.quality.annotators`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from rankterm.core.model import Choice, Judgment, ordinal
from rankterm.storage.bulk import bulk_pass

Scale = Literal["nominal", "ordinal"]
Value = Hashable


class NotEnoughData(ValueError):
    """A coefficient is undefined for these data (too few units, raters or no variation).

    Raised rather than returning NaN so that every caller has to say what it shows instead
    (the CLI prints the reason; JSON output carries ``null`` and the reason).
    """


class JudgmentLike(Protocol):
    """What the quality functions read from a judgment (a :class:`Judgment` fits)."""

    pair_id: str
    annotator: str
    choice: Choice
    strength: int | None


@dataclass(slots=True)
class Ratings:
    """Sparse reliability data: ``units[unit][rater] = value``.

    ``excluded`` counts judgments that have no value on this scale (``both_bad`` on the
    ordinal scale) and ``repeats`` counts later judgments by the same rater on the same unit,
    so that every report can say what was left out.
    """

    scale: str
    units: dict[str, dict[str, Value]] = field(default_factory=dict)
    excluded: int = 0
    repeats: int = 0

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, Value]], scale: str = "nominal") -> Ratings:
        """Build from ``(unit, rater, value)`` rows; a rater's first value on a unit wins."""
        table = cls(scale)
        for unit, rater, value in rows:
            cell = table.units.setdefault(unit, {})
            if rater in cell:
                table.repeats += 1
            else:
                cell[rater] = value
        return table

    @classmethod
    def from_matrix(
        cls,
        matrix: Sequence[Sequence[Value | None]],
        *,
        raters: Sequence[str] | None = None,
        scale: str = "nominal",
    ) -> Ratings:
        """Build from a raters x units matrix with ``None`` for missing, as printed in papers."""
        names = list(raters) if raters is not None else [f"r{i + 1}" for i in range(len(matrix))]
        if len(names) != len(matrix):
            raise ValueError("need one rater name per matrix row")
        rows = (
            (f"u{u + 1}", names[r], value)
            for r, row in enumerate(matrix)
            for u, value in enumerate(row)
            if value is not None
        )
        return cls.from_rows(rows, scale)

    # -- reading ---------------------------------------------------------------------------

    def raters(self) -> list[str]:
        """Every rater with at least one value, sorted."""
        seen: set[str] = set()
        for cell in self.units.values():
            seen.update(cell)
        return sorted(seen)

    def unit_values(self, min_raters: int = 1) -> Iterator[list[Value]]:
        """The values of each unit that has at least ``min_raters`` of them."""
        for cell in self.units.values():
            if len(cell) >= min_raters:
                yield list(cell.values())

    def pairable(self) -> Iterator[tuple[str, dict[str, Value]]]:
        """Units with two or more values: the only ones that carry agreement information."""
        for unit, cell in self.units.items():
            if len(cell) >= 2:
                yield unit, cell

    def n_pairable(self) -> int:
        return sum(1 for cell in self.units.values() if len(cell) >= 2)

    def n_values(self) -> int:
        return sum(len(cell) for cell in self.units.values())

    def subset(self, units: Iterable[str]) -> Ratings:
        """The same table restricted to some units (a slice); counters are not carried over."""
        picked = {u: self.units[u] for u in units if u in self.units}
        return Ratings(self.scale, picked)

    def __len__(self) -> int:
        return len(self.units)


# -- from judgments ----------------------------------------------------------------------------


@bulk_pass
def first_by_unit(
    judgments: Iterable[Judgment],
) -> tuple[dict[str, dict[str, Judgment]], int]:
    """Each annotator's first judgment per pair, grouped by pair, and the number of repeats.

    One pass with nested dicts (cheaper than tuple keys at a million judgments). "First" is
    the earliest ``created_at``; equal times keep input (journal) order.
    """
    grouped: dict[str, dict[str, Judgment]] = {}
    repeats = 0
    for j in judgments:
        cell = grouped.get(j.pair_id)
        if cell is None:
            grouped[j.pair_id] = {j.annotator: j}
            continue
        current = cell.get(j.annotator)
        if current is None:
            cell[j.annotator] = j
        else:
            repeats += 1
            if j.created_at < current.created_at:
                cell[j.annotator] = j
    return grouped, repeats


def nominal_value(judgment: JudgmentLike, *, with_strength: bool = False) -> str:
    """``"A"``, ``"B"``, ``"tie"``, ``"both_bad"``; with strength ``"A1"``..``"B3"``."""
    choice = judgment.choice
    if with_strength and choice in (Choice.A, Choice.B):
        return f"{choice.value}{judgment.strength or 2}"
    return choice.value


def ordinal_value(judgment: JudgmentLike) -> int | None:
    """-3..+3 as :func:`rankterm.core.model.ordinal`; None for both_bad (no place on the scale)."""
    return ordinal(judgment.choice, judgment.strength)


# Precomputed (choice, strength) -> value maps: the table is built once per scale over up to
# millions of judgments, and a dict lookup is several times cheaper than the function calls.
_STRENGTHS = (None, 1, 2, 3)


def _scale_map(scale: str) -> dict[tuple[Choice, int | None], Value]:
    table: dict[tuple[Choice, int | None], Value] = {}
    for choice in Choice:
        for strength in _STRENGTHS:
            probe = Judgment.model_construct(choice=choice, strength=strength)
            if scale == "ordinal":
                table[(choice, strength)] = ordinal_value(probe)
            else:
                table[(choice, strength)] = nominal_value(
                    probe, with_strength=scale == "nominal_strength"
                )
    return table


_SCALE_MAPS = {name: _scale_map(name) for name in ("nominal", "nominal_strength", "ordinal")}


def ratings_from_grouped(
    grouped: Mapping[str, Mapping[str, JudgmentLike]],
    *,
    scale: Scale = "nominal",
    with_strength: bool = False,
    repeats: int = 0,
) -> Ratings:
    """A :class:`Ratings` table from :func:`first_by_unit` output (reuse it for every scale)."""
    if scale not in ("nominal", "ordinal"):
        raise ValueError(f"unknown scale {scale!r}; expected 'nominal' or 'ordinal'")
    name = "nominal_strength" if (scale == "nominal" and with_strength) else scale
    lookup = _SCALE_MAPS[name]
    table = Ratings(name, repeats=repeats)
    units = table.units
    if scale == "nominal":
        for unit, cell in grouped.items():
            units[unit] = {r: lookup[(j.choice, j.strength)] for r, j in cell.items()}
        return table
    excluded = 0
    for unit, cell in grouped.items():
        row = {r: lookup[(j.choice, j.strength)] for r, j in cell.items()}
        if None in row.values():
            excluded += sum(1 for v in row.values() if v is None)
            row = {r: v for r, v in row.items() if v is not None}
        if row:
            units[unit] = row
    table.excluded = excluded
    return table


@bulk_pass
def ratings_from_judgments(
    judgments: Iterable[Judgment],
    *,
    scale: Scale = "nominal",
    with_strength: bool = False,
) -> Ratings:
    """The agreement table of active judgments (pass ``JournalState.active()``).

    ``scale="nominal"`` rates the choice (``with_strength`` makes the finer A1..B3 scale);
    ``scale="ordinal"`` rates -3..+3 and leaves both_bad out, counted in ``excluded``.
    """
    grouped, repeats = first_by_unit(judgments)
    return ratings_from_grouped(grouped, scale=scale, with_strength=with_strength, repeats=repeats)
