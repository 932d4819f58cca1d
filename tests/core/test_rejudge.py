"""``rankterm guidelines diff`` and ``requeue``: a section diff between two guideline versions,
and the judged pairs to judge again under the new one, written as a pairs file."""

from __future__ import annotations

import orjson
import typer
from typer.testing import CliRunner

from rankterm.commands import guidelines_cmd
from rankterm.core.model import Choice, Judgment, Resolution
from rankterm.guidelines import content_version, load_guidelines, section_diff
from rankterm.storage.journal import Journal

OLD = """# Guide
## General
Prefer the more helpful answer.
## Code
tags: python
Code must run.
## Safety
tags: medical
Refuse dosing advice.
## Tone
Be kind.
"""
NEW = """# Guide
## General
Prefer the more   helpful
answer.
## Code
tags: python
Code must run, and a wrong complexity claim is a factual error.
## Safety
tags: medical
Refuse dosing advice.
"""


def run(*args: object):
    app = typer.Typer(add_completion=False)

    @app.callback()
    def _root() -> None:
        """rankterm (guidelines only)."""

    guidelines_cmd.register(app)
    return CliRunner().invoke(app, [str(a) for a in args])


def _files(tmp_path):
    (tmp_path / "old.md").write_text(OLD)
    (tmp_path / "new.md").write_text(NEW)
    old_version = content_version(OLD.encode())
    pairs = [
        {"id": "py1", "prompt": "q", "response_a": "a", "response_b": "b", "tags": ["python"]},
        {"id": "py2", "prompt": "q", "response_a": "a", "response_b": "b", "tags": ["python"]},
        {"id": "med", "prompt": "q", "response_a": "a", "response_b": "b", "tags": ["medical"]},
        {"id": "gen", "prompt": "q", "response_a": "a", "response_b": "b"},
    ]
    (tmp_path / "pairs.jsonl").write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in pairs))
    earlier = [
        Judgment(pair_id=p, annotator="x", choice=Choice.A, strength=2,
                 guideline_version=old_version)
        for p in ("py1", "med", "gen")
    ]  # fmt: skip
    with Journal.open(tmp_path / "x.jsonl") as journal:
        journal.append_many(
            [
                *earlier,
                Resolution(
                    pair_id="med",
                    adjudicator="lead",
                    guideline_unclear=True,
                    note="dose vs frequency?",
                ),
            ]
        )
    return earlier


def test_section_diff_ignores_rewrapping(tmp_path) -> None:
    _files(tmp_path)
    diff = section_diff(load_guidelines(tmp_path / "old.md"), load_guidelines(tmp_path / "new.md"))
    assert diff.changed == ("Code",) and diff.removed == ("Tone",) and diff.added == ()
    assert diff.unchanged == ("General", "Safety")
    ran = run("guidelines", "diff", tmp_path / "old.md", tmp_path / "new.md")
    assert ran.exit_code == 0, ran.output
    assert ran.output.splitlines()[1:] == ["- Tone", "~ Code"]


def test_requeue_changed_unclear_none(tmp_path) -> None:
    earlier = _files(tmp_path)
    base = ("guidelines", "requeue", tmp_path / "old.md", tmp_path / "new.md", tmp_path / "x.jsonl",
            "--pairs", tmp_path / "pairs.jsonl")  # fmt: skip
    ran = run(*base, "-o", tmp_path / "changed.jsonl")
    assert ran.exit_code == 0, ran.output
    rows = [orjson.loads(x) for x in (tmp_path / "changed.jsonl").read_bytes().splitlines()]
    # py1: judged, its Code section changed; py2: not judged; med: guideline unclear; gen:
    # judged, but only General (re-wrapped, not changed) is shown beside it.
    assert [r["id"] for r in rows] == ["py1", "med"]
    py1 = rows[0]["metadata"]["rejudge"]
    assert py1["reasons"] == ["section changed: Code"]
    assert py1["earlier_judgments"] == [str(earlier[0].id)]
    assert py1["guideline_version"] == load_guidelines(tmp_path / "new.md").version
    assert rows[1]["metadata"]["rejudge"]["reasons"] == ["guideline unclear"]
    assert rows[0]["response_a"] == "a" and rows[0]["tags"] == ["python"]
    assert "wrote 2 pairs to re-judge" in ran.output
    ran = run(*base, "--requeue", "unclear", "-o", tmp_path / "unclear.jsonl")
    assert [
        orjson.loads(x)["id"] for x in (tmp_path / "unclear.jsonl").read_bytes().splitlines()
    ] == ["med"]
    ran = run(*base, "--requeue", "none", "-o", tmp_path / "none.jsonl")
    assert ran.exit_code == 0 and (tmp_path / "none.jsonl").read_bytes() == b""
    again = run(*base, "-o", tmp_path / "changed.jsonl")  # never replaces without --force
    assert again.exit_code != 0 and "--force" in str(again.exception or again.output)
