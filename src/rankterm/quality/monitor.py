"""Monitoring production over time: win rate against a reference, error-tag rates, drift.

Input: monitoring pairs (written by ``rankterm sample``, whose ``metadata["monitor"]`` says
which side is production, its slice and its time window) and the judgments people made on them.

- **Win rate** per window: each judged pair scores 1 when production won, 0.5 for a tie, 0 when
  the reference won, averaged over that pair's annotators; "both bad" verdicts carry no
  preference and are counted apart. The rate is the mean score over pairs, with a Wilson score
  interval (95 %) on that many pairs (ties as half a win, the usual convention).
- **Error-tag rates** per window and slice: the share of judged pairs on which any annotator set
  the tag. A tag put on one response (``Judgment.tag_sides``, or written ``tag:a`` / ``tag:b``)
  counts only when that response is production's; a pair-level tag counts too, so rates are
  "production, or the pair" and say so.
- **Drift**: the newest window against all earlier windows pooled (the baseline). The alarm is
  raised when the win rate moves by more than ``win_threshold``, or a tag rate by more than
  ``tag_threshold``, overall or in a slice, with at least ``min_pairs`` judged pairs on both
  sides of the comparison (fewer is reported as "too few", never as an alarm).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rankterm.quality.sampling import META_KEY

#: The error types the monitoring report follows unless told otherwise (DOMAIN.md buckets).
DEFAULT_TAGS = ("hallucination", "bias", "privacy_leak", "unsafe_advice")
#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054
ALL = "(all)"


class JudgmentLike(Protocol):
    pair_id: str
    choice: Any
    tags: Sequence[str]


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there is nothing to go on."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Cell:
    """Figures of one window (and slice, or all slices)."""

    window: str
    slice: str = ALL
    pairs: int = 0  # judged pairs with a preference (not only "both bad")
    score: float = 0.0  # summed per-pair scores (1 win, 0.5 tie, 0 loss)
    wins: int = 0
    losses: int = 0
    ties: int = 0
    both_bad: int = 0
    judged: int = 0  # judged pairs, "both bad" included: the tag rates' denominator
    tagged: dict[str, int] = field(default_factory=dict)

    @property
    def win_rate(self) -> float | None:
        return self.score / self.pairs if self.pairs else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.score, self.pairs)

    def tag_rate(self, tag: str) -> float | None:
        return self.tagged.get(tag, 0) / self.judged if self.judged else None

    def as_dict(self, tags: Sequence[str]) -> dict[str, Any]:
        low, high = self.interval
        return {
            "window": self.window,
            "slice": self.slice,
            "judged_pairs": self.judged,
            "pairs_with_preference": self.pairs,
            "wins": self.wins,
            "losses": self.losses,
            "ties": self.ties,
            "both_bad": self.both_bad,
            "win_rate": _round(self.win_rate),
            "ci95": [round(low, 4), round(high, 4)] if self.pairs else None,
            "tag_rates": {t: _round(self.tag_rate(t)) for t in tags},
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _merge(into: Cell, other: Cell) -> None:
    into.pairs += other.pairs
    into.score += other.score
    into.wins += other.wins
    into.losses += other.losses
    into.ties += other.ties
    into.both_bad += other.both_bad
    into.judged += other.judged
    for tag, n in other.tagged.items():
        into.tagged[tag] = into.tagged.get(tag, 0) + n


@dataclass
class Alarm:
    what: str  # "win rate" or a tag name
    slice: str
    baseline: float
    latest: float
    threshold: float
    baseline_pairs: int
    latest_pairs: int

    @property
    def move(self) -> float:
        return self.latest - self.baseline

    def __str__(self) -> str:
        where = "" if self.slice == ALL else f" in slice {self.slice}"
        return (
            f"{self.what}{where}: {self.baseline:.0%} → {self.latest:.0%} "
            f"({self.move:+.0%}, threshold ±{self.threshold:.0%}; "
            f"{self.baseline_pairs} → {self.latest_pairs} pairs)"
        )


@dataclass
class MonitorReport:
    windows: list[Cell]  # all slices, in window order
    by_slice: dict[str, list[Cell]]  # per slice, each in window order
    tags: list[str]
    alarms: list[Alarm]
    too_few: list[str]  # comparisons skipped for lack of pairs
    unmonitored: int  # judgments on pairs that carry no monitoring metadata
    production: list[str]
    reference: list[str]
    win_threshold: float
    tag_threshold: float
    min_pairs: int

    @property
    def drift(self) -> bool:
        return bool(self.alarms)

    def as_dict(self) -> dict[str, Any]:
        return {
            "production_models": self.production,
            "reference_models": self.reference,
            "tags": self.tags,
            "windows": [c.as_dict(self.tags) for c in self.windows],
            "slices": {
                name: [c.as_dict(self.tags) for c in cells]
                for name, cells in sorted(self.by_slice.items())
            },
            "drift": {
                "alarm": self.drift,
                "rule": "newest window against all earlier windows pooled",
                "win_threshold": self.win_threshold,
                "tag_threshold": self.tag_threshold,
                "min_pairs": self.min_pairs,
                "alarms": [
                    {
                        "what": a.what,
                        "slice": a.slice,
                        "baseline": round(a.baseline, 4),
                        "latest": round(a.latest, 4),
                        "move": round(a.move, 4),
                        "baseline_pairs": a.baseline_pairs,
                        "latest_pairs": a.latest_pairs,
                    }
                    for a in self.alarms
                ],
                "too_few": self.too_few,
            },
            "judgments_on_unmonitored_pairs": self.unmonitored,
        }


def _tag_side(tag: str) -> tuple[str, str | None]:
    name, sep, side = tag.rpartition(":")
    if sep and side.lower() in ("a", "b"):
        return name, side.lower()
    return tag, None


def _pair_cell(
    monitor: Mapping[str, Any], verdicts: Sequence[JudgmentLike], window: str, slice_: str
) -> Cell:
    """One pair's contribution (a Cell holding a single pair)."""
    production = str(monitor.get("production", "")).lower()
    cell = Cell(window, slice_, judged=1)
    scores = []
    for verdict in verdicts:
        choice = str(getattr(verdict.choice, "value", verdict.choice))
        if choice in ("A", "B"):
            scores.append(1.0 if choice.lower() == production else 0.0)
        elif choice == "tie":
            scores.append(0.5)
    tags: set[str] = set()
    for verdict in verdicts:
        # Judgment.tag_sides (A, B or both); a lean row reads it from its line, so only when
        # there are tags to place.
        sides = (getattr(verdict, "tag_sides", None) or {}) if verdict.tags else {}
        for raw in verdict.tags:
            name, side = _tag_side(raw)
            if side is None and raw in sides:
                side = str(getattr(sides[raw], "value", sides[raw])).lower()
            if side is None or side in (production, "both"):
                tags.add(name)
    cell.tagged = dict.fromkeys(tags, 1)
    if not scores:
        cell.both_bad = 1
        return cell
    mean = sum(scores) / len(scores)
    cell.pairs, cell.score = 1, mean
    if mean > 0.5:
        cell.wins = 1
    elif mean < 0.5:
        cell.losses = 1
    else:
        cell.ties = 1
    return cell


