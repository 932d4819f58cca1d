"""The leaderboard's lean path: the same label rules on lean rows as on whole judgments.

There is one implementation of the rules (``ChoicePolicy.decide``); ``LabelPolicy`` only adds
provenance to its decisions. What can still differ, and is checked here, is the input (lean
rows from ``read_lean`` and ``scan_pairs`` against ``load_journals`` and the pairs index) and
the label building on top; then the ratings, fitted from counts, against battle by battle.
"""

from __future__ import annotations

import math
import random
import statistics
from pathlib import Path

import orjson
import pytest

from rankterm.core.model import Choice
from rankterm.labels import ChoicePolicy, GoldRule, Keep, LabelOptions, LabelPolicy, Policy
from rankterm.quality.leaderboard import (
    Battle,
    _percentile,
    _ratings,
    battle_from,
    binomial,
    compute,
    compute_counts,
    count_battles,
    fit,
    resample_counts,
)
from rankterm.storage.index import index_pairs
from rankterm.storage.journal import load_journals
from rankterm.storage.journal_columns import read_lean
from rankterm.storage.pair_columns import scan_pairs
from tests.core.test_journal_columns import messy_journals

MODELS = ["m1", "m2", "m3", "m4", "m5"]


def pairs_file(path: Path, n: int = 130, seed: int = 4) -> Path:
    rng = random.Random(seed)
    with path.open("wb") as out:
        for i in range(n):
            record: dict = {
                "id": f"p{i:04d}",
                "prompt": f"q{i}",
                "response_a": "a",
                "response_b": "b",
                "metadata": {"domain": rng.choice("xyz")},
            }
            a, b = rng.sample(MODELS, 2)
            style = rng.random()
            if style < 0.05:
                a = b  # same model on both sides
            elif style < 0.1:
                a = None  # no model names
            elif style < 0.13:
                a = 7  # the model coerces it to "7"
            if a is not None:
                record["model_a"] = a
            record["model_b"] = b
            if rng.random() < 0.1:
                record["gold"] = rng.choice(["A", "B", {"choice": "tie"}])
            if rng.random() < 0.03:
                record["priority"] = 2
            out.write(orjson.dumps(record) + b"\n")
        out.write(b'{"id": "broken"\n')
    return path


OPTIONS = [
    LabelOptions(
        policy=policy,
        ties=ties,
        both_bad=both_bad,
        flagged=flagged,
        min_agreement=agreement,
        gold=gold,
    )
    for policy in Policy
    for ties, both_bad in ((Keep.KEEP, Keep.KEEP), (Keep.DROP, Keep.DROP))
    for flagged in Keep
    for agreement in (None, 0.6)
    for gold in GoldRule
]


@pytest.mark.parametrize(
    "options", OPTIONS, ids=lambda o: f"{o.policy}-{o.ties}-{o.flagged}-{o.min_agreement}-{o.gold}"
)
def test_lean_rows_get_the_labels_of_whole_judgments(tmp_path: Path, options: LabelOptions) -> None:
    journals = messy_journals(tmp_path)
    index = index_pairs(pairs_file(tmp_path / "pairs.jsonl"))
    state = load_journals(journals)
    lean = read_lean(journals)
    labels = LabelPolicy(state, options)
    choices = ChoicePolicy(lean.judgments, lean.latest_resolutions(), options)
    raw = list(scan_pairs(index))
    assert [r.id for r in raw] == [p.id for p in index.iter_pairs()]
    for pair, record in zip(index.iter_pairs(), raw, strict=True):
        assert record.models() == (pair.model_a, pair.model_b)
        assert record.gold() == pair.gold
        assert record.labels("metadata.domain") == ["x"] or record.labels("metadata.domain")
        expected = [label.choice for label in labels.labels_for(pair)]
        assert choices.choices_for(record.id, record.gold()) == expected
    assert labels.unknown_pairs() == choices.unknown_pairs()
    assert choices.dropped == labels.dropped


def test_labels_keep_the_rules_decisions() -> None:
    """The labels are made from the rules' decisions, never decided a second time."""
    assert LabelPolicy.decide is ChoicePolicy.decide
    assert LabelPolicy.choices_for is ChoicePolicy.choices_for
    assert issubclass(LabelPolicy, ChoicePolicy)


