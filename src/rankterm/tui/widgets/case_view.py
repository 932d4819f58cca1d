"""What the adjudicator reads: every annotator's verdict on a case, with their track record."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from rankterm.adjudication import Case
from rankterm.model import describe
from rankterm.quality import AnnotatorStats
from rankterm.sanitize import inert


def _rate(value: float | None, n: int) -> str:
    return "–" if value is None else f"{value:.0%} of {n}"


def verdicts_renderable(case: Case, records: dict[str, AnnotatorStats]) -> RenderableType:
    table = Table(expand=True, show_lines=True, header_style="bold", pad_edge=False)
    table.add_column("annotator", no_wrap=True)
    table.add_column("verdict (A/B)", no_wrap=True)
    table.add_column("tags")
    table.add_column("rationale", ratio=3)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("track record", ratio=1)
    for judgment in case.judgments:
        record = records.get(judgment.annotator)
        track = Text()
        if record is not None:
            track.append(f"gold {_rate(record.gold.value, record.gold.n)}\n")
            track.append(f"majority {_rate(record.majority.value, record.majority.n)}\n")
            track.append(f"{record.judgments} labels")
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
    parts: list[RenderableType] = [table]
    for resolution in case.resolutions:
        line = Text(f"resolved by {inert(resolution.adjudicator)}: ", style="bold green")
        if resolution.guideline_unclear:
            line = Text(
                f"{inert(resolution.adjudicator)}: guideline unclear — ", style="bold yellow"
            )
            line.append(inert(resolution.note))
        else:
            line.append(describe(resolution.choice, resolution.strength))  # type: ignore[arg-type]
            if resolution.rationale:
                line.append(f" — {inert(resolution.rationale)}")
        parts.append(line)
    if case.comments:
        parts.append(Text("Discussion", style="bold underline"))
        for comment in case.comments:
            parts.append(Text.assemble((f"{inert(comment.author)}: ", "bold"), inert(comment.text)))
    return Group(*parts)


def case_header(case: Case | None, position: int, total: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" adjudicate ", style="bold reverse")
    if case is None:
        text.append("  no contested pairs left", style="bold green")
        return text
    text.append(f" case {position + 1}/{total} ")
    text.append(f"│ {inert(case.pair.id)} ", style="bold")
    text.append(
        f"│ {case.contested.annotators} annotators · entropy {case.contested.entropy:.2f} bits "
        f"· spread {case.contested.ordinal_variance:.2f} "
    )
    if case.settled is not None:
        text.append("│ ✔ settled", style="bold green")
    return text
