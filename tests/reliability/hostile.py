"""Hostile text, and checks on the bytes a terminal would receive.

:func:`hostile` builds text carrying every kind of terminal control an attacker would plant in
model output, a file name or a config value, each stamped with a *label* naming where it was
planted. :func:`leaks` then reads the raw bytes the app wrote and names every label whose
sequence reached the terminal intact, so a failure says which surface leaked, not just that
something did.
"""

from __future__ import annotations

import re


def pieces(label: str) -> dict[str, str]:
    """Each terminal control, labelled: kind -> text to plant."""
    return {
        "osc52": f"\x1b]52;c;{label}\x07",  # write the clipboard
        "osc0": f"\x1b]0;title-{label}\x07",  # retitle the window
        "osc8": f"\x1b]8;;http://evil.example/{label}\x1b\\link\x1b]8;;\x1b\\",  # plant a link
        "sgr": f"\x1b[31mRED-{label}\x1b[0m",  # colour
        "clear": f"\x1b[2J\x1b[HCLEAR-{label}",  # wipe the screen
        "c1_csi": f"\u009b31mC1CSI-{label}",  # 8-bit CSI
        "c1_osc": f"\u009d0;C1OSC-{label}\u0007",  # 8-bit OSC
        "dcs": f"\x1bPqDCS-{label}\x1b\\",  # device control string
        "nul": f"NUL\x00{label}",
        "bidi": f"\u202eRLO-{label}\u202c \u2066LRI-{label}\u2069",
    }


def hostile(label: str, *, nul: bool = True) -> str:
    """All the pieces in one string (without NUL where the carrier cannot hold one, e.g. argv)."""
    return " ".join(v for k, v in pieces(label).items() if nul or k != "nul")


def _raw(label: str) -> dict[str, bytes]:
    """The bytes of each piece that would act on a terminal if they arrived unchanged."""
    return {
        "osc52": f"\x1b]52;c;{label}".encode(),
        "osc0": f"\x1b]0;title-{label}".encode(),
        "osc8": f"\x1b]8;;http://evil.example/{label}".encode(),
        "sgr": f"\x1b[31mRED-{label}".encode(),
        "clear": f"\x1b[2J\x1b[HCLEAR-{label}".encode(),
        "c1_csi": f"\u009b31mC1CSI-{label}".encode(),
        "c1_csi_8bit": b"\x9b31mC1CSI-" + label.encode(),
        "c1_osc": f"\u009d0;C1OSC-{label}".encode(),
        "c1_osc_8bit": b"\x9d0;C1OSC-" + label.encode(),
        "dcs": f"\x1bPqDCS-{label}".encode(),
        "nul": f"NUL\x00{label}".encode(),
        "bidi": f"\u202eRLO-{label}".encode(),
        "bidi_isolate": f"\u2066LRI-{label}".encode(),
    }


#: OSC sequences Textual itself emits (22: mouse pointer shape). Anything else is a leak.
OWN_OSC = (b"22;",)


def leaks(output: bytes, labels: list[str]) -> dict[str, list[str]]:
    """label -> kinds of control that reached the terminal intact; empty when all is inert."""
    found: dict[str, list[str]] = {}
    for label in labels:
        kinds = [kind for kind, raw in _raw(label).items() if raw in output]
        if kinds:
            found[label] = kinds
    return found


def foreign_osc(output: bytes) -> list[bytes]:
    """OSC sequences that Textual would not write itself."""
    return [chunk[:60] for chunk in output.split(b"\x1b]")[1:] if not chunk.startswith(OWN_OSC)]


_OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_CSI = re.compile(rb"\x1b\[[0-9;?<=>:]*[ -/]*[@-~]")
_OTHER_ESC = re.compile(rb"\x1b[()][0-9A-Za-z]|\x1b[=>78DEHMc]")
_SPACING = re.compile(r"[\s│┃┆▏▕▎▊▌▐╭╮╰╯─━▔▁▂▃▄▅▆▇█]+")


def screen_words(output: bytes) -> str:
    """The printable text of a terminal stream, control sequences and spacing removed, so a
    message wrapped over several lines of a toast can be searched for as one run of words."""
    text = _OTHER_ESC.sub(b"", _CSI.sub(b"", _OSC.sub(b"", output)))
    return _SPACING.sub("", text.decode("utf-8", errors="replace"))


def squash(message: str) -> str:
    """``message`` as :func:`screen_words` would show it."""
    return _SPACING.sub("", message)


def after_tui(output: bytes) -> bytes:
    """What the CLI wrote after the TUI left the alternate screen (its stderr summary)."""
    cut = output.rfind(b"\x1b[?1049l")
    return output[cut:] if cut >= 0 else output
