"""The work behind ``rankterm generate``: ask every model for responses to every prompt, pair
them, and append the pairs, resumably.

Two files: the pairs file (``-o``) and beside it ``<out>.responses.jsonl``, where every response
(and every augment answer) is appended the moment it arrives. A rerun reads both: prompts with
pairs in the output are skipped, responses already in the side file are not requested again,
so a crash, a kill or Ctrl-C costs at most the requests in flight.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rankterm.llm import augment as aug
from rankterm.llm.endpoint import ChatClient, Completion, Endpoint, EndpointError
from rankterm.llm.pairing import pair_all, pair_arena
from rankterm.llm.prompts import PromptItem
from rankterm.llm.selfid import self_identifies
from rankterm.llm.writer import AppendLog, read_records


@dataclass(frozen=True, slots=True)
class Candidate:
    """One response of one model (sample ``sample``) to one prompt."""

    model: str
    sample: int
    text: str
    meta: dict[str, Any]


@dataclass
class GenerateOptions:
    """What to ask for and how to pair it."""

    samples: int = 1
    pairing: str = "all"
    arena_pairs: int = 1
    seed: int = 0
    augment: int = 0
    augment_template: str = aug.DEFAULT_TEMPLATE
    augment_endpoint: Endpoint | None = None


@dataclass
class GenerateSummary:
    """Counts for the closing line on stderr."""

    prompts: int = 0
    skipped_done: int = 0
    requests: int = 0
    reused: int = 0
    failed: int = 0
    pairs: int = 0
    incomplete: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def responses_path(out: Path) -> Path:
    """The side file of finished responses next to the pairs file."""
    return out.with_name(out.name + ".responses.jsonl")


def pair_id(prompt_id: str, a: Candidate, b: Candidate) -> str:
    """Stable, and free of model names (the TUI shows ids; models stay hidden on screen)."""
    key = "\x1f".join(sorted([f"{a.model}\x1e{a.sample}", f"{b.model}\x1e{b.sample}"]))
    return f"{prompt_id}:{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def build_pairs(
    item: PromptItem,
    candidates: list[Candidate],
    options: GenerateOptions,
    own_names: dict[str, list[str]],
) -> list[dict[str, Any]]:
    """The pair records of one prompt, sides shuffled by a per-prompt seeded generator."""
    rng = random.Random(f"{options.seed}\x1f{item.id}")
    if options.pairing == "arena":
        chosen = pair_arena(candidates, options.arena_pairs, rng)
    else:
        chosen = pair_all(candidates, rng)
    records = []
    for a, b in chosen:
        names_a = self_identifies(a.text, own_names.get(a.model))
        names_b = self_identifies(b.text, own_names.get(b.model))
        metadata: dict[str, Any] = {
            "prompt_id": item.id,
            "generation": {
                "a": {"sample": a.sample, **a.meta},
                "b": {"sample": b.sample, **b.meta},
            },
            "self_identified": bool(names_a or names_b),
        }
        if names_a or names_b:
            metadata["self_identified_names"] = {"a": names_a, "b": names_b}
        if item.seed_id is not None:
            metadata["seed_id"] = item.seed_id
        record: dict[str, Any] = {"id": pair_id(item.id, a, b)}
        if item.prompt is not None:
            record["prompt"] = item.prompt
        else:
            record["messages"] = item.chat()
        record.update(
            response_a=a.text, response_b=b.text, model_a=a.model, model_b=b.model,
            metadata=metadata,
        )  # fmt: skip
        records.append(record)
    return records


def _meta(done: Completion) -> dict[str, Any]:
    meta: dict[str, Any] = {"latency_s": done.latency_s, "usage": done.usage}
    if done.attempts > 1:
        meta["attempts"] = done.attempts
    if done.finish_reason:
        meta["finish_reason"] = done.finish_reason
    return meta


async def run_generate(
    items: list[PromptItem],
    endpoints: list[Endpoint],
    out: Path,
    client: ChatClient,
    options: GenerateOptions,
    progress_factory: Callable[[int, str], Any],
) -> GenerateSummary:
    """Generate, pair and append; returns counts (failures are counted, not raised)."""
    summary = GenerateSummary()
    side = responses_path(out)
    done_prompts = {
        str(r["metadata"]["prompt_id"])
        for r in read_records(out)
        if isinstance(r.get("metadata"), dict) and "prompt_id" in r["metadata"]
    }
    cached: dict[tuple[str, str, int], dict[str, Any]] = {}
    augmented: dict[str, list[str]] = {}
    for record in read_records(side):
        if record.get("kind") == "augment":
            augmented[str(record["seed_id"])] = list(record["variants"])
        elif record.get("kind") == "response":
            cached[(str(record["prompt_id"]), str(record["model"]), int(record["sample"]))] = record
    by_name = {e.name: e for e in endpoints}
    own_names = {e.name: [e.name, e.model_id] for e in endpoints}

    with AppendLog(side) as log:
        if options.augment > 0:
            items = await _augment(
                items, client, options, augmented, log, summary, progress_factory
            )
        summary.prompts = len(items)
        todo = [item for item in items if item.id not in done_prompts]
        summary.skipped_done = len(items) - len(todo)
        jobs = [
            (item, name, sample)
            for item in todo
            for name in by_name
            for sample in range(options.samples)
        ]
        summary.reused = sum((item.id, name, s) in cached for item, name, s in jobs)
        progress = progress_factory(len(jobs), "generate")
        progress.advance(summary.reused)

        async def one(item: PromptItem, name: str, sample: int) -> Candidate | None:
            hit = cached.get((item.id, name, sample))
            if hit is not None:
                return Candidate(name, sample, hit["text"], hit["meta"])
            summary.requests += 1
            try:
                done = await client.complete(by_name[name], item.chat())
            except EndpointError as exc:
                summary.failed += 1
                summary.errors.append(f"{item.id}: {exc}")
                progress.advance(failed=True)
                return None
            meta = _meta(done)
            log.append(
                {"kind": "response", "prompt_id": item.id, "model": name, "sample": sample,
                 "text": done.text, "meta": meta}
            )  # fmt: skip
            progress.advance()
            return Candidate(name, sample, done.text, meta)

        with AppendLog(out) as pairs_log:

            async def prompt(item: PromptItem) -> None:
                results = await asyncio.gather(
                    *(one(item, name, s) for name in by_name for s in range(options.samples))
                )
                if any(r is None for r in results):
                    summary.incomplete.append(item.id)  # the rerun asks only for what failed
                    return
                for record in build_pairs(item, list(results), options, own_names):
                    pairs_log.append(record)
                    summary.pairs += 1

            await asyncio.gather(*(prompt(item) for item in todo))
        progress.close()
    return summary


async def _augment(
    items: list[PromptItem],
    client: ChatClient,
    options: GenerateOptions,
    augmented: dict[str, list[str]],
    log: AppendLog,
    summary: GenerateSummary,
    progress_factory: Callable[[int, str], Any],
) -> list[PromptItem]:
    """Seeds followed by their variants; variants already in the side file are reused."""
    endpoint = options.augment_endpoint
    assert endpoint is not None
    missing = [item for item in items if item.id not in augmented]
    progress = progress_factory(len(missing), "augment")

    async def ask(item: PromptItem) -> None:
        request = aug.render(options.augment_template, item, options.augment)
        try:
            done = await client.complete(endpoint, request)
        except EndpointError as exc:
            summary.errors.append(f"{item.id} (augment): {exc}")
            progress.advance(failed=True)
            return
        variants = aug.parse_variants(done.text, options.augment)
        augmented[item.id] = variants
        log.append(
            {"kind": "augment", "seed_id": item.id, "variants": variants, "meta": _meta(done)}
        )
        progress.advance()

    await asyncio.gather(*(ask(item) for item in missing))
    progress.close()
    result: list[PromptItem] = []
    for item in items:
        seed = PromptItem(item.id, item.messages, item.prompt, seed_id=item.seed_id or item.id)
        result.append(seed)
        result.extend(aug.variants_of(item, augmented.get(item.id, [])))
    return result
