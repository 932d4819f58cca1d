"""Cost per label from the config's hourly rates, in ``agreement --json`` and the report."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from rankterm.core.model import Choice, Resolution

from .factory import judge
from .test_cli import cli, write_journal  # noqa: F401  (fixture)

HOUR = 3_600_000


def _pairs(tmp_path: Path) -> Path:
    rows = [
        {"id": "g", "prompt": "q", "response_a": "a", "response_b": "b", "gold": "A",
         "model_a": "m1", "model_b": "m2", "metadata": {"domain": "code"}},
        {"id": "d", "prompt": "q", "response_a": "a", "response_b": "b",
         "model_a": "m2", "model_b": "m1", "metadata": {"domain": "code"}},
        {"id": "f", "prompt": "q", "response_a": "a", "response_b": "b",
         "model_a": "m1", "model_b": "m3", "metadata": {"domain": "med"}},
    ]  # fmt: skip
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    return path


def _journal(tmp_path: Path) -> Path:
    records = [
        judge("g", "x", "A", duration_ms=HOUR // 2),  # gold right
        judge("g", "y", "B", duration_ms=HOUR // 2),  # gold wrong
        judge("d", "x", "A", duration_ms=HOUR),  # overruled by the adjudicator
        judge("d", "y", "B", duration_ms=HOUR),  # the label of record
        judge("f", "x", "tie", duration_ms=HOUR),
        judge("f", "y", "tie", duration_ms=0),  # no recorded time
        judge("f", "z", "tie", duration_ms=HOUR),  # no rate: unpriced
        Resolution(pair_id="d", adjudicator="lead", choice=Choice.B, strength=2),
    ]
    return write_journal(tmp_path / "j.jsonl", records)


@pytest.fixture
def rates() -> None:
    Path(os.environ["RANKTERM_CONFIG"]).write_text(
        'currency = "USD"\n[rates]\nx = 20.0\ny = 10.0\n', encoding="utf-8"
    )


def test_cost_per_label_in_agreement_json(cli, tmp_path, rates) -> None:  # noqa: F811
    journal, pairs = _journal(tmp_path), _pairs(tmp_path)
    ran = cli("agreement", journal, "--pairs", pairs, "--json", "--by", "metadata.domain")
    assert ran.exit_code == 0, ran.stderr
    cost = orjson.loads(ran.stdout)["cost"]
    assert cost["currency"] == "USD"
    # x: 2.5 h at 20 = 50; y: 1.5 h at 10 = 15. 6 priced labels; accepted: x on g, y on d,
    # x and y on f (not adjudicated, no gold) = 4.
    total = cost["total"]
    assert total["cost"] == 65.0 and total["labels"] == 6 and total["accepted_labels"] == 4
    assert total["cost_per_label"] == round(65 / 6, 4)
    assert total["cost_per_accepted_label"] == 16.25
    assert total["labels_without_time"] == 1 and total["active_hours"] == 4.0
    people = {a["annotator"]: a for a in cost["annotators"]}
    assert people["x"]["cost"] == 50.0 and people["x"]["accepted_labels"] == 2
    assert people["y"]["cost_per_accepted_label"] == 7.5
    assert cost["unpriced"] == [{"annotator": "z", "labels": 1}]
    domains = {s["value"]: s for s in cost["slices"]["metadata.domain"]}
    assert domains["code"]["cost"] == 45.0 and domains["med"]["cost"] == 20.0
    models = {m["models"]: m for m in cost["model_pairs"]}
    assert set(models) == {"m1 vs m2", "m1 vs m3"}  # g and d are one model pair
    assert models["m1 vs m2"]["labels"] == 4 and models["m1 vs m2"]["cost"] == 45.0


def test_cost_in_report_and_absent_without_rates(cli, tmp_path, rates) -> None:  # noqa: F811
    journal, pairs = _journal(tmp_path), _pairs(tmp_path)
    ran = cli("report", journal, "--pairs", pairs, "-o", "r.md", "--by", "judgment.annotator")
    assert ran.exit_code == 0, ran.stderr
    text = (tmp_path / "r.md").read_text()
    assert "## Cost per label (USD)" in text
    assert "16.2500 per accepted label" in text and "### Per model pair" in text
    assert "No rate configured (left out of the figures): z (1)." in text
    Path(os.environ["RANKTERM_CONFIG"]).write_text("", encoding="utf-8")
    plain = cli("agreement", journal, "--json")
    assert "cost" not in orjson.loads(plain.stdout)
    ran = cli("report", journal, "--pairs", pairs, "-o", "r2.md")
    assert "Cost per label" not in (tmp_path / "r2.md").read_text()


def test_bad_rate_names_the_config_file(cli, tmp_path) -> None:  # noqa: F811
    Path(os.environ["RANKTERM_CONFIG"]).write_text('[rates]\nx = "lots"\n', encoding="utf-8")
    ran = cli("agreement", _journal(tmp_path), "--json")
    assert ran.exit_code == 2 and "config.toml" in ran.stderr and "rates" in ran.stderr
