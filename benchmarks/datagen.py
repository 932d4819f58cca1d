"""Synthetic but realistic inputs for the benchmarks, generated once into the cache dir.

Files are named by their parameters and a generator version, written to a temporary name and
renamed when complete, so an interrupted run never leaves a half file that a later run trusts.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from common import CACHE, log

VERSION = 2

_TEXT = (
    "the model returns a list of values when the input is valid and raises an error otherwise "
    "this function reads each record from disk parses the fields checks the schema and keeps "
    "only rows whose timestamp falls inside the window we then sort them by priority compute "
    "a running mean over the last hundred samples and write the result back as compressed json "
    "note that slicing creates a shallow copy so mutating nested objects still affects the "
    "original while tuples are immutable and dictionaries preserve insertion order since three "
    "point seven the garbage collector frees cycles but reference counting handles most objects "
    "promptly which matters for file handles sockets and locks that must be released on time"
)
WORDS = _TEXT.split()

LANGS = ("python", "rust", "typescript", "sql", "bash")
CODE = {
    "python": [
        "def window(xs, size):",
        "    out = []",
        "    for i in range(len(xs) - size + 1):",
        "        out.append(sum(xs[i : i + size]) / size)",
        "    return out",
        "",
        "records = [r for r in load('data.jsonl') if r['ok']]",
        "print(window([r['value'] for r in records], 100))",
    ],
    "rust": [
        "fn window(xs: &[f64], size: usize) -> Vec<f64> {",
        "    xs.windows(size).map(|w| w.iter().sum::<f64>() / size as f64).collect()",
        "}",
    ],
    "typescript": [
        "export function window(xs: number[], size: number): number[] {",
        "  return xs.slice(size - 1).map((_, i) =>",
        "    xs.slice(i, i + size).reduce((a, b) => a + b, 0) / size);",
        "}",
    ],
    "sql": [
        "SELECT user_id, AVG(value) OVER (ORDER BY ts ROWS 99 PRECEDING) AS mean",
        "FROM samples WHERE ts BETWEEN :start AND :stop ORDER BY ts;",
    ],
    "bash": ["for f in data/*.jsonl; do", "  jq -c 'select(.ok)' \"$f\" >> out.jsonl", "done"],
}


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        k = rng.randrange(len(words))
        words[k] = f"`{words[k]}()`"
    if rng.random() < 0.2:
        k = rng.randrange(len(words))
        words[k] = f"**{words[k]}**"
    return " ".join(words) + "."


def paragraph(rng: random.Random, words: int) -> str:
    out, count = [], 0
    while count < words:
        n = rng.randint(8, 24)
        out.append(sentence(rng, n))
        count += n
    return " ".join(out)


def long_markdown(rng: random.Random, words: int) -> str:
    """A long answer the way models write them: headings, prose, code, lists, tables."""
    parts: list[str] = []
    count = 0
    section = 1
    while count < words:
        parts.append(f"## {section}. {sentence(rng, rng.randint(2, 5)).rstrip('.')}")
        section += 1
        for _ in range(rng.randint(1, 3)):
            n = rng.randint(60, 160)
            parts.append(paragraph(rng, n))
            count += n
        kind = rng.random()
        if kind < 0.35:
            lang = rng.choice(LANGS)
            lines = CODE[lang] * rng.randint(1, 3)
            parts.append(f"```{lang}\n" + "\n".join(lines) + "\n```")
            count += 6 * len(lines)
        elif kind < 0.65:
            items = [f"- {sentence(rng, rng.randint(5, 14))}" for _ in range(rng.randint(3, 7))]
            if rng.random() < 0.5:
                items = [f"{i}. {item[2:]}" for i, item in enumerate(items, 1)]
            parts.append("\n".join(items))
            count += 10 * len(items)
        else:
            rows = ["| option | latency (ms) | memory (MB) | notes |", "|---|---:|---:|---|"]
            for _ in range(rng.randint(3, 8)):
                rows.append(
                    f"| {rng.choice(WORDS)} | {rng.randint(1, 900)} | {rng.randint(1, 4096)} "
                    f"| {sentence(rng, rng.randint(3, 8))} |"
                )
            parts.append("\n".join(rows))
            count += 8 * (len(rows) - 2)
    return "\n\n".join(parts)


def _write_jsonl(path: Path, records: Iterator[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with tmp.open("wb", buffering=1 << 20) as handle:
        for record in records:
            handle.write(orjson.dumps(record) + b"\n")
    os.replace(tmp, path)
    return path


def long_pairs_file(count: int, *, words: tuple[int, int] = (2000, 4000), seed: int = 7) -> Path:
    """``count`` pairs whose two responses are long Markdown documents."""
    path = CACHE / f"long-pairs-v{VERSION}-{count}-{words[0]}-{words[1]}-{seed}.jsonl"
    if path.exists():
        return path
    log(f"generating {count} long pairs into {path}")
    rng = random.Random(seed)

    def records() -> Iterator[dict[str, Any]]:
        for i in range(count):
            yield {
                "id": f"long-{i:05d}",
                "prompt": paragraph(rng, rng.randint(20, 80)),
                "response_a": long_markdown(rng, rng.randint(*words)),
                "response_b": long_markdown(rng, rng.randint(*words)),
                "model_a": "atlas-7b",
                "model_b": "borealis-70b",
                "metadata": {"domain": rng.choice(["coding", "writing", "math"])},
                "tags": ["coding"],
            }

    return _write_jsonl(path, records())


def sized_pairs_file(count: int, *, seed: int = 11, id_first: bool = True) -> Path:
    """``count`` pairs of about 1-2 KB each (a typical short-answer preference set).

    Text comes from a pool of pre-made paragraphs so that a million records take seconds to
    write, while every record still differs (ids, numbers and paragraph combinations).
    """
    tag = "" if id_first else "-idlast"
    path = CACHE / f"pairs-v{VERSION}-{count}-{seed}{tag}.jsonl"
    if path.exists():
        return path
    log(f"generating {count} pairs (~1.5 KB each) into {path}")
    rng = random.Random(seed)
    pool = [paragraph(rng, rng.randint(40, 110)) for _ in range(997)]
    prompts = [sentence(rng, rng.randint(8, 30)) for _ in range(499)]
    domains = ["coding", "writing", "math", "safety", "chat"]

    def records() -> Iterator[dict[str, Any]]:
        for i in range(count):
            body = {
                "prompt": f"Q{i}: {prompts[i % 499]}",
                "response_a": f"{pool[i % 997]}\n\n- {pool[(i * 7) % 997][:120]}",
                "response_b": f"{pool[(i * 13 + 5) % 997]} ({i})",
                "model_a": "atlas-7b",
                "model_b": "borealis-70b",
                "metadata": {"domain": domains[i % 5], "row": i},
                "tags": [domains[i % 5]],
            }
            yield {"id": f"p{i:07d}", **body} if id_first else {**body, "id": f"p{i:07d}"}

    return _write_jsonl(path, records())


MODELS = {  # name: latent strength (log-odds scale)
    "atlas-7b": -0.6,
    "atlas-70b": 0.3,
    "borealis-8b": -0.4,
    "borealis-70b": 0.5,
    "cirrus-mini": -0.9,
    "cirrus-pro": 0.7,
    "dune-3b": -1.2,
    "dune-34b": 0.1,
    "ember-13b": -0.2,
    "ember-120b": 0.9,
    "fjord-1.5b": -1.5,
    "fjord-72b": 0.6,
}


def analytics_set(
    pairs: int, *, annotators: int = 50, per_pair: int = 3, seed: int = 5
) -> tuple[Path, list[Path]]:
    """A judged collection: short pairs between models of known strength, and one journal
    per annotator with ``per_pair`` verdicts per pair from annotators of varying care.

    Agreement is realistic rather than perfect: each pair has a latent preference (model
    strength gap plus pair noise), each annotator reads it through their own noise, ties
    come from small differences, and a few pairs are bad on both sides.
    """
    folder = CACHE / f"analytics-v{VERSION}-{pairs}-{annotators}-{per_pair}-{seed}"
    names = [f"ann{a:02d}" for a in range(annotators)]
    journals = [folder / f"{name}.judgments.jsonl" for name in names]
    pairs_path = folder / "pairs.jsonl"
    done = folder / "complete"
    if done.exists():
        return pairs_path, journals
    log(f"generating {pairs} judged pairs x {per_pair} annotators into {folder}")
    import uuid
    from datetime import UTC, datetime, timedelta

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    models = list(MODELS)
    noise = [rng.uniform(0.5, 1.6) for _ in names]
    domains = ["coding", "writing", "math", "safety", "chat", "medical"]
    languages = ["en", "en", "en", "de", "fr", "es", "hi"]
    start = datetime(2026, 10, 1, tzinfo=UTC)
    handles = [p.open("wb", buffering=1 << 20) for p in journals]
    try:
        with pairs_path.open("wb", buffering=1 << 20) as out:
            for i in range(pairs):
                a, b = rng.sample(models, 2)
                pid = f"q{i:07d}"
                record: dict[str, Any] = {
                    "id": pid,
                    "prompt": f"Question {i}: {sentence(rng, 12)}",
                    "response_a": sentence(rng, 30),
                    "response_b": sentence(rng, 30),
                    "model_a": a,
                    "model_b": b,
                    "metadata": {"domain": domains[i % 6], "language": rng.choice(languages)},
                    "tags": [domains[i % 6]],
                }
                if rng.random() < 0.02:
                    record["gold"] = "A" if MODELS[a] > MODELS[b] else "B"
                out.write(orjson.dumps(record) + b"\n")
                latent = (MODELS[b] - MODELS[a]) * 1.5 + rng.gauss(0, 0.9)
                both_bad = rng.random() < 0.04
                for who in rng.sample(range(annotators), per_pair):
                    seen = latent + rng.gauss(0, noise[who])
                    if both_bad and rng.random() < 0.7:
                        choice, strength = "both_bad", None
                    elif abs(seen) < 0.35:
                        choice, strength = "tie", None
                    else:
                        choice = "B" if seen > 0 else "A"
                        strength = min(3, 1 + int(abs(seen) / 0.9))
                    when = start + timedelta(seconds=i * 2 + who)
                    judgment = {
                        "schema_version": 1,
                        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        "created_at": when.isoformat().replace("+00:00", "Z"),
                        "kind": "judgment",
                        "pair_id": pid,
                        "annotator": names[who],
                        "choice": choice,
                        "strength": strength,
                        "tags": ["hallucination"] if rng.random() < 0.05 else [],
                        "rationale": "",
                        "flagged": rng.random() < 0.01,
                        "shown_swapped": rng.random() < 0.5,
                        "duration_ms": int(rng.lognormvariate(9.5, 0.6)),
                        "guideline_version": "v3",
                    }
                    handles[who].write(orjson.dumps(judgment) + b"\n")
    finally:
        for handle in handles:
            handle.close()
    done.write_text("ok\n")
    return pairs_path, journals
