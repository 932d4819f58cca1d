"""Escape sequences in model output must never reach the terminal: checked on the bytes the
real app writes to a pseudo-terminal, not only on widget text."""

from __future__ import annotations

from tests.helpers import read_lines
from tests.tui.ptyrun import PtyApp, annotate_args

FORBIDDEN = [
    b"\x1b]52;",  # OSC 52 clipboard write
    b"\x1b]0;hacked",  # OSC 0 title change
    b"\x1b]8;;http://evil",  # OSC 8 hyperlink
    b"\x1b[31mRANKTERM_RED",  # raw SGR from the response
    "\u009b31m".encode(),  # C1 CSI (UTF-8 encoded)
    b"\xc2\x9b",
    "\u202e".encode(),  # right-to-left override
    b"\x1b[2J",  # the response's clear-screen
]

#: OSC sequences Textual itself emits (22: mouse pointer shape). Anything else is a leak.
OWN_OSC = (b"22;",)


def test_hostile_response_bytes_never_reach_the_terminal(tui_data):
    journal = tui_data / "out.jsonl"
    app = PtyApp(annotate_args(tui_data / "pairs.jsonl", journal), size=(160, 50))
    try:
        app.wait_for(b"code-042")
        start = len(app.snapshot())
        app.send(b"2")
        app.wait_for(b"dialect-007", start=start)
        start = len(app.snapshot())
        app.send(b"6")
        app.wait_for(b"inject-001", start=start)
        # The hostile text is on screen, made visible and inert.
        app.wait_for(b"RANKTERM_RED")
        app.wait_for("␛]52;c;".encode())
        app.wait_for(b"<U+202E>")
        app.send(b"d")  # the diff view renders the same text another way
        app.wait_for(b"[diff]")
        app.send(b"q")
        app.wait_exit()
    finally:
        app.close()
    output = app.snapshot()
    for needle in FORBIDDEN:
        assert needle not in output, f"{needle!r} reached the terminal"
    for chunk in output.split(b"\x1b]")[1:]:
        assert chunk.startswith(OWN_OSC), f"unexpected OSC sequence: {chunk[:40]!r}"
    assert len(read_lines(journal)) == 2
