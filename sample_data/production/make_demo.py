"""Writes the demo production logs (logs.jsonl) and, after `rankterm sample`, a demo journal.

    python sample_data/production/make_demo.py logs
    rankterm sample sample_data/production/logs.jsonl --per-stratum 6 \
        -o sample_data/production/pairs.jsonl
    python sample_data/production/make_demo.py journal

Synthetic and deterministic (seeded): three slices over six weeks; v1 serves week 1, v2 from
week 2 while v1 keeps answering a shadow share of traffic (the reference answers); a few prompts
of the last week are new, so v1 never answered them. The demo journal has one annotator whose
verdicts make v2 slip on medical questions in the last week (hallucinations), which
`rankterm monitor` reports as drift.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
TOPICS = {
    "medical": [
        "Can I take ibuprofen with my blood pressure tablets?",
        "What does a fasting glucose of 6.4 mmol/L mean?",
        "How long is someone contagious after the flu starts?",
        "Is it safe to exercise with a mild fever?",
        "What are the early signs of dehydration in toddlers?",
        "How much vitamin D should an adult take in winter?",
    ],
    "coding": [
        "Why does my Python dict comprehension skip keys?",
        "How do I undo the last git commit but keep the changes?",
        "What is the difference between a process and a thread?",
        "How can I read a large CSV in pandas without running out of memory?",
        "Why does my SQL LEFT JOIN return more rows than the left table?",
        "How do I make an HTTP request time out in Go?",
    ],
    "travel": [
        "Do I need a visa for a week in Japan with an EU passport?",
        "What is the cheapest way from Lisbon airport to the city centre?",
        "Is tap water safe to drink in Mexico City?",
        "How early should I arrive for an international flight?",
        "What should I pack for a week of hiking in Iceland in May?",
        "Can I bring a power bank in checked luggage?",
    ],
}
NEW_LAST_WEEK = {
    "medical": "Is the new RSV vaccine recommended for people over 60?",
    "coding": "How do I migrate a project from Poetry to uv?",
}
START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
WEEKS = 6


def answer(version: str, prompt: str, rng: random.Random) -> str:
    detail = rng.choice(["in short", "briefly", "step by step", "with the usual caveats"])
    return f"[{version}] Answering {detail}: {prompt.rstrip('?')} — here is what matters most."


def logs() -> None:
    rng = random.Random(7)
    rows = []
    for week in range(WEEKS):
        for slice_name, prompts in TOPICS.items():
            pool = list(prompts)
            if week == WEEKS - 1 and slice_name in NEW_LAST_WEEK:
                pool.append(NEW_LAST_WEEK[slice_name])
            for n in range(8):
                prompt = pool[(n + week) % len(pool)] if n < len(pool) else rng.choice(pool)
                when = START + timedelta(days=7 * week, hours=rng.randrange(0, 7 * 24))
                version = "v1" if week < 1 else "v2"
                meta = {"slice": slice_name, "region": rng.choice(["eu", "us"])}
                rows.append((when, version, prompt, meta))
                shadow = prompt not in NEW_LAST_WEEK.values()
                if version == "v2" and shadow and rng.random() < 0.9:
                    later = when + timedelta(seconds=rng.randrange(1, 30))
                    rows.append((later, "v1", prompt, {**meta, "shadow": True}))
    rows.sort(key=lambda r: r[0])
    with (HERE / "logs.jsonl").open("w") as out:
        for when, version, prompt, meta in rows:
            record = {
                "prompt": prompt,
                "response": answer(version, prompt, rng),
                "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "model_version": version,
                "metadata": meta,
            }
            out.write(json.dumps(record) + "\n")
    print(f"wrote {len(rows)} log lines to {HERE / 'logs.jsonl'}")


def journal() -> None:
    rng = random.Random(11)
    pairs = [json.loads(line) for line in (HERE / "pairs.jsonl").open()]
    weeks = sorted({p["metadata"]["monitor"]["window"] for p in pairs})
    with (HERE / "judgments.jsonl").open("w") as out:
        for i, pair in enumerate(pairs):
            mon = pair["metadata"]["monitor"]
            late = mon["window"] == weeks[-1] and mon["slice"] == "medical"
            p_win = 0.25 if late else 0.6
            draw = rng.random()
            prod = mon["production"].upper()
            other = "B" if prod == "A" else "A"
            choice = prod if draw < p_win else ("tie" if draw < p_win + 0.1 else other)
            tags = ["hallucination"] if late and rng.random() < 0.5 else []
            if not late and rng.random() < 0.05:
                tags = ["bias"]
            record = {
                "kind": "judgment",
                "schema_version": 1,
                "id": f"00000000-0000-4000-8000-{i:012d}",
                "created_at": (START + timedelta(days=30, minutes=i)).isoformat(),
                "pair_id": pair["id"],
                "annotator": "ana",
                "choice": choice,
                "strength": 2 if choice in ("A", "B") else None,
                "tags": tags,
                "duration_ms": 9000 + rng.randrange(0, 9000),
            }
            out.write(json.dumps(record) + "\n")
    print(f"wrote {len(pairs)} judgments to {HERE / 'judgments.jsonl'}")


if __name__ == "__main__":
    {"logs": logs, "journal": journal}[sys.argv[1]]()
