"""``rankterm generate``: pairs from real models behind OpenAI-compatible endpoints."""

from __future__ import annotations

from pathlib import Path

import typer

from rankterm.core.errors import UsageError
from rankterm.core.exits import ExitCode


def generate(
    prompts: Path = typer.Argument(..., help="JSONL: one prompt string or object per line."),
    models: list[str] = typer.Option(
        ..., "--model", "-m", help="NAME=BASE_URL[#MODEL_ID]; repeat for every model."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Pairs file to append to (resumable)."),
    samples: int = typer.Option(1, "--samples", min=1, help="Responses per model per prompt."),
    pairing: str = typer.Option("all", "--pairing", help="all: every pair; arena: random pairs."),
    arena_pairs: int = typer.Option(1, "--arena-pairs", min=1, help="Pairs per prompt (arena)."),
    temperature: list[str] = typer.Option(
        [], "--temperature", help="VALUE for all models, or NAME=VALUE; repeatable."
    ),
    max_tokens: list[str] = typer.Option(
        [], "--max-tokens", help="VALUE for all models, or NAME=VALUE; repeatable."
    ),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Requests per endpoint."),
    retries: int = typer.Option(4, "--retries", min=0, help="Retries of a failed request."),
    timeout: float = typer.Option(120.0, "--timeout", min=0.1, help="Seconds per request."),
    seed: int = typer.Option(0, "--seed", help="Seed of side order and arena pairing."),
    augment: int = typer.Option(0, "--augment", min=0, help="Variants per seed prompt first."),
    augment_template: Path | None = typer.Option(
        None, "--augment-template", help="Text with {prompt} and {n} placeholders."
    ),
    augment_model: str | None = typer.Option(
        None, "--augment-model", help="NAME of the model writing variants (default: first)."
    ),
) -> None:
    """Ask every model for responses to every prompt and write the pairs, appending as they
    arrive; rerunning skips prompts already done. API keys: RANKTERM_API_KEY_<NAME>,
    RANKTERM_API_KEY, or the config file's [api_keys] table."""
    import asyncio

    from rankterm.core.sanitize import inert
    from rankterm.llm.augment import load_template
    from rankterm.llm.endpoint import ChatClient, RetryPolicy
    from rankterm.llm.generate import GenerateOptions, responses_path, run_generate
    from rankterm.llm.progress import Progress
    from rankterm.llm.prompts import read_prompts

    if pairing not in ("all", "arena"):
        raise UsageError(f"--pairing {pairing!r}: expected all or arena")
    endpoints = resolve_endpoints(models, temperature, max_tokens)
    if len(endpoints) * samples < 2:
        raise UsageError("need at least two candidates per prompt: two --model, or --samples 2")
    items = read_prompts(prompts)
    options = GenerateOptions(samples=samples, pairing=pairing, arena_pairs=arena_pairs, seed=seed)
    if augment:
        options.augment = augment
        options.augment_template = load_template(augment_template)
        by_name = {e.name: e for e in endpoints}
        if augment_model is not None and augment_model not in by_name:
            raise UsageError(f"--augment-model {augment_model!r}: not one of the --model names")
        options.augment_endpoint = by_name[augment_model] if augment_model else endpoints[0]
    client = ChatClient(
        concurrency=concurrency, policy=RetryPolicy(retries=retries, timeout_s=timeout)
    )

    async def main():
        async with client:
            return await run_generate(items, endpoints, out, client, options, Progress)

    try:
        summary = asyncio.run(main())
    except KeyboardInterrupt:
        typer.echo(
            f"\ninterrupted: finished responses are kept in {responses_path(out)}; "
            "rerun the same command to continue",
            err=True,
        )
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    for error in summary.errors[:5]:
        typer.echo(inert(f"error: {error}"), err=True)
    typer.echo(
        f"{summary.pairs} pairs -> {out}; {summary.prompts} prompts "
        f"({summary.skipped_done} already done), {summary.requests} requests, "
        f"{summary.reused} responses reused, {summary.failed} failed",
        err=True,
    )
    if summary.incomplete:
        typer.echo(
            f"{len(summary.incomplete)} prompts incomplete (a request failed): rerun to retry "
            "just those",
            err=True,
        )
        raise typer.Exit(ExitCode.ERROR)


def _per_model(values: list[str], names: list[str], flag: str, cast: type) -> dict[str, object]:
    """``VALUE`` (every model) or ``NAME=VALUE`` (one model) -> {name: value}."""
    result: dict[str, object] = {}
    for value in values:
        name, sep, raw = value.rpartition("=")
        targets = [name] if sep else names
        if sep and name not in names:
            raise UsageError(f"{flag} {value!r}: {name!r} is not one of the --model names")
        try:
            parsed = cast(raw)
        except ValueError:
            raise UsageError(f"{flag} {value!r}: {raw!r} is not a {cast.__name__}") from None
        for target in targets:
            result[target] = parsed
    return result


def resolve_endpoints(specs: list[str], temperature: list[str], max_tokens: list[str]) -> list:
    """Endpoints from ``--model`` specs, with keys (env/config) and per-model settings."""
    from dataclasses import replace

    from rankterm.config import load_settings
    from rankterm.llm.endpoint import parse_model_spec

    settings = load_settings()
    keys = {k: v.get_secret_value() for k, v in settings.api_keys.items()}
    endpoints = [parse_model_spec(spec, api_keys=keys) for spec in specs]
    names = [e.name for e in endpoints]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise UsageError(f"--model: name(s) used twice: {', '.join(sorted(duplicates))}")
    temps = _per_model(temperature, names, "--temperature", float)
    limits = _per_model(max_tokens, names, "--max-tokens", int)
    return [
        replace(e, temperature=temps.get(e.name), max_tokens=limits.get(e.name)) for e in endpoints
    ]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.command("generate")(generate)
