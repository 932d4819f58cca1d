"""Hypothesis strategies for hostile JSON Lines: each generated line says what it must become.

A line is ``Line(raw, kind)``: ``good`` lines must be kept, ``bad`` lines must be reported with
their line number, and ``unknown`` lines (a good record with a field dropped or given a wrong
type) may go either way, but must go exactly one way. Tests write the lines to a file and
check the reader against those expectations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from hypothesis import strategies as st

GOOD, BAD, UNKNOWN, BLANK = "good", "bad", "unknown", "blank"


@dataclass(frozen=True)
class Line:
    raw: bytes
    kind: str
    what: str = ""


# -- values -------------------------------------------------------------------------------------

#: Text with the characters that break naive code: controls, NUL, escapes, bidi, astral planes.
text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]) | st.sampled_from('\x00\x1b\u202e\\"\n'),
    max_size=40,
)
json_scalar = (
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | text
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
ids = st.sampled_from(["a", "b", "c", "pair-1", "ü-ß", "x y", 'q"uote', "esc\x1b", "nul\x00"])


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


# -- bad lines that are bad whatever the format -------------------------------------------------


def _utf8_breaker(prefix: bytes) -> st.SearchStrategy[bytes]:
    return st.binary(min_size=1, max_size=6).map(
        lambda junk: prefix + b"\xff" + junk.replace(b"\n", b"") + b'"}'
    )


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


universally_bad = st.one_of(
    _utf8_breaker(b'{"id": "bad-utf8 ').map(lambda b: Line(b, BAD, "invalid UTF-8")),
    st.just(Line(b'{"id": "x", "prompt": "p"\xc3', BAD, "truncated multi-byte")),
    st.binary(min_size=1, max_size=30)
    .filter(lambda b: b"\n" not in b and b.strip() and not b.strip().startswith((b"{", b"[")))
    # A byte order mark that opens a file is dropped by design: alone, it is a blank line.
    .filter(lambda b: b.removeprefix(b"\xef\xbb\xbf").strip())
    .filter(lambda b: _not_json(b))
    .map(lambda b: Line(b, BAD, "garbage bytes")),
    st.sampled_from([b"\x00", b"\x00\x00\x00", b'{"id": "n"\x00}', b"\x00{}"]).map(
        lambda b: Line(b, BAD, "raw NUL")
    ),
    json_scalar.map(lambda v: Line(dumps(v), BAD, "not an object")).filter(lambda x: x.raw.strip()),
    st.lists(json_value, max_size=3).map(lambda v: Line(dumps(v), BAD, "a list")),
    st.integers(1025, 6000).map(lambda d: Line(deep(d), BAD, "nested past the JSON limit")),
    st.integers(1025, 3000).map(
        lambda d: Line(b'{"id": "deep", "metadata": {"x": ' + deep(d) + b"}}", BAD, "deep field")
    ),
    st.sampled_from(
        [
            b'{"id": "\\ud800"}',  # lone surrogate
            b'{"id": 1e400}',  # infinity
            b'{"id": NaN}',
            b'{"id": "unterminated',
            b"{,}",
            b'{"a" 1}',
        ]
    ).map(lambda b: Line(b, BAD, "malformed JSON")),
)


def _not_json(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return True
    return False


blank = st.sampled_from([b"", b"   ", b"\t", b"\r", b" \r"]).map(lambda b: Line(b, BLANK))


# -- mutations of good records ------------------------------------------------------------------


def mutations(record: dict[str, Any]) -> st.SearchStrategy[Line]:
    """A good record with one field dropped, retyped or the line cut short: outcome unknown."""
    keys = sorted(record)
    dropped = st.sampled_from(keys).map(
        lambda k: Line(dumps({x: v for x, v in record.items() if x != k}), UNKNOWN, f"no {k}")
    )
    retyped = st.tuples(st.sampled_from(keys), json_value).map(
        lambda kv: Line(dumps({**record, kv[0]: kv[1]}), UNKNOWN, f"{kv[0]} retyped")
    )
    raw = dumps(record)
    cut = st.integers(1, max(1, len(raw) - 1)).map(
        lambda n: Line(raw[:n], BAD if _not_json(raw[:n]) else UNKNOWN, "cut short")
    )
    dup_key = st.builds(
        lambda v: Line(raw[:-1] + b', "id": ' + dumps(v) + b"}", UNKNOWN, "duplicate key"),
        st.one_of(ids, json_scalar),
    )
    return st.one_of(dropped, retyped, cut, dup_key)


# -- files --------------------------------------------------------------------------------------


def layout(lines: list[Line], endings: list[bytes], final_newline: bool) -> bytes:
    """Join lines with the given endings (``\\n`` or ``\\r\\n``)."""
    out = bytearray()
    for i, line in enumerate(lines):
        out += line.raw
        if i < len(lines) - 1 or final_newline:
            out += endings[i % len(endings)]
    return bytes(out)
