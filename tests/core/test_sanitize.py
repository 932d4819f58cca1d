from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rankterm.core.sanitize import has_controls, inert

HOSTILE = (
    "ok \x1b]52;c;ZWNobyBwd25lZA==\x07 \x1b]0;hacked\x07 \x1b[2J \x1b[31mred"
    " \x1b]8;;http://evil.example\x07click\x1b]8;;\x07 \x9b31m \u202eevil\u202c \x00 \r"
)


def test_every_control_is_replaced_by_a_visible_stand_in():
    out = inert(HOSTILE)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "\u202e" not in out and "\x00" not in out and "\r" not in out
    assert "␛]52;c;" in out and "<U+202E>" in out and "\\x9b" in out
    assert has_controls(HOSTILE) and not has_controls(out)


def test_layout_characters_and_plain_text_are_kept():
    text = "line one\n\tindented — ünïcödé 日本語 🎉"
    assert inert(text) == text


@given(st.text())
def test_output_never_contains_terminal_controls(text):
    out = inert(text)
    for ch in out:
        code = ord(ch)
        assert code in (9, 10) or code >= 0x20
        assert not (0x7F <= code < 0xA0)
        assert code not in (0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069)


def _format_characters() -> list[str]:
    """Every format character (category Cf) this Python's Unicode database knows."""
    import sys
    import unicodedata

    return [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]


def test_invisible_characters_are_marked_not_passed_through():
    """Zero-width characters hide text from the reader ("pa\u200bssword" looks like one word,
    a tag-character run can smuggle a whole instruction): each one is shown as a marker."""
    for ch in ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\U000e0041"):
        out = inert(f"a{ch}b")
        assert out == f"a<U+{ord(ch):04X}>b", (hex(ord(ch)), out)
        assert has_controls(f"a{ch}b")


def test_every_format_character_is_marked():
    for ch in _format_characters():
        out = inert(ch)
        assert ch not in out and out.startswith("<U+"), hex(ord(ch))
        assert has_controls(ch)


def test_lone_surrogates_are_marked():
    assert inert("a\ud800b") == "a<U+D800>b"


@given(st.text())
def test_output_never_contains_format_characters(text):
    import unicodedata

    out = inert(text)
    assert not [ch for ch in out if unicodedata.category(ch) in ("Cf", "Cs")]
    assert has_controls(text) == (out != text)


def test_everything_replaced_is_non_printable_to_python():
    """``inert`` skips text that ``str.isprintable`` passes (after newlines and tabs): that is
    only safe while every character it replaces is non-printable to Python."""
    from rankterm.core.sanitize import _TABLE

    assert not [hex(code) for code in _TABLE if chr(code).isprintable()]
    assert inert("tab\tand\nnewline") == "tab\tand\nnewline"
    assert inert("no-break\u00a0space\u200b") == "no-break\u00a0space<U+200B>"
