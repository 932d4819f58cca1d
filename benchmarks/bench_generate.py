"""What ``generate`` and ``judge`` cost on top of the endpoint they call.

Against a real ``transformers serve`` on the tiny GPT-2 the tests build (cached under
$RANKTERM_BENCH_CACHE), with the same concurrency: the endpoint alone (plain httpx, N requests,
a semaphore of C) versus ``run_generate`` making the same N requests (prompts x 2 models) and
writing pairs, and ``run_judge`` on pairs in both orders. Runs alternate, medians are reported;
``overhead`` is generate's wall time over the endpoint's, minus one (target < 0.05).
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import CACHE, emit, log, parse_args
from tests.llm.llmserver import build_model, llm_python, start_server

from rankterm.llm.endpoint import ChatClient, Endpoint, RetryPolicy
from rankterm.llm.generate import GenerateOptions, run_generate
from rankterm.llm.judge import DEFAULT_TEMPLATE
from rankterm.llm.judge_run import run_judge
from rankterm.llm.prompts import PromptItem

MAX_TOKENS = 8


class Quiet:
    """A progress object that draws nothing (the bar is not what we measure)."""

    def __init__(self, total: int, label: str) -> None:
        pass

    def advance(self, n: int = 1, *, failed: bool = False) -> None:
        pass

    def close(self) -> None:
        pass


async def endpoint_alone(url: str, model: str, prompts: list[PromptItem], per: int, c: int):
    gate = asyncio.Semaphore(c)
    async with httpx.AsyncClient(timeout=120) as client:

        async def one(item: PromptItem) -> None:
            async with gate:
                body = {"model": model, "messages": item.chat(), "max_tokens": MAX_TOKENS}
                response = await client.post(f"{url}/v1/chat/completions", json=body)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(item) for item in prompts for _ in range(per)))
        return time.perf_counter() - started


async def generate_once(endpoints, prompts, out: Path, c: int) -> float:
    client = ChatClient(concurrency=c, policy=RetryPolicy(retries=0))
    started = time.perf_counter()
    async with client:
        summary = await run_generate(prompts, endpoints, out, client, GenerateOptions(), Quiet)
    assert summary.failed == 0, summary.errors
    return time.perf_counter() - started


async def judge_once(endpoint, pairs, out: Path, c: int) -> tuple[float, int]:
    client = ChatClient(concurrency=c, policy=RetryPolicy(retries=0))
    started = time.perf_counter()
    async with client:
        summary = await run_judge(pairs, endpoint, DEFAULT_TEMPLATE, out, client, Quiet)
    return time.perf_counter() - started, summary.requests


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    n_prompts, rounds, c = (8, 2, 2) if args.quick else (40, 5, 4)
    params = {"prompts": n_prompts, "models": 2, "rounds": rounds, "concurrency": c,
              "max_tokens": MAX_TOKENS}  # fmt: skip
    python = llm_python()
    if python is None:
        emit("bench_generate", params, {"skipped": "no .ci/.llm-venv (run .ci/run)"})
        return
    model_dir = CACHE / "tiny-gpt2"
    if not (model_dir / "model.safetensors").exists():
        log("building the tiny model")
        shutil.rmtree(model_dir, ignore_errors=True)
        build_model(python, model_dir)
    work = Path(tempfile.mkdtemp(prefix="bench-generate-"))
    log("starting transformers serve")
    server = start_server(python, model_dir, work / "serve.log")
    try:
        endpoints = [
            Endpoint(name, server.base_url, str(model_dir), max_tokens=MAX_TOKENS)
            for name in ("alpha", "beta")
        ]
        prompts = [PromptItem(f"q{i}", (("user", f"Tell me about fox {i}."),), f"Fox {i}?")
                   for i in range(n_prompts)]  # fmt: skip
        alone, generated, judged, verdicts = [], [], [], 0
        asyncio.run(endpoint_alone(server.base_url, str(model_dir), prompts, 1, c))  # warm-up
        for r in range(rounds):  # alternate, so drift on a shared machine hits both
            alone.append(
                asyncio.run(endpoint_alone(server.base_url, str(model_dir), prompts, 2, c))
            )
            out = work / f"pairs{r}.jsonl"
            generated.append(asyncio.run(generate_once(endpoints, prompts, out, c)))
            log(f"round {r}: alone {alone[-1]:.2f}s generate {generated[-1]:.2f}s")
        import orjson

        pairs = [orjson.loads(line) for line in (work / "pairs0.jsonl").read_bytes().splitlines()]
        judge_ep = Endpoint("judge", server.base_url, str(model_dir), max_tokens=MAX_TOKENS)
        for r in range(rounds):
            wall, verdicts = asyncio.run(judge_once(judge_ep, pairs, work / f"j{r}.jsonl", c))
            judged.append(wall)
        requests = 2 * n_prompts
        med_alone, med_gen = statistics.median(alone), statistics.median(generated)
        figures = {
            "endpoint_alone": {"median_s": round(med_alone, 4),
                               "req_per_s": round(requests / med_alone, 2)},
            "generate": {"median_s": round(med_gen, 4), "req_per_s": round(requests / med_gen, 2),
                         "pairs": n_prompts},
            "overhead": round(med_gen / med_alone - 1, 4),
            # Rounds pair up in time, so drift on a shared machine cancels within a round.
            "overhead_round_median": round(
                statistics.median(g / a for g, a in zip(generated, alone, strict=True)) - 1, 4
            ),
            "judge": {"median_s": round(statistics.median(judged), 4), "verdicts": verdicts,
                      "verdicts_per_s": round(verdicts / statistics.median(judged), 2)},
            "rounds_s": {"alone": [round(x, 3) for x in alone],
                         "generate": [round(x, 3) for x in generated]},
        }  # fmt: skip
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    emit("bench_generate", params, figures)


if __name__ == "__main__":
    main()
