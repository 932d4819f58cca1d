"""The work behind ``rankterm judge``: every pair, both side orders, appended resumably.

Output records are ``source: model`` verdicts, a source of their own: the quality code reads
them only when asked (``--judge``), never as annotators' votes, so they cannot enter a majority,
Fleiss' kappa or the label of record by accident.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rankterm.core.errors import UsageError, display_path
from rankterm.llm.endpoint import ChatClient, Endpoint, EndpointError
from rankterm.llm.judge import parse_verdict, render
from rankterm.llm.writer import AppendLog, read_records

ORDERS = ("ab", "ba")


@dataclass
class JudgeSummary:
    """Counts for the closing line on stderr."""

    pairs: int = 0
    requests: int = 0
    reused: int = 0
    unparsed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def read_pairs(path: Path) -> list[dict[str, Any]]:
    """Pairs as dicts, validated by the domain model; a bad line names file and line."""
    import orjson
    from pydantic import ValidationError

    from rankterm.core.errors import describe_validation_error
    from rankterm.core.model import Pair

    if not path.is_file():
        raise UsageError(f"{display_path(path)}: no such file")
    pairs = []
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{display_path(path)}:{line_no}"
            try:
                pair = Pair.model_validate(orjson.loads(raw))
            except orjson.JSONDecodeError as exc:
                raise UsageError(f"{where}: not JSON ({exc})") from None
            except ValidationError as exc:
                raise UsageError(f"{where}: {describe_validation_error(exc)}") from None
            pairs.append(pair.model_dump(mode="json", include={
                "id", "prompt", "messages", "response_a", "response_b"}))  # fmt: skip
    return pairs


async def run_judge(
    pairs: list[dict[str, Any]],
    judge: Endpoint,
    template: str,
    out: Path,
    client: ChatClient,
    progress_factory: Callable[[int, str], Any],
    orders: tuple[str, ...] = ORDERS,
) -> JudgeSummary:
    """Judge every pair in every order not yet in ``out``; append each verdict as it comes."""
    summary = JudgeSummary(pairs=len(pairs))
    done = {
        (str(r.get("pair_id")), str(r.get("order")))
        for r in read_records(out)
        if r.get("judge") == judge.name and r.get("source") == "model"
    }
    jobs = [(p, o) for p in pairs for o in orders if (str(p["id"]), o) not in done]
    summary.reused = len(pairs) * len(orders) - len(jobs)
    progress = progress_factory(len(jobs), "judge")

    with AppendLog(out) as log:

        async def one(pair: dict[str, Any], order: str) -> None:
            summary.requests += 1
            try:
                answer = await client.complete(judge, render(template, pair, order == "ba"))
            except EndpointError as exc:
                summary.failed += 1
                summary.errors.append(f"{pair['id']}: {exc}")
                progress.advance(failed=True)
                return
            verdict = parse_verdict(answer.text)
            if order == "ba":
                verdict = verdict.unswapped()
            record: dict[str, Any] = {
                "kind": "model_judgment", "source": "model", "judge": judge.name,
                "judge_model": judge.model_id, "pair_id": pair["id"], "order": order,
                "choice": verdict.choice, "strength": verdict.strength,
                "rationale": verdict.rationale, "latency_s": answer.latency_s,
                "usage": answer.usage,
            }  # fmt: skip
            if verdict.choice is None:
                summary.unparsed += 1
                record["raw"] = answer.text[:2000]
            log.append(record)
            progress.advance()

        await asyncio.gather(*(one(p, o) for p, o in jobs))
    progress.close()
    return summary
