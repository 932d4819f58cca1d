"""``rankterm judge``: an LLM judge's verdicts on a pairs file, in both side orders."""

from __future__ import annotations

from pathlib import Path

import typer

from rankterm.core.errors import UsageError


def judge(
    pairs: Path = typer.Argument(..., help="Pairs file (JSONL)."),
    model: str = typer.Option(
        ..., "--model", "-m", help="BASE_URL#MODEL_ID or NAME=BASE_URL[#MODEL_ID]."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Verdicts file to append to (resumable)."),
    template: Path | None = typer.Option(
        None, "--template", help="Text with {prompt}, {response_a}, {response_b}."
    ),
    one_order: bool = typer.Option(
        False, "--one-order", help="Only the given side order (no swap: no flip rate)."
    ),
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    max_tokens: int = typer.Option(512, "--max-tokens", min=1, help="Answer length cap."),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Requests in flight."),
    retries: int = typer.Option(4, "--retries", min=0, help="Retries of a failed request."),
    timeout: float = typer.Option(120.0, "--timeout", min=0.1, help="Seconds per request."),
) -> None:
    """Ask a model for a verdict (choice, strength, rationale) on every pair, in both side
    orders; records are `source: model`, never counted as people's votes. Compare them with
    people: `rankterm agreement JOURNAL --pairs PAIRS --judge OUT --json`."""
    import asyncio
    from dataclasses import replace

    from rankterm.commands.generate import resolve_endpoints
    from rankterm.core.sanitize import inert
    from rankterm.llm.endpoint import ChatClient, RetryPolicy
    from rankterm.llm.judge import load_template
    from rankterm.llm.judge_run import ORDERS, read_pairs, run_judge
    from rankterm.llm.progress import Progress

    if "=" not in model.partition("#")[0].partition("://")[0]:
        name = model.partition("#")[2] or "judge"
        model = f"{name}={model}"
    (endpoint,) = resolve_endpoints([model], [], [])
    endpoint = replace(endpoint, temperature=temperature, max_tokens=max_tokens)
    text = load_template(template)
    records = read_pairs(pairs)
    if not records:
        raise UsageError(f"{pairs}: no pairs")
    client = ChatClient(
        concurrency=concurrency, policy=RetryPolicy(retries=retries, timeout_s=timeout)
    )
    orders = ORDERS[:1] if one_order else ORDERS

    async def main():
        async with client:
            return await run_judge(records, endpoint, text, out, client, Progress, orders)

    try:
        summary = asyncio.run(main())
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted: verdicts so far are in {out}; rerun to continue", err=True)
        raise typer.Exit(130) from None
    for error in summary.errors[:5]:
        typer.echo(inert(f"error: {error}"), err=True)
    typer.echo(
        f"{summary.requests - summary.failed} verdicts -> {out} ({summary.reused} already "
        f"there, {summary.unparsed} unreadable, {summary.failed} failed) for {summary.pairs} "
        "pairs",
        err=True,
    )
    if summary.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("judge")(judge)
