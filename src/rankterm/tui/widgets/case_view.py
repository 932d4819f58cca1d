"""What the adjudicator reads: every annotator's verdict on a case, with their track record."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from rankterm.core.model import candidate_name, describe, format_order, ranks
from rankterm.core.sanitize import inert
from rankterm.quality import AnnotatorStats
from rankterm.sources.adjudication import Case, mean_rank_order

#: Below this many columns the verdicts are one line per annotator (a table row of six
#: columns takes four or five lines there, and pushed all but one annotator out of sight).
COMPACT_BELOW = 110


def _short_rate(value: float | None, n: int) -> str:
    """``80%/5``: a share and how many items it is over (``–`` when there are none)."""
    return "–" if value is None else f"{value:.0%}/{n}"


def compact_verdicts(case: Case, records: dict[str, AnnotatorStats]) -> list[RenderableType]:
    """One line per annotator (name, verdict, time, track record, tags), then the
    rationales: every verdict is on screen before any rationale can push it off."""
    width = min(max((len(inert(j.annotator)) for j in case.judgments), default=4), 14)
    rows: list[RenderableType] = []
    for judgment in case.judgments:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{inert(judgment.annotator)[:width]:<{width}} ", style="bold")
        line.append(f"{describe(judgment.choice, judgment.strength):<17}", style="bold")
        line.append("⚑ " if judgment.flagged else "  ", style="bold red")
        line.append(f"{judgment.duration_ms / 1000:>4.0f}s", style="dim")
        record = records.get(judgment.annotator)
        if record is not None:
            line.append(
                f"  gold {_short_rate(record.gold.value, record.gold.n)}"
                f" · majority {_short_rate(record.majority.value, record.majority.n)}",
                style="dim",
            )
        if judgment.tags:
            line.append("  " + inert(", ".join(judgment.tags)), style="yellow")
        rows.append(line)
    for judgment in case.judgments:
        if judgment.rationale:
            rows.append(
                Text.assemble(
                    (f"{inert(judgment.annotator)}: ", "bold"),
                    (inert(judgment.rationale), "italic"),
                )
            )
    return rows


def _rank(value: float) -> str:
    """A rank as a cell: ``2`` or ``2.5`` (tied candidates share the mean of their places)."""
    return f"{value:g}"


def orders_renderable(case: Case, records: dict[str, AnnotatorStats]) -> RenderableType:
    """A ranking task's case: each annotator's order side by side, as letters (never model
    names) and as each candidate's rank, one row per annotator, then the mean rank; the
    order by mean rank is offered as a starting point for the order of record."""
    k = case.pair.k  # type: ignore[union-attr]
    table = Table(expand=False, header_style="bold", pad_edge=False, box=None, padding=(0, 1))
    table.add_column("annotator", no_wrap=True, max_width=14, overflow="ellipsis")
    table.add_column("order", no_wrap=True)
    for i in range(k):
        table.add_column(candidate_name(i), justify="right", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("gold", justify="right", no_wrap=True)
    placed = []
    for ranking in case.rankings:
        rank = ranks(ranking.order)
        placed.append(rank)
        record = records.get(ranking.annotator)
        gold = _short_rate(record.gold.value, record.gold.n) if record is not None else "–"
        order = Text(format_order(ranking.order).replace(" ", ""), style="bold")
        if ranking.flagged:
            order.append(" ⚑", style="bold red")
        if ranking.typed:
            order.append(" typed", style="dim")
        table.add_row(
            Text(inert(ranking.annotator)),
            order,
            *[_rank(rank[i]) if i in rank else "–" for i in range(k)],
            f"{ranking.duration_ms / 1000:.0f}s",
            gold,
        )
    if placed:
        table.add_row(
            Text("mean", style="dim"),
            Text(format_order(mean_rank_order(case.rankings)).replace(" ", ""), style="cyan"),
            *[_rank(round(sum(p.get(i, 0) for p in placed) / len(placed), 2)) for i in range(k)],
            "",
            "",
            style="dim",
        )
    parts: list[RenderableType] = [table]
    for ranking in case.rankings:
        if ranking.tags:
            parts.append(
                Text.assemble(
                    (f"{inert(ranking.annotator)}: ", "bold"),
                    (inert(", ".join(ranking.tags)), "yellow"),
                )
            )
        if ranking.rationale:
            parts.append(
                Text.assemble(
                    (f"{inert(ranking.annotator)}: ", "bold"),
                    (inert(ranking.rationale), "italic"),
                )
            )
    parts.append(Text("o: type the order of record (e.g. CADB, 3142, C>A=D>B)", style="dim italic"))
    return Group(*parts)


def verdicts_renderable(
    case: Case, records: dict[str, AnnotatorStats], width: int = COMPACT_BELOW
) -> RenderableType:
    if case.is_ranking:
        return Group(orders_renderable(case, records), *_outcome(case))
    parts: list[RenderableType] = (
        compact_verdicts(case, records)
        if width < COMPACT_BELOW
        else [_verdicts_table(case, records)]
    )
    return Group(*parts, *model_verdict_lines(case), *_outcome(case))


def model_verdict_lines(case: Case) -> list[RenderableType]:
    """LLM judges' verdicts sent here, beside the people's and marked as a model's: they are
    context for the adjudicator, never votes."""
    from rankterm.sources.referrals import model_fields

    lines: list[RenderableType] = []
    for comment in case.model_verdicts:
        fields = model_fields(comment)
        line = Text()
        line.append(" source: model ", style="bold reverse magenta")
        line.append(f" judge {inert(fields['judge'])}: ", style="bold magenta")
        if fields["choice"] is not None:
            line.append(describe(fields["choice"], fields["strength"]), style="bold")
        if fields["human_majority"]:
            line.append(f"  (people's majority: {inert(str(fields['human_majority']))})")
        line.append(" — ")
        line.append(inert(comment.text), style="italic")
        lines.append(line)
    return lines


def _verdicts_table(case: Case, records: dict[str, AnnotatorStats]) -> Table:
    table = Table(expand=True, show_lines=True, header_style="bold", pad_edge=False)
    table.add_column("annotator", no_wrap=True)
    table.add_column("verdict (A/B)", no_wrap=True)
    table.add_column("tags")
    table.add_column("rationale", ratio=3)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("track record", no_wrap=True)
    for judgment in case.judgments:
        record = records.get(judgment.annotator)
        track = Text()
        if record is not None:  # two short lines, never wrapped: the rationale gets the room
            track.append(
                f"gold {_short_rate(record.gold.value, record.gold.n)}"
                f" · {record.judgments} labels\n"
                f"majority {_short_rate(record.majority.value, record.majority.n)}"
            )
        verdict = Text(describe(judgment.choice, judgment.strength), style="bold")
        if judgment.flagged:
            verdict.append("\n⚑ flagged", style="bold red")
        seconds = judgment.duration_ms / 1000
        table.add_row(
            Text(inert(judgment.annotator)),
            verdict,
            Text(inert(", ".join(judgment.tags)), style="yellow"),
            Text(inert(judgment.rationale) or "—", style="" if judgment.rationale else "dim"),
            f"{seconds:.0f}s",
            track,
        )
    return table


def _outcome(case: Case) -> list[RenderableType]:
    """Earlier resolutions, guideline-unclear notes and the discussion."""
    parts: list[RenderableType] = []
    for resolution in case.resolutions:
        line = Text(f"resolved by {inert(resolution.adjudicator)}: ", style="bold green")
        if resolution.guideline_unclear:
            line = Text(
                f"{inert(resolution.adjudicator)}: guideline unclear — ", style="bold yellow"
            )
            line.append(inert(resolution.note))
        elif resolution.order is not None:
            line.append(f"order of record {format_order(resolution.order)}")
            if resolution.rationale:
                line.append(f" — {inert(resolution.rationale)}")
        else:
            line.append(describe(resolution.choice, resolution.strength))  # type: ignore[arg-type]
            if resolution.rationale:
                line.append(f" — {inert(resolution.rationale)}")
        parts.append(line)
    if case.discussion:
        parts.append(Text("Discussion", style="bold underline"))
        for comment in case.discussion:
            parts.append(Text.assemble((f"{inert(comment.author)}: ", "bold"), inert(comment.text)))
    return parts


def case_header(case: Case | None, position: int, total: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" adjudicate ", style="bold reverse")
    if case is None:
        text.append("  no contested pairs left", style="bold green")
        return text
    text.append(f" case {position + 1}/{total} ")
    text.append(f"│ {inert(case.pair.id)} ", style="bold")
    if case.settled is not None:  # before the figures: at 80 columns the line's end is cut
        text.append("│ ✔ settled ", style="bold green")
    if case.model_verdicts:  # why an agreed pair is here: a judge disagreed with people
        text.append("│ model judge disagrees ", style="bold magenta")
    text.append(
        f"│ {case.contested.annotators} annotators · spread "
        f"{case.contested.ordinal_variance:.2f} · entropy {case.contested.entropy:.2f} bits"
    )
    return text