def test_leaderboard_cli_matches_the_label_policy_path(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tests.formats.conftest import _make_app

    app = _make_app()
    journals = messy_journals(tmp_path)
    pairs = pairs_file(tmp_path / "pairs.jsonl")
    state = load_journals(journals)
    for policy in ("all", "majority", "adjudicated"):
        label_policy = LabelPolicy(
            state, LabelOptions(policy=Policy(policy), ties=Keep.KEEP, both_bad=Keep.KEEP)
        )
        battles = []
        with index_pairs(pairs) as index:
            for pair in index.iter_pairs():
                labels = label_policy.labels_for(pair)
                if not labels:
                    continue
                if not pair.model_a or not pair.model_b:
                    label_policy.dropped["no model names"] += len(labels)
                    continue
                for label in labels:
                    battle = battle_from(pair.model_a, pair.model_b, label.choice)
                    if battle is None:
                        reason = "both bad" if pair.model_a != pair.model_b else "same model"
                        label_policy.dropped[reason] += 1
                    else:
                        battles.append(battle)
        label_policy.unknown_pairs()
        board = compute(battles, bootstrap=30, seed=5)
        board.dropped = label_policy.dropped
        args = [
            "leaderboard",
            *map(str, journals),
            "--pairs",
            str(pairs),
            "--json",
            "--bootstrap",
            "30",
            "--seed",
            "5",
            "--policy",
            policy,
        ]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        out = orjson.loads(result.stdout)
        # No K-way rankings in these journals: the CLI says so (0 ranking battles), the rest
        # is the label-policy path's board exactly.
        assert out.pop("ranking_battles", 0) == 0
        assert out == orjson.loads(orjson.dumps(board.to_json()))


def _reference_ratings(battles: list[Battle]) -> list[float]:
    """The fit as it was computed battle by battle before counts were aggregated."""
    models = sorted({b.model_a for b in battles} | {b.model_b for b in battles})
    index = {m: i for i, m in enumerate(models)}
    table: dict[tuple[int, int], list[float]] = {}
    for b in battles:
        i, j = index[b.model_a], index[b.model_b]
        points_a = 1.0 if b.outcome is Choice.A else 0.0 if b.outcome is Choice.B else 0.5
        if i > j:
            i, j, points_a = j, i, 1.0 - points_a
        cell = table.setdefault((i, j), [0.0, 0.0])
        cell[0] += points_a
        cell[1] += 1
    return _ratings(fit(len(models), table), None)


def _battles(n: int, seed: int = 2) -> list[Battle]:
    rng = random.Random(seed)
    strength = {m: 1.5**k for k, m in enumerate(MODELS)}
    out = []
    for _ in range(n):
        a, b = rng.sample(MODELS, 2)
        p = strength[a] / (strength[a] + strength[b])
        roll = rng.random()
        out.append(
            Battle(
                a, b, Choice.TIE if roll < 0.1 else Choice.A if roll < 0.1 + 0.9 * p else Choice.B
            )
        )
    return out


def test_point_ratings_are_bit_identical_to_battle_by_battle() -> None:
    battles = _battles(5000)
    board = compute(battles, bootstrap=0)
    ratings = dict(zip(sorted(MODELS), _reference_ratings(battles), strict=True))
    assert {s.model: s.rating for s in board.standings} == ratings
    assert compute_counts(count_battles(battles), bootstrap=0).to_json() == board.to_json()


def test_binomial_sampler_has_the_right_mean_and_variance() -> None:
    rng = random.Random(1)
    for n, p in ((1, 0.3), (20, 0.2), (50, 0.9), (1000, 0.4), (100_000, 0.03)):
        draws = [binomial(rng, n, p) for _ in range(4000)]
        assert all(0 <= d <= n for d in draws)
        sd = math.sqrt(n * p * (1 - p))
        assert statistics.fmean(draws) == pytest.approx(n * p, abs=4 * sd / math.sqrt(4000) + 1e-9)
        assert statistics.pstdev(draws) == pytest.approx(sd, rel=0.1)
    assert binomial(rng, 10, 0.0) == 0 and binomial(rng, 10, 1.0) == 10


def test_resampled_counts_keep_the_total_and_the_shares() -> None:
    rng = random.Random(9)
    counts = [500, 0, 120, 3000, 7, 1]
    totals = [0.0] * len(counts)
    for _ in range(2000):
        drawn = resample_counts(rng, counts)
        assert sum(drawn) == sum(counts) and drawn[1] == 0
        totals = [t + d for t, d in zip(totals, drawn, strict=True)]
    for total, count in zip(totals, counts, strict=True):
        assert total / 2000 == pytest.approx(count, rel=0.05, abs=0.5)


def test_bootstrap_intervals_agree_with_resampling_battles() -> None:
    """The aggregated bootstrap and the battle-by-battle one estimate the same intervals."""
    battles = _battles(3000, seed=8)
    board = compute(battles, bootstrap=300, seed=1)
    models = sorted(MODELS)
    index = {m: i for i, m in enumerate(models)}
    rng = random.Random(2)
    samples: list[list[float]] = [[] for _ in models]
    for _ in range(300):
        ratings = _reference_ratings(rng.choices(battles, k=len(battles)))
        for i, r in enumerate(ratings):
            samples[i].append(r)
    for s in board.standings:
        draws = sorted(samples[index[s.model]])
        low, high = _percentile(draws, 0.025), _percentile(draws, 0.975)
        width = high - low
        assert s.ci_low == pytest.approx(low, abs=0.2 * width)
        assert s.ci_high == pytest.approx(high, abs=0.2 * width)
