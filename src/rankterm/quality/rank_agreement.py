"""Agreement on K-way rankings: Kendall's W, alpha over ranks, implied pairs, gold tau.

Each annotator's standing order of a task (see :mod:`rankterm.formats.rank_data`) is the unit
of data. Four views, because they answer different questions:

* **Kendall's W** (coefficient of concordance) per task with two or more rankers, corrected for
  ties (Siegel & Castellan 1988, eq. 9.16): ``W = 12 S / (m^2 (n^3 - n) - m sum T)``, where
  ``S`` is the sum of squared deviations of the candidates' rank sums from their mean, ``m`` the
  rankers, ``n`` = K and ``T = sum (t^3 - t)`` over each ranker's tied groups. 1 is the same
  order from everyone, 0 no shared preference. Reported as the mean over tasks.
* **Krippendorff's alpha over ranks**: units are (task, candidate), values the candidate's mean
  rank (ties share the mean of their places), at the ordinal and the interval level; it pools
  every task and tolerates annotators who ranked different tasks.
* **Pairwise agreement on implied comparisons**: for each task and each pair of its candidates,
  the verdict each annotator's order implies (A above, below or tied); the share of annotator
  pairs that agree, pooled over every such comparison, plus Krippendorff's nominal alpha on
  the same verdicts. This is the number comparable with pairwise agreement on ordinary pairs.
* **Kendall's tau-b against gold** per annotator, for gold ranking tasks: a plain function
  (:func:`kendall_tau_b`, with :func:`mean_tau`) the server scores gold rankings with too, so
  that a gold score means the same offline and on the server (the one tau of the project).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

from rankterm.core.model import Order, Ranking, RankTask, implied_pairs, ranks
from rankterm.quality.krippendorff import krippendorff_alpha
from rankterm.quality.table import NotEnoughData


def kendall_w(orders: Sequence[Order], k: int) -> float | None:
    """Kendall's W of ``m`` orders of the same ``k`` candidates, tie-corrected; None if undefined.

    Undefined with fewer than two orders, or when every order ties everything (no variation).
    """
    m = len(orders)
    if m < 2 or k < 2:
        return None
    sums = [0.0] * k
    ties = 0.0
    for order in orders:
        for i, r in ranks(order).items():
            sums[i] += r
        ties += sum(len(t) ** 3 - len(t) for t in order)
    mean = m * (k + 1) / 2
    s = sum((x - mean) ** 2 for x in sums)
    denominator = m * m * (k**3 - k) - m * ties
    if denominator <= 0:
        return None
    return 12 * s / denominator


def kendall_tau_b(first: Order, second: Order) -> float | None:
    """Kendall's tau-b between two orders of the same candidates (1 same, -1 reversed).

    Ties are corrected for as in tau-b; None when either order ties every candidate (the
    correlation is 0/0). Candidates missing from either order are left out.
    """
    ra = {i: t for t, tier in enumerate(first) for i in tier}
    rb = {i: t for t, tier in enumerate(second) for i in tier}
    items = sorted(ra.keys() & rb.keys())
    concordant = discordant = ties_a = ties_b = 0
    for i, j in combinations(items, 2):
        da, db = ra[i] - ra[j], rb[i] - rb[j]
        if da == 0:
            ties_a += 1
        if db == 0:
            ties_b += 1
        if da and db:
            if (da > 0) == (db > 0):
                concordant += 1
            else:
                discordant += 1
    n0 = len(items) * (len(items) - 1) // 2
    denominator = math.sqrt((n0 - ties_a) * (n0 - ties_b))
    if denominator == 0:
        return None
    return (concordant - discordant) / denominator


def mean_tau(scores: Iterable[float | None]) -> float | None:
    """The mean of the defined tau scores (None when none is), as the server reports a gold
    score per annotator."""
    values = [s for s in scores if s is not None]
    return sum(values) / len(values) if values else None


def _alpha(units: list[list[Any]], level: str) -> tuple[float | None, str]:
    try:
        return krippendorff_alpha(units, level), ""  # type: ignore[arg-type]
    except NotEnoughData as exc:
        return None, str(exc)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def rank_agreement(standing: Mapping[str, Sequence[Ranking]]) -> dict[str, Any]:
    """The agreement section for rankings (task id -> each annotator's standing ranking)."""
    ws: list[float] = []
    rank_units: list[list[float]] = []
    verdict_units: list[list[str]] = []
    agree = pairs = 0
    shared = 0
    annotators: set[str] = set()
    n_rankings = 0
    for rankings in standing.values():
        n_rankings += len(rankings)
        annotators.update(r.annotator for r in rankings)
        # Only rankings of the same K are comparable (a mismatch is a broken record).
        by_k: dict[int, list[Ranking]] = defaultdict(list)
        for r in rankings:
            by_k[r.k].append(r)
        group = max(by_k.values(), key=len)
        if len(group) < 2:
            continue
        shared += 1
        k = group[0].k
        w = kendall_w([r.order for r in group], k)
        if w is not None:
            ws.append(w)
        mean_ranks = [ranks(r.order) for r in group]
        rank_units.extend([mr[i] for mr in mean_ranks] for i in range(k))
        verdicts = [{(i, j): c.value for i, j, c in implied_pairs(r.order)} for r in group]
        for key in verdicts[0]:
            values = [v[key] for v in verdicts]
            verdict_units.append(values)
            for x, y in combinations(values, 2):
                pairs += 1
                agree += x == y
    ordinal, why_ordinal = _alpha(rank_units, "ordinal")
    interval, why_interval = _alpha(rank_units, "interval")
    nominal, why_nominal = _alpha(verdict_units, "nominal")
    out: dict[str, Any] = {
        "n_tasks": len(standing),
        "n_rankings": n_rankings,
        "n_annotators": len(annotators),
        "n_shared_tasks": shared,
        "kendall_w": {
            "mean": _r(sum(ws) / len(ws)) if ws else None,
            "min": _r(min(ws)) if ws else None,
            "n_tasks": len(ws),
        },
        "alpha_ranks": {
            "ordinal": _r(ordinal),
            "interval": _r(interval),
            "n_units": len(rank_units),
            "reason": why_ordinal or why_interval,
        },
        "implied_pairs": {
            "percent": _r(agree / pairs) if pairs else None,
            "alpha_nominal": _r(nominal),
            "n_comparisons": len(verdict_units),
            "n_annotator_pairs": pairs,
            "reason": why_nominal,
        },
    }
    return out


def gold_tau(
    standing: Mapping[str, Sequence[Ranking]], tasks: Mapping[str, RankTask]
) -> dict[str, dict[str, Any]]:
    """Per annotator: mean Kendall tau-b of their rankings of gold tasks against the gold order."""
    taus: dict[str, list[float]] = defaultdict(list)
    undefined: dict[str, int] = defaultdict(int)
    for task_id, rankings in standing.items():
        task = tasks.get(task_id)
        if task is None or task.gold is None:
            continue
        for r in rankings:
            if r.k != task.k:
                continue
            tau = kendall_tau_b(r.order, task.gold.order)
            if tau is None:
                undefined[r.annotator] += 1
            else:
                taus[r.annotator].append(tau)
    return {
        who: {
            "mean_tau": _r(sum(taus[who]) / len(taus[who])) if taus[who] else None,
            "min_tau": _r(min(taus[who])) if taus[who] else None,
            "n": len(taus[who]),
            "undefined": undefined[who],
        }
        for who in sorted(taus.keys() | undefined.keys())
    }
