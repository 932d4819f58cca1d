"""Model suggestions appear only after the annotator's verdict is journaled, never before."""

from __future__ import annotations

import orjson
import pytest

from rankterm.config import Settings
from rankterm.core.model import shown_swapped
from rankterm.core.suggestions import SuggestionBook
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app
from rankterm.tui.widgets.pair_info import PairInfo

ANNOTATOR = "snapshot"
SIZES = [(80, 24), (160, 50)]
# Words that exist only in the suggestions: if any is on screen, a suggestion leaked.
FIRST, SECOND, JUDGE = "Zebrafirst", "Quokkasecond", "oraclejudge"


def _ids() -> tuple[str, str]:
    """Two pair ids, the first shown unswapped (so its A is on the LEFT)."""
    first = next(f"s{n}" for n in range(100) if not shown_swapped(ANNOTATOR, f"s{n}"))
    return first, "t1"


def _files(tmp_path):
    first, second = _ids()
    pairs = [
        {"id": first, "prompt": "Capital of France?", "response_a": "Paris.",
         "response_b": "Lyon.", "metadata": {"reward": {"a": 2.5, "b": -1}}},
        {"id": second, "prompt": "2 + 2?", "response_a": "4", "response_b": "5",
         "metadata": {"reward": {"a": 3, "b": 0}}},
    ]  # fmt: skip
    (tmp_path / "pairs.jsonl").write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in pairs))
    verdicts = [
        {"source": "model", "judge": JUDGE, "pair_id": pid, "order": order, "choice": "A",
         "strength": 3, "rationale": f"{word} because it is right \x1b[31mred"}
        for pid, word in ((first, FIRST), (second, SECOND)) for order in ("ab", "ba")
    ]  # fmt: skip
    return tmp_path / "pairs.jsonl", verdicts, first


def _screen_text(app) -> str:
    """Everything painted (the SVG escapes spaces), and every notification posted."""
    notices = "\n".join(str(n.message) for n in app._notifications)
    return app.export_screenshot().replace("&#160;", " ") + "\n" + notices


async def test_nothing_of_the_suggestion_before_the_verdict(tmp_path):
    path, verdicts, first = _files(tmp_path)
    source, guide, issues = open_local(path, annotator=ANNOTATOR)
    journal = source.journal.path
    try:
        app = make_app(source, Settings(annotator=ANNOTATOR), guide, load_issues=issues,
                       suggestions=SuggestionBook(verdicts, reward=True))  # fmt: skip
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            await pilot.pause()
            before = _screen_text(app)
            assert "Paris." in before  # the pair is up
            for word in (FIRST, SECOND, JUDGE, "reward", "2.5", "suggestion", "💡"):
                assert word not in before, word
            await pilot.press("1")  # LEFT much better
            await pilot.pause()
            await pilot.pause()
            # The verdict is in the journal, and only now the suggestion shows.
            lines = [orjson.loads(x) for x in journal.read_bytes().splitlines() if x.strip()]
            assert [r["pair_id"] for r in lines if r.get("kind") == "judgment"] == [first]
            after = _screen_text(app)
            assert FIRST in after and JUDGE in after
            assert f"judge {JUDGE}: left much better — (its A is the left) {FIRST}" in after
            assert "reward model: left better (left 2.5, right -1)" in after
            assert "\x1b" not in after and "[31m" not in after.replace("␛[31m", "")
            # The next pair's suggestion is still hidden: it is not judged yet.
            assert SECOND not in after
            info = str(app.screen.query_one(PairInfo).render())
            assert "💡" not in info
            # Back on the judged pair, its suggestion is in the info line.
            await pilot.press("left_square_bracket")
            await pilot.pause()
            info = str(app.screen.query_one(PairInfo).render())
            assert "judged" in info and f"judge {JUDGE}: left much better" in info
    finally:
        source.close()


async def test_no_suggestions_no_notice(tmp_path):
    path, _verdicts, _first = _files(tmp_path)
    source, guide, issues = open_local(path, annotator=ANNOTATOR)
    try:
        app = make_app(source, Settings(annotator=ANNOTATOR), guide, load_issues=issues)
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause()
            await pilot.press("1")
            await pilot.pause()
            await pilot.press("left_square_bracket")
            await pilot.pause()
            text = _screen_text(app)
            assert "suggestion" not in text.lower() and "reward model" not in text
    finally:
        source.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_suggestion_after_verdict_snapshot(snap_compare, tmp_path, size):
    path, verdicts, _first = _files(tmp_path)
    source, guide, issues = open_local(path, annotator=ANNOTATOR)
    try:
        app = make_app(source, Settings(annotator=ANNOTATOR), guide, load_issues=issues,
                       suggestions=SuggestionBook(verdicts, reward=True))  # fmt: skip
        assert snap_compare(app, terminal_size=size, press=["1"])
    finally:
        source.close()


def test_cli_refuses_a_missing_or_empty_suggestions_file(tmp_path):
    import subprocess
    import sys

    path, _verdicts, _first = _files(tmp_path)
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"source": "human", "pair_id": "s0", "choice": "A"}\n')
    for bad, message in ((tmp_path / "nope.jsonl", "no such file"),
                         (empty, "no readable model verdicts")):  # fmt: skip
        ran = subprocess.run(
            [sys.executable, "-m", "rankterm", "annotate", str(path), "--suggestions", str(bad)],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert ran.returncode == 2, ran.stderr
        assert message in ran.stderr and bad.name in ran.stderr and "Traceback" not in ran.stderr