def monitor_report(
    pairs_meta: Mapping[str, Mapping[str, Any]],
    judgments: Iterable[JudgmentLike],
    *,
    tags: Sequence[str] = DEFAULT_TAGS,
    win_threshold: float = 0.10,
    tag_threshold: float = 0.05,
    min_pairs: int = 10,
) -> MonitorReport:
    """The report over time windows. ``pairs_meta``: pair id -> that pair's metadata (the
    ``monitor`` entry is read; pairs without one are not monitoring pairs)."""
    by_pair: dict[str, list[JudgmentLike]] = defaultdict(list)
    unmonitored = 0
    for verdict in judgments:
        meta = pairs_meta.get(verdict.pair_id)
        if meta is None or not isinstance(meta.get(META_KEY), Mapping):
            unmonitored += 1
            continue
        by_pair[verdict.pair_id].append(verdict)
    windows: dict[str, Cell] = {}
    slices: dict[str, dict[str, Cell]] = defaultdict(dict)
    production: set[str] = set()
    reference: set[str] = set()
    for pair_id, verdicts in by_pair.items():
        monitor = pairs_meta[pair_id][META_KEY]
        window = str(monitor.get("window", "?"))
        slice_ = str(monitor.get("slice", "(none)"))
        production.add(str(monitor.get("production_model", "?")))
        reference.add(str(monitor.get("reference_model", "?")))
        one = _pair_cell(monitor, verdicts, window, slice_)
        _merge(windows.setdefault(window, Cell(window)), one)
        _merge(slices[slice_].setdefault(window, Cell(window, slice_)), one)
    ordered = [windows[w] for w in sorted(windows)]
    by_slice = {s: [cells[w] for w in sorted(cells)] for s, cells in slices.items()}
    tag_list = list(dict.fromkeys([*tags]))
    alarms: list[Alarm] = []
    too_few: list[str] = []
    latest = ordered[-1].window if ordered else None
    if latest is not None and len(ordered) >= 2:
        groups = [(ALL, ordered), *sorted(by_slice.items())]
        for name, cells in groups:
            _check(name, cells, latest, tag_list, win_threshold, tag_threshold, min_pairs,
                   alarms, too_few)  # fmt: skip
    elif latest is not None:
        too_few.append("one window only: nothing to compare the newest window with")
    return MonitorReport(
        windows=ordered,
        by_slice=by_slice,
        tags=tag_list,
        alarms=alarms,
        too_few=too_few,
        unmonitored=unmonitored,
        production=sorted(production),
        reference=sorted(reference),
        win_threshold=win_threshold,
        tag_threshold=tag_threshold,
        min_pairs=min_pairs,
    )


