"""generate and judge end to end against a real OpenAI-compatible server process.

The server is ``transformers serve`` on a random two-layer GPT-2 built by the test (no
download); its answers are gibberish, which is the point for the judge: unreadable verdicts
must be recorded as unread, never guessed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from rankterm.core.model import Pair
from tests.llm.llmserver import ModelServer

pytestmark = pytest.mark.llm


def rankterm(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rankterm", *args], capture_output=True, text=True, timeout=timeout
    )


def lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def write_prompts(path: Path, count: int) -> Path:
    rows = [{"id": f"q{i}", "prompt": f"Tell me about the fox number {i}."} for i in range(count)]
    turns = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi fox"}]
    rows.append({"id": "conv", "messages": turns})
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    return path


def test_generate_writes_valid_pairs_with_usage_and_resumes(
    model_server: ModelServer, tmp_path: Path
) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl", 3)
    out = tmp_path / "pairs.jsonl"
    args = ["generate", str(prompts), "-m", model_server.spec("alpha"), "-m",
            model_server.spec("beta"), "--samples", "2", "--max-tokens", "8",
            "--temperature", "alpha=1.0", "-o", str(out)]  # fmt: skip
    first = rankterm(*args)
    assert first.returncode == 0, first.stderr
    pairs = lines(out)
    # 4 candidates per prompt (2 models x 2 samples): 6 pairs each, 4 prompts.
    assert len(pairs) == 4 * 6
    assert len({p["id"] for p in pairs}) == len(pairs)
    for record in pairs:
        pair = Pair.model_validate(record)  # the pairs are rankterm's own format
        assert "alpha" not in pair.id and "beta" not in pair.id  # ids do not reveal models
        meta = pair.metadata["generation"]
        for side in ("a", "b"):
            assert meta[side]["usage"]["completion_tokens"] <= 8
            assert meta[side]["usage"]["prompt_tokens"] > 0
            assert meta[side]["latency_s"] > 0
        assert isinstance(pair.metadata["self_identified"], bool)
    conv = [p for p in pairs if p["metadata"]["prompt_id"] == "conv"]
    assert conv and conv[0]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert "generate [" in first.stderr and "ETA" in first.stderr  # progress on stderr
    assert "24 pairs" in first.stderr

    again = rankterm(*args)  # everything done: no request, no new pair
    assert again.returncode == 0, again.stderr
    assert "0 requests" in again.stderr and "(4 already done)" in again.stderr
    assert len(lines(out)) == 24


def test_ctrl_c_keeps_finished_responses_and_rerun_asks_only_for_the_rest(
    model_server: ModelServer, tmp_path: Path
) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl", 14)  # 15 prompts, 30 requests
    out = tmp_path / "pairs.jsonl"
    side = tmp_path / "pairs.jsonl.responses.jsonl"
    args = ["generate", str(prompts), "-m", model_server.spec("alpha"), "-m",
            model_server.spec("beta"), "--max-tokens", "8", "--concurrency", "1",
            "-o", str(out)]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "rankterm", *args], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not side.exists() or len(lines(side)) < 4):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "rerun the same command" in err
    kept = len(lines(side))
    assert 4 <= kept < 30

    rest = rankterm(*args)
    assert rest.returncode == 0, rest.stderr
    requests = int(re.search(r"(\d+) requests", rest.stderr).group(1))
    reused = int(re.search(r"(\d+) responses reused", rest.stderr).group(1))
    done = int(re.search(r"\((\d+) already done\)", rest.stderr).group(1))
    assert requests + reused + 2 * done == 30  # nothing finished was asked for twice
    assert len(lines(side)) == 30
    assert sorted(p["metadata"]["prompt_id"] for p in lines(out)) == sorted(
        [f"q{i}" for i in range(14)] + ["conv"]
    )


def test_augment_asks_for_variants_and_keeps_seed_id(
    model_server: ModelServer, tmp_path: Path
) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl", 1)
    template = tmp_path / "augment.md"
    template.write_text("Give {n} harder versions of: {prompt}\n")
    out = tmp_path / "pairs.jsonl"
    result = rankterm("generate", str(prompts), "-m", model_server.spec("alpha"), "-m",
                      model_server.spec("beta"), "--max-tokens", "12", "--augment", "2",
                      "--augment-template", str(template), "-o", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    side = lines(tmp_path / "pairs.jsonl.responses.jsonl")
    augments = [r for r in side if r["kind"] == "augment"]
    assert sorted(r["seed_id"] for r in augments) == ["conv", "q0"]
    pairs = lines(out)
    assert {p["metadata"]["seed_id"] for p in pairs} == {"q0", "conv"}
    variants = {v for r in augments for v in r["variants"]}
    for pair in pairs:  # a variant's pair has the variant as its prompt, the seed as seed_id
        if pair["metadata"]["prompt_id"].startswith("q0~a"):
            assert pair["prompt"] in variants


def test_judge_both_orders_against_real_model(model_server: ModelServer, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [{"id": f"p{i}", "prompt": "Which fox?", "response_a": "The quick brown fox.",
             "response_b": "The lazy dog."} for i in range(3)]  # fmt: skip
    pairs.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    out = tmp_path / "judge.jsonl"
    args = ["judge", str(pairs), "--model", f"{model_server.base_url}#{model_server.model_dir}",
            "--max-tokens", "16", "-o", str(out)]  # fmt: skip
    result = rankterm(*args)
    assert result.returncode == 0, result.stderr
    records = lines(out)
    assert sorted((r["pair_id"], r["order"]) for r in records) == sorted(
        (f"p{i}", o) for i in range(3) for o in ("ab", "ba")
    )
    for record in records:
        assert record["source"] == "model"
        assert record["usage"]["completion_tokens"] > 0
        if record["choice"] is None:  # gibberish is recorded as unread, with the raw text
            assert "raw" in record
    again = rankterm(*args)
    assert again.returncode == 0 and "6 already there" in again.stderr
    assert len(lines(out)) == 6


def test_wrong_model_id_fails_without_retrying(model_server: ModelServer, tmp_path: Path) -> None:
    prompts = write_prompts(tmp_path / "prompts.jsonl", 1)
    wrong = f"x={model_server.base_url}#nope"
    out = str(tmp_path / "o.jsonl")
    result = rankterm(
        "generate",
        str(prompts),
        "-m",
        wrong,
        "-m",
        model_server.spec("y"),
        "--max-tokens",
        "4",
        "-o",
        out,
    )
    assert result.returncode == 1
    assert "HTTP 4" in result.stderr and "gave up" not in result.stderr
    assert "incomplete" in result.stderr
