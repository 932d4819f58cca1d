"""Model leaderboard: Bradley-Terry ratings from pairwise verdicts, with bootstrap intervals.

Every verdict on a pair with ``model_a`` and ``model_b`` is a battle: A better -> model_a wins,
B better -> model_b wins, tie -> half a win each, both_bad -> dropped (default) or a tie.
Strengths are the maximum-likelihood Bradley-Terry fit (found by Newton's method on
log-strengths), shown on an Elo-like scale: ``rating = 400 * log10(strength)``, shifted so that the
models' mean rating is 1000 (or so that an ``anchor`` model is exactly 1000). A 400-point gap
means 10:1 odds of winning.

A model that never wins (or never loses) has no finite maximum-likelihood strength. Each model
therefore also plays ``prior`` virtual games against a fixed reference player of strength 1,
winning half of them: a weak, symmetric prior that keeps every rating finite and connects models
that never met, while mattering less and less as real battles accumulate.

Confidence intervals: the battles are resampled with replacement ``bootstrap`` times (seeded, so
the same journal gives the same table) and refitted; the interval is the 2.5th-97.5th
percentile of each model's rating. The fit reads battles only through how many times each
(model_a, model_b, outcome) occurred, so a resample is drawn as those counts directly (see
:func:`resample_counts`): the same bootstrap distribution as drawing n battles, at a cost that
does not grow with n. Pure Python, no I/O.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rankterm.core.model import Choice

BASE = 1000.0
SCALE = 400.0


@dataclass(frozen=True, slots=True)
class Battle:
    """One verdict between two models, in A/B terms (A means model_a won)."""

    model_a: str
    model_b: str
    outcome: Choice


@dataclass
class ModelStanding:
    """One row of the leaderboard."""

    model: str
    rating: float
    ci_low: float
    ci_high: float
    wins: int = 0
    losses: int = 0
    ties: int = 0

    @property
    def battles(self) -> int:
        return self.wins + self.losses + self.ties


@dataclass
class Leaderboard:
    """Ratings (best first), and per-opponent win rates and battle counts."""

    standings: list[ModelStanding]
    #: win_rate[a][b]: a's share of points against b (wins + half the ties), for pairs that met.
    win_rate: dict[str, dict[str, float]] = field(default_factory=dict)
    #: battles[a][b]: how many times a and b met.
    battles: dict[str, dict[str, int]] = field(default_factory=dict)
    bootstrap: int = 0
    seed: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "models": [
                {
                    "model": s.model,
                    "rating": round(s.rating, 2),
                    "ci": [round(s.ci_low, 2), round(s.ci_high, 2)],
                    "wins": s.wins,
                    "losses": s.losses,
                    "ties": s.ties,
                    "battles": s.battles,
                }
                for s in self.standings
            ],
            "win_rate": {
                a: {b: round(x, 4) for b, x in row.items()} for a, row in self.win_rate.items()
            },
            "battles": self.battles,
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "dropped": dict(self.dropped),
        }


def battle_from(
    model_a: str, model_b: str, choice: Choice, both_bad: str = "drop"
) -> Battle | None:
    """The battle a verdict stands for, or None (same model twice, or both_bad dropped)."""
    if model_a == model_b:
        return None
    if choice is Choice.BOTH_BAD:
        if both_bad != "tie":
            return None
        choice = Choice.TIE
    return Battle(model_a, model_b, choice)


#: Battle counts: ``(model_a, model_b, outcome) -> how many``, in first-seen order.
BattleCounts = dict[tuple[str, str, Choice], int]


def count_battles(battles: Iterable[Battle]) -> BattleCounts:
    """How many times each (model_a, model_b, outcome) occurred, in first-seen order."""
    counts: BattleCounts = {}
    for b in battles:
        key = (b.model_a, b.model_b, b.outcome)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _points(outcome: Choice) -> float:
    return 1.0 if outcome is Choice.A else 0.0 if outcome is Choice.B else 0.5


def _tally(
    cells: Iterable[tuple[int, int, float, int]],
) -> dict[tuple[int, int], list[float]]:
    """(i, j) with i < j -> [points of i, games], from ``(i, j, points of i, n)`` cells.

    A tie is half a point to each side. Points are multiples of 0.5, so the sums are exact
    whatever the order of the cells.
    """
    table: dict[tuple[int, int], list[float]] = {}
    for i, j, points_a, n in cells:
        if not n:
            continue
        if i > j:
            i, j, points_a = j, i, 1.0 - points_a
        cell = table.get((i, j))
        if cell is None:
            table[(i, j)] = [points_a * n, float(n)]
        else:
            cell[0] += points_a * n
            cell[1] += n
    return table


def binomial(rng: random.Random, n: int, p: float) -> int:
    """One draw from Binomial(n, p), using only ``rng.random()``.

    A port of CPython 3.12's ``random.binomialvariate`` (Devroye's geometric method for
    n * p < 10, Hoermann's BTRS transformed rejection otherwise), so that a seed gives the
    same intervals on every Python this package supports (3.11 has no binomialvariate).
    """
    if p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if n == 1:
        return int(rng.random() < p)
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:
        x = y = 0
        c = math.log(1.0 - p)
        if not c:
            return x
        while True:
            y += math.floor(math.log(rng.random()) / c) + 1
            if y > n:
                return x
            x += 1
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    setup = False
    alpha = lpq = h = 0.0
    m = 0
    while True:
        u = rng.random() - 0.5
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        v = rng.random()
        if us >= 0.07 and v <= vr:
            return k
        if not setup:
            alpha = (2.83 + 5.1 / b) * spq
            lpq = math.log(p / (1.0 - p))
            m = math.floor((n + 1) * p)
            h = math.lgamma(m + 1) + math.lgamma(n - m + 1)
            setup = True
        v *= alpha / (a / (us * us) + b)
        if math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return k


def resample_counts(rng: random.Random, counts: Sequence[int]) -> list[int]:
    """A bootstrap resample of aggregated battles: one draw from Multinomial(n, counts / n).

    Drawing n battles with replacement from n observed ones and counting each kind is
    exactly a Multinomial(n, observed shares) draw of the counts, so this gives the same
    bootstrap distribution as resampling battle by battle. It is drawn as a chain of
    binomials (cell k gets Binomial(n left, count_k / count left)), which is exact too and
    costs one binomial per cell instead of n draws.
    """
    left = total = sum(counts)
    out = []
    for count in counts:
        if left <= 0 or total <= 0:
            out.append(0)
            continue
        drawn = binomial(rng, left, count / total) if count < total else left
        out.append(drawn)
        left -= drawn
        total -= count
    return out


def fit(
    n_models: int,
    table: dict[tuple[int, int], list[float]],
    prior: float = 1.0,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> list[float]:
    """Bradley-Terry strengths maximising the (prior-regularised) likelihood.

    Damped Newton steps on log-strengths: the log-likelihood is concave and, thanks to the
    prior, strictly so, so each step that does not improve it is halved and the iteration
    converges in a handful of steps. (Hunter's MM iteration reaches the same optimum but
    crawls along the overall-scale direction when the prior is weak against many battles.)
    """
    if n_models == 0:
        return []
    points = [prior / 2] * n_models
    for (i, j), (points_i, games) in table.items():
        points[i] += points_i
        points[j] += games - points_i
    cells = [(i, j, games) for (i, j), (_, games) in table.items()]
    theta = [0.0] * n_models

    def loglik(th: list[float]) -> float:
        total = sum(points[i] * th[i] for i in range(n_models))
        total -= prior * sum(_log1pexp(t) for t in th)
        for i, j, games in cells:
            hi = max(th[i], th[j])
            total -= games * (hi + math.log(math.exp(th[i] - hi) + math.exp(th[j] - hi)))
        return total

    current = loglik(theta)
    for _ in range(max_iter):
        grad = [points[i] - prior * _sigmoid(theta[i]) for i in range(n_models)]
        info = [[0.0] * n_models for _ in range(n_models)]
        for i in range(n_models):
            s = _sigmoid(theta[i])
            info[i][i] = prior * s * (1 - s)
        for i, j, games in cells:
            s = _sigmoid(theta[i] - theta[j])
            grad[i] -= games * s
            grad[j] -= games * (1 - s)
            w = games * s * (1 - s)
            info[i][i] += w
            info[j][j] += w
            info[i][j] -= w
            info[j][i] -= w
        step = _solve_spd(info, grad)
        scale = 1.0
        while True:
            trial = [t + scale * d for t, d in zip(theta, step, strict=True)]
            value = loglik(trial)
            if value >= current - 1e-12 or scale < 1e-6:
                break
            scale /= 2
        theta, gain, current = trial, value - current, value
        if max(abs(scale * d) for d in step) < tol or abs(gain) < tol * 1e-3:
            break
    return [math.exp(t) for t in theta]


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _log1pexp(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _solve_spd(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Solve ``matrix @ x = rhs`` for a symmetric positive-definite matrix (Cholesky)."""
    n = len(rhs)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        row_i = low[i]
        for j in range(i + 1):
            row_j = low[j]
            acc = matrix[i][j] - sum(row_i[k] * row_j[k] for k in range(j))
            if i == j:
                row_i[i] = math.sqrt(max(acc, 1e-300))
            else:
                row_i[j] = acc / row_j[j]
    y = [0.0] * n
    for i in range(n):
        y[i] = (rhs[i] - sum(low[i][k] * y[k] for k in range(i))) / low[i][i]
    x = [0.0] * n
    for i in reversed(range(n)):
        x[i] = (y[i] - sum(low[k][i] * x[k] for k in range(i + 1, n))) / low[i][i]
    return x


