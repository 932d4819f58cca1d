"""Issue 13: the editors apply the task server's size limits before a verdict is recorded.

Before, a rationale (or ideal answer, note, comment) longer than the server accepts was
journaled locally and refused by the server afterwards: a label silently lost. The limits are
defined once (``rankterm.core.wire``); the server's record models must agree with them.
"""

from __future__ import annotations

import orjson
import pytest

from rankterm.config import Settings
from rankterm.core import wire
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from rankterm.tui.dialogs.text_editor import TextEditorDialog
from tests.helpers import pair_record, write_pairs


def judgments(path):
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return [r for r in rows if r.get("kind", "judgment") == "judgment" and "choice" in r]


async def paste_and_save(app, pilot, text: str) -> None:
    from textual.widgets import TextArea

    area = app.screen.query_one(TextArea)
    area.insert(text)
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.pause()


async def test_a_rationale_over_the_servers_limit_is_refused_in_the_editor(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    source, guide, issues = open_local(pairs, annotator="tester")
    app = make_app(source, Settings(annotator="tester"), guide, load_issues=issues)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, TextEditorDialog)
        await paste_and_save(app, pilot, "x" * (wire.MAX_TEXT + 1))
        # Refused, saying why and by how much; the dialog stays open with the text in it.
        assert isinstance(app.screen, TextEditorDialog)
        shown = str(app.screen.query_one("#refused").render())
        assert "at most 50,000" in shown and "by 1 character" in shown, shown
        # One character less is taken.
        await pilot.press("backspace", "ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, TextEditorDialog)
        assert len(app.screen.draft.rationale) == wire.MAX_TEXT
        await pilot.press("4")
        await pilot.pause()
        await pilot.press("q")
    source.close()
    [record] = judgments(tmp_path / "pairs.judgments.jsonl")
    assert len(record["rationale"]) == wire.MAX_TEXT


async def test_an_over_long_ideal_answer_never_reaches_the_draft(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    source, guide, issues = open_local(pairs, annotator="tester")
    app = make_app(source, Settings(annotator="tester"), guide, load_issues=issues)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, TextEditorDialog)
        await paste_and_save(app, pilot, "y" * wire.MAX_IDEAL)
        assert isinstance(app.screen, TextEditorDialog)
        assert "ideal answer" in str(app.screen.query_one("#refused").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.draft.ideal_response is None
    source.close()


def test_the_servers_record_rules_use_the_same_limits():
    """One definition: what the editor lets through, the server accepts, and no more."""
    pytest.importorskip("sqlalchemy")
    from rankterm.server.records import JudgmentIn, ResolutionIn

    base = {"pair_id": "p1", "annotator": "a", "choice": "A", "strength": 1}
    for field, limit in (("rationale", wire.MAX_TEXT), ("ideal_response", wire.MAX_IDEAL)):
        JudgmentIn.model_validate({**base, field: "z" * limit})
        assert wire.verdict_problem(**{field: "z" * limit}) is None
        with pytest.raises(ValueError, match=field):
            JudgmentIn.model_validate({**base, field: "z" * (limit + 1)})
        assert wire.verdict_problem(**{field: "z" * (limit + 1)}) is not None
    tags = [f"t{i}" for i in range(wire.MAX_TAGS + 1)]
    with pytest.raises(ValueError, match="tags"):
        JudgmentIn.model_validate({**base, "tags": tags})
    assert wire.verdict_problem(tags=tags) is not None
    assert wire.verdict_problem(tags=tags[:-1]) is None
    note = {"pair_id": "p1", "adjudicator": "x", "choice": "A", "note": "n" * (wire.MAX_TEXT + 1)}
    with pytest.raises(ValueError, match="note"):
        ResolutionIn.model_validate(note)
    assert wire.verdict_problem(note=note["note"]) is not None