def _check(
    name: str,
    cells: Sequence[Cell],
    latest: str,
    tags: Sequence[str],
    win_threshold: float,
    tag_threshold: float,
    min_pairs: int,
    alarms: list[Alarm],
    too_few: list[str],
) -> None:
    """Newest window of ``cells`` against the earlier ones pooled."""
    newest = next((c for c in cells if c.window == latest), None)
    base = Cell("baseline", name)
    for cell in cells:
        if cell.window != latest:
            _merge(base, cell)
    if newest is None or base.judged == 0:
        return  # the slice has no pairs in the newest window, or nothing before it
    label = "overall" if name == ALL else f"slice {name}"
    if newest.pairs < min_pairs or base.pairs < min_pairs:
        too_few.append(
            f"{label}: win rate on {base.pairs} → {newest.pairs} pairs (needs {min_pairs} each)"
        )
    else:
        before, now = base.win_rate or 0.0, newest.win_rate or 0.0
        if abs(now - before) > win_threshold:
            alarms.append(
                Alarm("win rate", name, before, now, win_threshold, base.pairs, newest.pairs)
            )
    if newest.judged < min_pairs or base.judged < min_pairs:
        return
    for tag in tags:
        before, now = base.tag_rate(tag) or 0.0, newest.tag_rate(tag) or 0.0
        if abs(now - before) > tag_threshold:
            alarms.append(Alarm(tag, name, before, now, tag_threshold, base.judged, newest.judged))


# -- the terminal chart ---------------------------------------------------------------------

_EIGHTHS = " ▏▎▍▌▋▊▉"
_SPARK = "▁▂▃▄▅▆▇█"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of ``width`` cells filled to ``fraction`` in eighths of a cell."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part and full < width else "")
    return text.ljust(width, "·")


def spark(values: Sequence[float | None], top: float | None = None) -> str:
    """One character per value, ``▁`` to ``█`` against ``top``; a gap for no value."""
    known = [v for v in values if v is not None]
    top = top if top is not None else max(known, default=0.0)
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        elif top <= 0:
            out.append(_SPARK[0])
        else:
            out.append(_SPARK[min(len(_SPARK) - 1, int(value / top * (len(_SPARK) - 1) + 0.5))])
    return "".join(out)