def _ratings(strengths: Sequence[float], anchor: int | None) -> list[float]:
    raw = [SCALE * math.log10(s) for s in strengths]
    shift = raw[anchor] if anchor is not None else sum(raw) / len(raw)
    return [BASE + r - shift for r in raw]


def _percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile of sorted values (q in 0..1)."""
    if not values:
        return math.nan
    pos = (len(values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def compute(
    battles: Sequence[Battle],
    *,
    bootstrap: int = 200,
    seed: int = 0,
    prior: float = 1.0,
    anchor: str | None = None,
    confidence: float = 0.95,
) -> Leaderboard:
    """Ratings, bootstrap intervals, records, win rates and battle counts from battles."""
    return compute_counts(
        count_battles(battles),
        bootstrap=bootstrap,
        seed=seed,
        prior=prior,
        anchor=anchor,
        confidence=confidence,
    )


def compute_counts(
    counts: BattleCounts,
    *,
    bootstrap: int = 200,
    seed: int = 0,
    prior: float = 1.0,
    anchor: str | None = None,
    confidence: float = 0.95,
) -> Leaderboard:
    """As :func:`compute`, from :func:`count_battles` output (what a million battles need)."""
    counts = {key: n for key, n in counts.items() if n > 0}
    models = sorted({a for a, _, _ in counts} | {b for _, b, _ in counts})
    index = {m: i for i, m in enumerate(models)}
    if anchor is not None and anchor not in index:
        raise ValueError(f"anchor model {anchor!r} has no battles")
    anchor_i = index[anchor] if anchor is not None else None
    cells = [(index[a], index[b], _points(outcome)) for a, b, outcome in counts]
    observed = list(counts.values())
    table = _tally((i, j, pts, n) for (i, j, pts), n in zip(cells, observed, strict=True))
    ratings = _ratings(fit(len(models), table, prior), anchor_i) if models else []
    samples: list[list[float]] = [[] for _ in models]
    rng = random.Random(seed)
    for _ in range(bootstrap if counts else 0):
        drawn = resample_counts(rng, observed)
        table = _tally((i, j, pts, n) for (i, j, pts), n in zip(cells, drawn, strict=True))
        present = {i for cell in table for i in cell}
        if anchor_i is not None and anchor_i not in present:
            continue  # without the anchor the resample has no origin to measure from
        strengths = fit(len(models), table, prior, tol=1e-6)
        for i, r in enumerate(_ratings(strengths, anchor_i)):
            if i in present:  # a model the resample left out says nothing about its rating
                samples[i].append(r)
    tail = (1.0 - confidence) / 2
    standings = []
    for i, model in enumerate(models):
        draws = sorted(samples[i])
        low = _percentile(draws, tail) if draws else ratings[i]
        high = _percentile(draws, 1 - tail) if draws else ratings[i]
        standings.append(ModelStanding(model, ratings[i], low, high))
    by_model = {s.model: s for s in standings}
    points: dict[str, Counter[str]] = {m: Counter() for m in models}
    games: dict[str, Counter[str]] = {m: Counter() for m in models}
    for (model_a, model_b, outcome), n in counts.items():
        a, z = by_model[model_a], by_model[model_b]
        games[model_a][model_b] += n
        games[model_b][model_a] += n
        if outcome is Choice.A:
            a.wins, z.losses = a.wins + n, z.losses + n
            points[model_a][model_b] += 2 * n
        elif outcome is Choice.B:
            z.wins, a.losses = z.wins + n, a.losses + n
            points[model_b][model_a] += 2 * n
        else:
            a.ties, z.ties = a.ties + n, z.ties + n
            points[model_a][model_b] += n
            points[model_b][model_a] += n
    standings.sort(key=lambda s: (-s.rating, s.model))
    order = [s.model for s in standings]
    win_rate = {
        a: {b: points[a][b] / (2 * games[a][b]) for b in order if games[a][b]} for a in order
    }
    battle_counts = {a: {b: games[a][b] for b in order if games[a][b]} for a in order}
    return Leaderboard(standings, win_rate, battle_counts, bootstrap if counts else 0, seed)
