"""Builders of small, realistic input files for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson


def pair_record(i: int, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"pair-{i:03d}",
        "prompt": f"Question {i}: explain how list slicing works in Python.",
        "response_a": f"Answer A{i}: use `xs[start:stop:step]`.\n\n```python\nxs[::-1]\n```",
        "response_b": f"Answer B{i}: slicing copies part of a list.\n\n- start\n- stop\n- step",
        "model_a": "atlas-7b",
        "model_b": "borealis-70b",
        "metadata": {"domain": "coding", "language": "en"},
        "tags": ["coding"],
    }
    record.update(extra)
    return record


def write_pairs(
    path: Path, records: list[dict[str, Any]], *, raw_lines: dict[int, bytes] | None = None
) -> Path:
    """Write records as JSONL; ``raw_lines`` inserts raw bytes at given 0-based line positions."""
    lines = [orjson.dumps(r) for r in records]
    for position, raw in sorted((raw_lines or {}).items()):
        lines.insert(position, raw)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
