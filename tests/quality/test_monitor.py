"""Production monitoring: the stratified sample, the win rate and its interval, tag rates,
the drift alarm and the text chart (rankterm.quality.sampling / rankterm.quality.monitor)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from rankterm.quality import monitor as mon
from rankterm.quality import sampling as smp

T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)  # a Monday


def entry(prompt: str, version: str, days: float, slice_: str = "med", line: int = 1):
    return smp.LogEntry(
        file="logs.jsonl",
        line=line,
        prompt=prompt,
        response=f"{version} says {prompt}",
        time=T0 + timedelta(days=days),
        model_version=version,
        metadata={"slice": slice_},
    )


def write_log(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# -- reading logs ---------------------------------------------------------------------------


def test_log_lines_are_read_and_bad_ones_named_by_file_line_and_field(tmp_path):
    good = {"prompt": "p", "response": "r", "time": "2026-10-05T10:00:00Z", "model_version": "v2"}
    path = write_log(
        tmp_path / "logs.jsonl",
        [
            good,
            {**good, "time": "yesterday"},
            {**good, "model_version": ""},
            {**good, "metadata": [1]},
            {**good, "time": 1_790_000_000},
        ],
    )
    entries, issues = smp.read_logs([path])
    assert [e.line for e in entries] == [1, 5]
    assert entries[0].time == datetime(2026, 10, 5, 10, tzinfo=UTC)
    assert entries[1].time.tzinfo is UTC
    reasons = {i.line: i.reason for i in issues}
    assert set(reasons) == {2, 3, 4}
    assert "'time'" in reasons[2] and "ISO 8601" in reasons[2]
    assert "'model_version'" in reasons[3]
    assert "'metadata'" in reasons[4]
    assert all(f"logs.jsonl:{i.line}: " in str(i) for i in issues)


def test_windows_sort_in_time_order():
    moments = [T0 + timedelta(days=d) for d in (0, 6, 7, 90, 400)]
    for window in smp.WINDOWS:
        labels = [smp.window_of(m, window) for m in moments]
        assert labels == sorted(labels), window
    assert smp.window_of(T0, "week") == smp.window_of(T0 + timedelta(days=6), "week")
    assert smp.window_of(T0, "week") != smp.window_of(T0 + timedelta(days=7), "week")
    with pytest.raises(ValueError, match="window 'fortnight'"):
        smp.window_of(T0, "fortnight")


# -- the draw -------------------------------------------------------------------------------


def _logs() -> list[smp.LogEntry]:
    rows = []
    for week in range(2):
        for i in range(10):
            rows.append(entry(f"med {i}", "v2", 7 * week + 0.1 * i, "med", line=len(rows) + 1))
        for i in range(3):
            rows.append(entry(f"law {i}", "v2", 7 * week + 0.1 * i, "law", line=len(rows) + 1))
    for i in range(10):
        rows.append(entry(f"med {i}", "v1", -1, "med", line=len(rows) + 1))
    rows.append(entry("law 0", "v1", -1, "law", line=len(rows) + 1))  # law 1 and 2: none
    return rows


def test_the_draw_is_stratified_by_slice_and_window_and_names_prompts_without_reference():
    logs = _logs()
    assert smp.latest_version(logs) == "v2"
    assert smp.previous_version(logs, "v2") == "v1"
    sample = smp.draw(logs, production="v2", reference="v1", per_stratum=4, window="week")
    cells = {(s.slice, s.window): s for s in sample.strata}
    assert len(cells) == 4  # 2 slices x 2 weeks
    for (slice_, _), cell in cells.items():
        if slice_ == "med":
            assert (cell.available, cell.with_reference, cell.drawn) == (10, 10, 4)
        else:  # only "law 0" has a v1 answer
            assert (cell.available, cell.with_reference, cell.drawn) == (3, 1, 1)
    assert len(sample.pairs) == 10
    assert sorted(e.prompt for e in sample.missing) == ["law 1", "law 2"]
    for pair in sample.pairs:
        meta = pair.metadata["monitor"]
        production_text = pair.response_a if meta["production"] == "a" else pair.response_b
        reference_text = pair.response_b if meta["production"] == "a" else pair.response_a
        assert production_text == f"v2 says {pair.prompt}"
        assert reference_text == f"v1 says {pair.prompt}"
        assert meta["reference_from"] == "logs" and meta["slice"] in ("med", "law")
        assert {pair.model_a, pair.model_b} == {"v1", "v2"}
    assert {p.metadata["monitor"]["production"] for p in sample.pairs} == {"a", "b"}  # blind


def test_the_draw_is_reproducible_and_ids_are_stable():
    logs = _logs()
    one = smp.draw(logs, production="v2", reference="v1", per_stratum=3, seed=5)
    two = smp.draw(list(reversed(logs)), production="v2", reference="v1", per_stratum=3, seed=5)
    assert [p.model_dump() for p in one.pairs] == [p.model_dump() for p in two.pairs]
    other = smp.draw(logs, production="v2", reference="v1", per_stratum=3, seed=6)
    assert [p.id for p in other.pairs] != [p.id for p in one.pairs]
    doubled = smp.draw(logs + logs, production="v2", reference="v1", per_stratum=50)
    assert len({p.id for p in doubled.pairs}) == len(doubled.pairs) == 22  # a line logged twice


def test_generated_answers_stand_in_for_a_missing_reference():
    from rankterm.core.model import Pair

    made = [
        Pair(id="g1", prompt="law 1", response_a="v1 says law 1", response_b="x", model_a="v1"),
        Pair(id="g2", prompt="law 2", response_a="y", response_b="v1 says law 2", model_b="v1"),
    ]
    extra = smp.references_from_pairs(made, "v1")
    sample = smp.draw(
        _logs(), production="v2", reference="v1", per_stratum=5, extra_references=extra
    )
    assert not sample.missing
    generated = [p for p in sample.pairs if p.metadata["monitor"]["reference_from"] == "generated"]
    assert sorted({p.prompt for p in generated}) == ["law 1", "law 2"]


# -- the report -----------------------------------------------------------------------------


def test_wilson_interval_matches_reference_values():
    # Wilson 95 % for 8/10: 0.4902 to 0.9433 (e.g. R's prop.test without continuity correction)
    low, high = mon.wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    low, high = mon.wilson(0, 20)
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-4)
    assert mon.wilson(0, 0) == (0.0, 1.0)


def _meta(n_windows: int, per_window: int, slice_: str = "med") -> dict[str, dict]:
    meta = {}
    for w in range(n_windows):
        for i in range(per_window):
            meta[f"{slice_}-{w}-{i}"] = {
                "monitor": {
                    "production": "a" if i % 2 else "b",
                    "production_model": "v2",
                    "reference_model": "v1",
                    "window": f"2026-W{40 + w}",
                    "slice": slice_,
                }
            }
    return meta


def verdict(pair_id: str, meta: dict, outcome: str, tags=()):
    side = meta[pair_id]["monitor"]["production"].upper()
    other = "B" if side == "A" else "A"
    choice = {"win": side, "loss": other, "tie": "tie", "both_bad": "both_bad"}[outcome]
    return SimpleNamespace(pair_id=pair_id, choice=choice, tags=tuple(tags))


def _judge(meta: dict, rate_by_window: dict[int, float], tag_by_window=None) -> list:
    out = []
    for pair_id in meta:
        _, w, i = pair_id.rsplit("-", 2)
        w, i = int(w), int(i)
        n = sum(1 for p in meta if p.rsplit("-", 2)[1] == str(w))
        wins = round(rate_by_window[w] * n)
        tags = ["hallucination"] if tag_by_window and i < tag_by_window.get(w, 0) * n else []
        out.append(verdict(pair_id, meta, "win" if i < wins else "loss", tags))
    return out


def test_win_rate_ties_both_bad_and_sided_tags():
    meta = _meta(1, 4)
    ids = list(meta)
    side = {pid: meta[pid]["monitor"]["production"] for pid in ids}
    other = {pid: "b" if side[pid] == "a" else "a" for pid in ids}
    judgments = [
        verdict(ids[0], meta, "win"),
        verdict(ids[0], meta, "tie"),  # second annotator: this pair scores 0.75
        verdict(ids[1], meta, "tie", tags=[f"bias:{other[ids[1]]}"]),  # the reference's bias
        verdict(ids[2], meta, "loss", tags=[f"hallucination:{side[ids[2]]}"]),
        verdict(ids[3], meta, "both_bad", tags=["unsafe_advice"]),
        SimpleNamespace(pair_id="not-monitored", choice="A", tags=()),
    ]
    report = mon.monitor_report(meta, judgments)
    (cell,) = report.windows
    assert (cell.pairs, cell.wins, cell.ties, cell.losses, cell.both_bad) == (3, 1, 1, 1, 1)
    assert cell.win_rate == pytest.approx((0.75 + 0.5 + 0) / 3)
    assert cell.tag_rate("hallucination") == pytest.approx(1 / 4)
    assert cell.tag_rate("bias") == 0  # on the reference's side: not production's error
    assert cell.tag_rate("unsafe_advice") == pytest.approx(1 / 4)
    assert report.unmonitored == 1
    assert not report.drift and report.too_few  # one window: nothing to compare


def test_drift_alarm_when_the_newest_window_moves_beyond_the_threshold():
    meta = _meta(3, 20)
    steady = mon.monitor_report(meta, _judge(meta, {0: 0.6, 1: 0.6, 2: 0.55}))
    assert not steady.drift  # 60 % -> 55 %: within 10 points
    dropped = mon.monitor_report(meta, _judge(meta, {0: 0.6, 1: 0.6, 2: 0.4}))
    assert dropped.drift
    (alarm, *_) = dropped.alarms
    assert alarm.what == "win rate" and alarm.slice == mon.ALL
    assert alarm.baseline == pytest.approx(0.6) and alarm.latest == pytest.approx(0.4)
    assert not mon.monitor_report(
        meta, _judge(meta, {0: 0.6, 1: 0.6, 2: 0.4}), win_threshold=0.25
    ).drift
    tagged = mon.monitor_report(
        meta, _judge(meta, {0: 0.6, 1: 0.6, 2: 0.6}, {0: 0.0, 1: 0.05, 2: 0.2})
    )
    assert [a.what for a in tagged.alarms if a.slice == mon.ALL] == ["hallucination"]


def test_too_few_pairs_is_reported_never_an_alarm():
    meta = _meta(2, 4)
    report = mon.monitor_report(meta, _judge(meta, {0: 1.0, 1: 0.0}), min_pairs=10)
    assert not report.drift
    assert any("needs 10 each" in note for note in report.too_few)


def test_a_drifting_slice_is_named():
    meta = {**_meta(3, 12, "med"), **_meta(3, 12, "law")}
    judged = _judge(_meta(3, 12, "med"), {0: 0.6, 1: 0.6, 2: 0.2}) + _judge(
        _meta(3, 12, "law"), {0: 0.6, 1: 0.6, 2: 0.6}
    )
    report = mon.monitor_report(meta, judged)
    slices = {a.slice for a in report.alarms if a.what == "win rate"}
    assert "med" in slices and "law" not in slices


# -- the chart ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 60, 160])
def test_the_chart_fits_the_width_and_shows_each_window(width):
    meta = _meta(4, 20)
    report = mon.monitor_report(meta, _judge(meta, {0: 0.25, 1: 0.5, 2: 0.75, 3: 1.0}))
    lines = mon.chart_lines(report, width)
    assert all(len(line) <= width for line in lines)
    rows = [line for line in lines if line.startswith("2026-W")]
    assert len(rows) == 4
    filled = [row.count("█") for row in rows]
    assert filled == sorted(filled) and filled[0] < filled[-1]  # longer bar, higher rate
    assert "100%" in rows[-1] and "25%" in rows[0]
    assert any(line.startswith("hallucination") for line in lines)


def test_bar_and_spark_primitives():
    assert mon.bar(0, 8) == "·" * 8
    assert mon.bar(1, 8) == "█" * 8
    assert mon.bar(0.5, 8) == "████····"
    assert mon.bar(1 / 16, 8) == "▌·······"
    assert mon.spark([0, 0.5, 1.0, None]) == "▁▅█ "


def test_text_report_names_the_models_and_states_the_rule():
    meta = _meta(2, 12)
    text = mon.text_report(mon.monitor_report(meta, _judge(meta, {0: 0.6, 1: 0.2})))
    assert "DRIFT ALARM" in text and "threshold ±10%" in text
    assert "production v2 against reference v1" in text


def test_tags_put_on_one_response_count_only_on_productions_side():
    """A tag put on one pane (Judgment.tag_sides, shift+tag key) says which response it is
    about: the reference's hallucination is not production's error."""
    meta = _meta(1, 3)
    ids = list(meta)
    prod = {pid: meta[pid]["monitor"]["production"].upper() for pid in ids}
    other = {pid: "B" if prod[pid] == "A" else "A" for pid in ids}

    def sided(pair_id: str, side: str):
        found = verdict(pair_id, meta, "loss", tags=["hallucination"])
        found.tag_sides = {"hallucination": side}
        return found

    report = mon.monitor_report(
        meta, [sided(ids[0], other[ids[0]]), sided(ids[1], prod[ids[1]]), sided(ids[2], "both")]
    )
    (cell,) = report.windows
    assert cell.tag_rate("hallucination") == pytest.approx(2 / 3)