def chart_lines(report: MonitorReport, width: int = 80) -> list[str]:
    """Win rate per window as bars with the 95 % interval, then one sparkline per tag; every
    line fits ``width`` columns (80 is enough). The ``│`` in each bar marks 50 %."""
    if not report.windows:
        return ["no judged monitoring pairs yet"]
    label_w = max(6, max(len(c.window) for c in report.windows))
    tail_w = len(" 100% [100–100] n=9999")
    bar_w = max(10, min(40, width - label_w - tail_w - 1))
    lines = [f"{'window'.ljust(label_w)} win rate of production vs reference (│ = 50%)"]
    for cell in report.windows:
        rate = cell.win_rate
        if rate is None:
            body = "·" * bar_w
            tail = f" –    n={cell.pairs}"
        else:
            body = bar(rate, bar_w)
            mid = bar_w // 2
            body = body[:mid] + ("│" if body[mid] in "·" else "┃") + body[mid + 1 :]
            low, high = cell.interval
            tail = f" {rate:4.0%} [{low * 100:.0f}–{high * 100:.0f}] n={cell.pairs}"
        lines.append(f"{cell.window.ljust(label_w)} {body}{tail}"[:width])
    if report.tags:
        name_w = max(len(t) for t in report.tags)
        lines.append("")
        lines.append(f"{'error tag'.ljust(name_w)} rate per window (oldest → newest)")
        for tag in report.tags:
            rates = [c.tag_rate(tag) for c in report.windows]
            last = next((r for r in reversed(rates) if r is not None), None)
            first = next((r for r in rates if r is not None), None)
            trend = "" if last is None else f" {first:.0%} → {last:.0%}"
            room = width - name_w - len(trend) - 1
            lines.append(f"{tag.ljust(name_w)} {spark(rates[-room:])}{trend}"[:width])
    return lines


def text_report(report: MonitorReport, width: int = 80) -> str:
    """The whole report as plain text: the models, the chart, per-slice tables, the alarms."""
    out = [
        f"production {', '.join(report.production) or '–'} against reference "
        f"{', '.join(report.reference) or '–'}; {len(report.windows)} window(s)",
        "",
        *chart_lines(report, width),
        "",
        "per slice (newest window): win rate [95% CI] pairs; tag rates",
    ]
    for name, cells in sorted(report.by_slice.items()):
        cell = cells[-1]
        rate = cell.win_rate
        low, high = cell.interval
        figure = "–" if rate is None else f"{rate:.0%} [{low:.0%}–{high:.0%}]"
        tags = ", ".join(f"{t} {cell.tag_rate(t):.0%}" for t in report.tags if cell.tag_rate(t))
        out.append(
            f"  {name} ({cell.window}): {figure} {cell.pairs}" + (f"; {tags}" if tags else "")
        )
    out.append("")
    if report.alarms:
        out.append(f"DRIFT ALARM ({len(report.alarms)}): newest window against earlier ones")
        out.extend(f"  {alarm}" for alarm in report.alarms)
    else:
        out.append(
            f"no drift beyond ±{report.win_threshold:.0%} (win rate) / "
            f"±{report.tag_threshold:.0%} (tags)"
        )
    out.extend(f"  not compared: {note}" for note in report.too_few)
    if report.unmonitored:
        out.append(f"{report.unmonitored} judgment(s) on pairs without monitoring data, left out")
    return "\n".join(out)


def monitor_chart(
    pairs_meta: Mapping[str, Mapping[str, Any]],
    judgments: Iterable[JudgmentLike],
    width: int = 80,
) -> list[str]:
    """The chart for the TUI's stats screen; empty when no monitoring pair was judged. Slice
    and window names come from data, so every line is made inert (no terminal controls)."""
    from rankterm.core.sanitize import inert

    report = monitor_report(pairs_meta, judgments)
    if not report.windows:
        return []
    lines = chart_lines(report, width)
    verdict = (
        f"drift: {len(report.alarms)} alarm(s), e.g. {report.alarms[0]}"
        if report.alarms
        else "no drift beyond the default thresholds"
    )
    import textwrap

    return [inert(line) for line in [*lines, "", *textwrap.wrap(verdict, width)]]
