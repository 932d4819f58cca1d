"""How far an LLM judge (``rankterm judge``, ``source: model``) can be trusted, measured
against people.

Model verdicts are never mixed into the annotators' votes: this module takes them as a separate
input and compares. Per judge: Cohen's kappa against the human majority and against the
adjudicated label, the confusion matrix, how often the verdict flips when the sides are swapped,
length bias (how often the longer response wins with the judge, against how often with people)
and kappa per slice. A judge's verdict on a pair is its answer when both side orders agree,
and ``tie`` when they disagree (position-inconsistent, as MT-Bench counts it); unreadable
answers (``choice: null``) are left out and counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from rankterm.quality.agreement import cohen_kappa
from rankterm.quality.table import NotEnoughData


def judge_verdicts(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, str]]]:
    """judge -> pair id -> order -> choice, from ``source: model`` records (latest wins)."""
    result: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for record in records:
        if record.get("source") != "model" or record.get("choice") is None:
            continue
        result[str(record.get("judge"))][str(record["pair_id"])][str(record.get("order"))] = str(
            record["choice"]
        )
    return result


def combined(orders: Mapping[str, str]) -> str:
    """One verdict from both side orders: the answer if they agree, else ``tie``."""
    values = set(orders.values())
    return values.pop() if len(values) == 1 else "tie"


def human_majority(judgments: Iterable[Any]) -> dict[str, str]:
    """pair id -> the strict-majority choice of its human votes (no majority: left out)."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for judgment in judgments:
        votes[judgment.pair_id][_choice(judgment.choice)] += 1
    result = {}
    for pair_id, counter in votes.items():
        (top, n), *rest = [*counter.most_common(2), (None, 0)]
        if top is not None and n > rest[0][1]:
            result[pair_id] = top
    return result


def _choice(value: Any) -> str:
    return str(getattr(value, "value", value))


def _kappa(pairs: list[tuple[str, str]]) -> float | None:
    try:
        return round(cohen_kappa(pairs), 4)
    except (NotEnoughData, ValueError, ZeroDivisionError):
        return None


def _longer_win_rate(verdicts: Mapping[str, str], lengths: Mapping[str, tuple[int, int]]):
    wins = total = 0
    for pair_id, choice in verdicts.items():
        if choice not in ("A", "B") or pair_id not in lengths:
            continue
        len_a, len_b = lengths[pair_id]
        if len_a == len_b:
            continue
        total += 1
        wins += (choice == "A") == (len_a > len_b)
    return (round(wins / total, 4) if total else None), total


def judge_metrics(
    records: Iterable[Mapping[str, Any]],
    judgments: Iterable[Any],
    resolutions: Mapping[str, Any],
    lengths: Mapping[str, tuple[int, int]] | None = None,
    slice_labels: Mapping[str, Mapping[str, list[str]]] | None = None,
) -> dict[str, Any]:
    """Per judge, the figures described in the module docstring (JSON-ready)."""
    humans = human_majority(judgments)
    adjudicated = {pid: _choice(r.choice) for pid, r in resolutions.items()}
    lengths = lengths or {}
    result: dict[str, Any] = {}
    for judge, by_pair in judge_verdicts(records).items():
        verdicts = {pid: combined(orders) for pid, orders in by_pair.items()}
        both = [orders for orders in by_pair.values() if len(orders) == 2]
        flips = sum(len(set(orders.values())) > 1 for orders in both)
        vs_humans = [(verdicts[p], humans[p]) for p in verdicts if p in humans]
        vs_adjudicated = [(verdicts[p], adjudicated[p]) for p in verdicts if p in adjudicated]
        confusion: dict[str, Counter[str]] = defaultdict(Counter)
        for mine, theirs in vs_humans:
            confusion[mine][theirs] += 1
        shared = {p: humans[p] for p in verdicts if p in humans}
        judge_rate, judge_n = _longer_win_rate({p: verdicts[p] for p in shared}, lengths)
        human_rate, human_n = _longer_win_rate(shared, lengths)
        slices: dict[str, dict[str, Any]] = {}
        for key, labels in (slice_labels or {}).items():
            groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for pair_id, human in shared.items():
                for value in labels.get(pair_id, []):
                    groups[value].append((verdicts[pair_id], human))
            slices[key] = {
                value: {"n": len(rows), "kappa_vs_humans": _kappa(rows)}
                for value, rows in sorted(groups.items())
            }
        result[judge] = {
            "n_pairs": len(verdicts),
            "n_vs_humans": len(vs_humans),
            "kappa_vs_humans": _kappa(vs_humans),
            "n_vs_adjudicated": len(vs_adjudicated),
            "kappa_vs_adjudicated": _kappa(vs_adjudicated),
            "confusion_vs_humans": {k: dict(v) for k, v in sorted(confusion.items())},
            "flip_rate": round(flips / len(both), 4) if both else None,
            "n_both_orders": len(both),
            "length_bias": {
                "judge_longer_win_rate": judge_rate,
                "human_longer_win_rate": human_rate,
                "n": judge_n,
                "n_humans": human_n,
            },
            "slices": slices,
        }
    return result
