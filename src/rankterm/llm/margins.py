"""A judge's verdicts as a margin per pair: what the server's informative order reads.

``rankterm serve``'s informative order serves first the pairs whose margin is near zero
(``server/informative.py``: ``1 - |tanh(m/2)|`` of ``metadata.margin``). A judge gives a
verdict per side order; its margin is A's advantage on the verdict scale (A much better = +3,
tie = 0, B much better = -3), averaged over the orders it answered. A judge that flips with
the sides averages to zero: exactly the pairs worth a person's time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: A's advantage per verdict (strength 1-3 for A or B; a verdict without strength counts 2).
_SIGN = {"A": 1, "B": -1, "tie": 0}


def judge_margins(records: Iterable[Mapping[str, Any]], judge: str) -> dict[str, float]:
    """Mean advantage of A per pair over ``judge``'s readable verdicts (both_bad and unparsed
    verdicts say nothing about the margin and are left out; a pair with none has no margin)."""
    sums: dict[str, list[float]] = {}
    for record in records:
        if record.get("source") != "model" or record.get("judge") != judge:
            continue
        sign = _SIGN.get(str(record.get("choice")))
        if sign is None:
            continue
        strength = record.get("strength")
        size = strength if isinstance(strength, int) and 1 <= strength <= 3 else 2
        sums.setdefault(str(record.get("pair_id")), []).append(float(sign * size))
    return {pair_id: sum(v) / len(v) for pair_id, v in sums.items()}


def with_margins(pair: dict[str, Any], margins: Mapping[str, float], judge: str) -> dict[str, Any]:
    """The pair record with ``metadata.margin`` (and where it came from) set, when known."""
    margin = margins.get(str(pair.get("id")))
    if margin is None:
        return pair
    metadata = dict(pair.get("metadata") or {})
    metadata["margin"] = round(margin, 4)
    metadata["margin_source"] = f"judge:{judge}"
    return {**pair, "metadata": metadata}
