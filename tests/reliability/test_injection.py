"""Terminal injection: hostile text from every source the app shows, checked on the raw bytes the
real CLI writes to a pseudo-terminal.

Sources: responses, prompts, multi-turn messages and roles, metadata, pair ids, rationales
(pasted into the editor, or read back from a journal), the ideal-answer editor, annotator
names (--annotator), tag names and labels from the config, the guidelines file; and the CLI's
own stderr lines about hostile file names and lines. Each source carries its own label (see
hostile.py), so a failure names the surface that leaked.

Also here: Textual *markup* in untrusted text. It cannot write escape bytes, but an unbalanced
closing tag (``[/x]``) parsed as markup raises MarkupError, which used to take the TUI down.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from rankterm.core.model import Choice, Judgment
from rankterm.storage.journal import encode, read_journal, replay
from tests.helpers import pair_record, write_pairs
from tests.reliability.hostile import (
    after_tui,
    foreign_osc,
    hostile,
    leaks,
    pieces,
    screen_words,
    squash,
)
from tests.tui.ptyrun import PtyApp

SIZE = (160, 50)
ANNOTATOR_LABEL = "ANNOT"
LABELS = [
    "PROMPT", "RESPA", "RESPB", "TURN", "ROLE", "META", "PID", "PTAG", "GLTITLE", "GLSEC",
    "GLBODY", "TAGNAME", "TAGLABEL", ANNOTATOR_LABEL, "RATIONALE", "JRAT",
]  # fmt: skip
PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid TOML basic string


@dataclass
class World:
    """Files full of hostile text, and how to run the CLI on them."""

    root: Path
    pairs: Path
    journal: Path
    config: Path
    guidelines: Path

    def args(self, annotator: str = "tester") -> list[str]:
        return [
            "annotate", str(self.pairs), "--out", str(self.journal),
            "--guidelines", str(self.guidelines), "--annotator", annotator,
        ]  # fmt: skip

    def start(self, annotator: str = "tester", first: bytes = b"pair-000") -> PtyApp:
        app = PtyApp(self.args(annotator), size=SIZE, env={"RANKTERM_CONFIG": str(self.config)})
        app.wait_for(first)
        return app


def make_world(
    root: Path,
    *,
    guideline_title: str | None = None,
    pair0_id: str = "pair-000",
    hostile_meta: bool = True,
) -> World:
    records = [
        pair_record(
            0,
            id=pair0_id,
            prompt="Prompt: " + hostile("PROMPT"),
            response_a="Response A: " + hostile("RESPA"),
            response_b="Response B: " + hostile("RESPB"),
            metadata={
                "domain": "dom " + (hostile("META") if hostile_meta else ""),
                "language": "en",
            },
            tags=["evil", hostile("PTAG")],
        ),
        pair_record(1, id="pair-001 " + hostile("PID")),
        pair_record(2),
    ]
    records[1].pop("prompt")
    records[1]["messages"] = [
        {"role": "user", "content": "Turn one " + hostile("TURN")},
        {"role": "assistant " + hostile("ROLE"), "content": "Turn two " + hostile("TURN")},
        {"role": "user", "content": "Turn three " + hostile("TURN")},
    ]
    pairs = write_pairs(root / "pairs.jsonl", records)
    title = guideline_title if guideline_title is not None else "Guide " + hostile("GLTITLE")
    guidelines = root / "guidelines.md"
    guidelines.write_text(
        f"# {title}\n\nRead this first.\n\n"
        f"## Evil {hostile('GLSEC')}\ntags: evil\n\nBody: {hostile('GLBODY')}\n"
    )
    config = root / "config.toml"
    config.write_text(
        "[[tags]]\n"
        f"name = {toml_string('tag ' + hostile('TAGNAME'))}\n"
        'key = "e"\n'
        f"label = {toml_string('Label ' + hostile('TAGLABEL'))}\n"
    )
    return World(root, pairs, root / "judgments.jsonl", config, guidelines)


@pytest.fixture
def world(tmp_path) -> World:
    return make_world(tmp_path)


def marker(label: str) -> bytes:
    """A word of each hostile piece that is on screen whether it was neutralised or not."""
    return f"CLEAR-{label}".encode()


def step(app: PtyApp, keys: bytes, *, expect: bytes | None = None, settle: float = 0.0) -> None:
    start = len(app.snapshot())
    app.send(keys)
    if expect is not None:
        app.wait_for(expect, start=start)
    if settle:
        time.sleep(settle)


def finish(app: PtyApp) -> tuple[bytes, bytes]:
    """Quit; returns (what the TUI wrote, what the CLI wrote after it)."""
    app.send(b"q")
    try:
        app.wait_exit()
    finally:
        app.close()
    output = app.snapshot()
    tail = after_tui(output)
    return output[: len(output) - len(tail)], tail


def assert_inert(tui: bytes) -> None:
    leaked = leaks(tui, LABELS)
    assert not leaked, f"raw terminal controls reached the terminal: {leaked}"
    assert not foreign_osc(tui), f"unexpected OSC sequences: {foreign_osc(tui)[:5]}"
    words = screen_words(tui)
    assert "Traceback" not in words and "MarkupError" not in words, words[-1500:]


# -- the main screen -----------------------------------------------------------------------------


def test_main_screen_diff_tags_verdicts_and_undo_are_inert(world):
    app = world.start(annotator="ann " + hostile(ANNOTATOR_LABEL, nul=False))
    try:
        for label in ("PROMPT", "RESPA", "RESPB", "GLSEC", "GLBODY"):
            app.wait_for(marker(label))
        # (The info line is too full of hostile metadata to show "[diff]" or the flag: wait.)
        step(app, b"d", settle=0.8)  # the diff view of the hostile responses
        step(app, b"d", settle=0.5)
        step(app, b"e", settle=0.5)  # toggle the hostile tag: its name goes to the info line
        step(app, b"!", settle=0.5)
        step(app, b"1", expect=b"pair-001")  # to the multi-turn pair with a hostile id
        app.wait_for(marker("TURN"))
        # The prompt opens at the turn being answered; the hostile role is on an earlier
        # turn: open the prompt (c) and scroll up to it.
        step(app, b"c", settle=0.5)
        step(app, b"k" * 12, settle=0.5)
        app.wait_for(marker("ROLE"))
        step(app, b"d", settle=0.8)
        step(app, b"4", expect=b"pair-002")
        step(app, b"z", expect=b"Undid", settle=0.5)  # the toast names the hostile pair id
        tui, _ = finish(app)
    finally:
        app.close()
    assert_inert(tui)
    assert "<U+202E>" in screen_words(tui)  # shown, as a visible stand-in
    state = replay(read_journal(world.journal))
    assert [j.pair_id for j in state.active()] == ["pair-000"]


def test_help_screen_shows_hostile_tag_labels_inertly(world):
    app = world.start()
    try:
        step(app, b"?", expect=b"Error-type", settle=0.5)
        step(app, b"\x1b", settle=0.3)
        tui, _ = finish(app)
    finally:
        app.close()
    assert_inert(tui)


def test_guidelines_reader_body_is_inert(tmp_path):
    world = make_world(tmp_path, guideline_title="Plain title")
    app = world.start()
    try:
        step(app, b"g", expect=b"Read this first", settle=0.3)
        app.wait_for(marker("GLBODY"))
        step(app, b"\x1b", settle=0.3)
        tui, _ = finish(app)
    finally:
        app.close()
    assert_inert(tui)


def test_guidelines_reader_title_is_inert(world):
    app = world.start()
    try:
        step(app, b"g", expect=b"Read this first", settle=0.5)
        step(app, b"\x1b", settle=0.3)
        tui, _ = finish(app)
    finally:
        app.close()
    assert_inert(tui)


# -- editors -------------------------------------------------------------------------------------

# Regression: TextArea rendered its text raw, so hostile text in an editor (pasted, a saved
# rationale, or the response the ideal-answer editor starts from) reached the terminal.


def test_rationale_pasted_into_the_editor_is_inert(world):
    app = world.start()
    try:
        step(app, b"r", expect=b"Rationale for this verdict", settle=0.3)
        payload = "Because " + hostile("RATIONALE")
        step(app, PASTE_START + payload.encode() + PASTE_END, expect=b"RED-RATIONALE", settle=0.3)
        step(app, b"\x13", settle=0.3)  # ctrl+s: saved to the draft, shown in the info line
        step(app, b"2", expect=b"pair-001")
        tui, _ = finish(app)
    finally:
        app.close()
    assert_inert(tui)
    saved = replay(read_journal(world.journal)).active()
    assert "RED-RATIONALE" in saved[0].rationale  # kept verbatim in the data


def test_saved_hostile_rationale_is_inert_in_the_info_line(tmp_path):
    app = seed_rationale(make_world(tmp_path, hostile_meta=False))
    try:
        app.wait_for(b"JRAT")  # the info line shows the first line of the saved rationale
        tui, _ = finish(app)
    finally:
        app.close()
    assert_inert(tui)


def seed_rationale(world: World) -> PtyApp:
    """pair-000 already judged by this annotator with a hostile rationale; the app opens on
    pair-001 and goes back to it with [ ."""
    judged = Judgment(
        pair_id="pair-000", annotator="tester", choice=Choice.A, strength=2,
        rationale="Why: " + hostile("JRAT"),
    )  # fmt: skip
    world.journal.write_bytes(encode(judged))
    app = world.start(first=b"pair-001")
    step(app, b"[", expect=b"pair-000")
    return app


def test_saved_hostile_rationale_is_inert_in_the_editor(tmp_path):
    app = seed_rationale(make_world(tmp_path, hostile_meta=False))
    try:
        app.wait_for(b"JRAT")
        step(app, b"r", expect=b"Rationale for this verdict", settle=0.5)
        step(app, b"\x1b", settle=0.3)
        tui, _ = finish(app)
    finally:
        app.close()
    assert_inert(tui)


def test_ideal_answer_editor_starting_from_a_hostile_response_is_inert(world):
    app = world.start()
    try:
        app.wait_for(marker("RESPA"))
        step(app, b"w", expect=b"Write the answer", settle=0.5)
        step(app, b"\x1b", settle=0.3)
        tui, _ = finish(app)
    finally:
        app.close()
    assert_inert(tui)


# -- the CLI's own lines -------------------------------------------------------------------------


def test_exit_summary_names_a_hostile_annotator_inertly(world):
    app = world.start(annotator="ann " + hostile(ANNOTATOR_LABEL, nul=False))
    tui, tail = finish(app)
    assert_inert(tui)  # in the status bar it is inert
    assert not leaks(tail, [ANNOTATOR_LABEL]), leaks(tail, [ANNOTATOR_LABEL])


def test_warnings_about_hostile_lines_are_inert(tmp_path):
    """Bad lines full of controls: the warnings quote ids with repr(), so they stay inert."""
    bad_id = "dup " + hostile("LINE")
    lines = {
        1: json.dumps(pair_record(7, id=bad_id)).encode(),
        2: json.dumps(pair_record(8, id=bad_id)).encode(),  # duplicate id, quoted in the reason
        3: ("{" + hostile("LINE")).encode(),  # not JSON
        4: json.dumps({"id": hostile("LINE"), "prompt": 5}).encode(),  # wrong types
    }
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(0)], raw_lines=lines)
    app = PtyApp(["annotate", str(pairs), "--out", str(tmp_path / "j.jsonl")], size=SIZE)
    try:
        app.wait_for(b"pair-000")
        wait_for_outcome(app, "bad line(s) skipped")  # the toast at startup quotes them too
        tui, tail = finish(app)
    finally:
        app.close()
    assert b"\x1b[?1049h" in tui
    before = tui[: tui.find(b"\x1b[?1049h")]  # warnings printed before the TUI started
    assert b"warning:" in before
    assert not leaks(tui + tail, ["LINE"]), leaks(tui + tail, ["LINE"])


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "rankterm", *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        cwd=cwd,
        check=False,
    )


HOSTILE_NAME = "data " + " ".join(
    v for k, v in pieces("FNAME").items() if k not in ("nul", "osc8")
).replace("/", "_")


@pytest.mark.parametrize("case", ["missing-file", "bad-lines"])
def test_hostile_file_names_are_inert_in_cli_messages(tmp_path, case):
    path = tmp_path / (HOSTILE_NAME + ".jsonl")
    if case == "bad-lines":
        path.write_bytes(b"not json\n{}\n")  # every line bad: a usage error naming the file
    done = cli("annotate", path.name, "--out", "j.jsonl", cwd=tmp_path)
    assert done.returncode != 0 and b"Traceback" not in done.stderr
    assert b"FNAME" in done.stderr  # the name is shown...
    assert not leaks(done.stderr, ["FNAME"]), leaks(done.stderr, ["FNAME"])  # ...inertly


# -- markup in untrusted text --------------------------------------------------------------------

# Regression: toasts (App.notify) and border titles parsed untrusted text as Textual markup, so
# '[/x]' raised MarkupError and took the TUI down, and '[@click=...]' was interpreted.


def wait_for_outcome(app: PtyApp, shown: str, start: int = 0, timeout: float = 120.0) -> str:
    """Wait until ``shown`` is on screen, or the TUI died trying; the machine may be slow."""
    deadline = time.monotonic() + timeout
    wanted = squash(shown)
    while time.monotonic() < deadline:
        words = screen_words(app.snapshot()[start:])
        if wanted in words or "MarkupError" in words or app.proc.poll() is not None:
            return words
        time.sleep(0.1)
    raise AssertionError(f"neither {shown!r} nor a crash: {screen_words(app.snapshot())[-600:]}")


def assert_survives(app: PtyApp, shown: str, start: int = 0) -> None:
    words = wait_for_outcome(app, shown, start)
    assert "MarkupError" not in words and "Traceback" not in words, words[-600:]
    assert app.proc.poll() is None, "the TUI exited"
    assert squash(shown) in words


def test_markup_in_a_bad_line_does_not_crash_the_startup_toast(tmp_path):
    dup = json.dumps(pair_record(5, id="x [/x] y")).encode()
    pairs = write_pairs(
        tmp_path / "pairs.jsonl",
        [pair_record(0), pair_record(5, id="x [/x] y")],
        raw_lines={2: dup},
    )
    app = PtyApp(["annotate", str(pairs), "--out", str(tmp_path / "j.jsonl")], size=SIZE)
    try:
        app.wait_for(b"pair-000")
        assert_survives(app, "bad line(s) skipped")
    finally:
        app.close()


def test_markup_in_the_guidelines_title_does_not_crash_the_reader(tmp_path):
    world = make_world(tmp_path, guideline_title="Guide [/x]")
    app = world.start()
    try:
        start = len(app.snapshot())
        app.send(b"g")
        assert_survives(app, "Read this first", start)
    finally:
        app.close()


def test_markup_in_a_pair_id_does_not_crash_the_undo_toast(tmp_path):
    world = make_world(tmp_path, pair0_id="pair-000 [/x]")
    app = world.start()
    try:
        step(app, b"1", expect=b"pair-001")
        start = len(app.snapshot())
        app.send(b"z")
        assert_survives(app, "Undid your verdict", start)
    finally:
        app.close()
