"""Fuzz every reader of untrusted JSON Lines: the pairs index, the journal, and each importer.

Properties, for every generated file: the reader never raises; every line that must be kept is
kept (and reads back equal); every line that must be rejected is reported once, with its line
number; and no line is both, or neither. See fuzzlines.py for how lines are generated.
"""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rankterm.core.errors import LoadIssue
from rankterm.core.model import Ack, Choice, Comment, Judgment, Resolution, Retraction
from rankterm.storage import sidecar
from rankterm.storage.index import index_pairs
from rankterm.storage.journal import decode, encode, read_journal
from rankterm.storage.scan import parse_pair_line
from tests.reliability.fuzzlines import (
    BAD,
    BLANK,
    GOOD,
    Line,
    blank,
    dumps,
    ids,
    json_value,
    layout,
    mutations,
    text,
    universally_bad,
)

CASES: Counter[str] = Counter()
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
_files = itertools.count()


@pytest.fixture(scope="module", autouse=True)
def _report_cases():
    yield
    print(f"\nfuzz cases run: {sum(CASES.values())} {dict(CASES)}")


def fresh(tmp_path: Path, suffix: str = ".jsonl") -> Path:
    """A new file name per example: nothing cached for one file applies to the next."""
    return tmp_path / f"fuzz-{next(_files)}{suffix}"


# -- pairs ---------------------------------------------------------------------------------------

messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "system"]), "content": text}
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def pair_records(draw) -> dict:
    record: dict = {"id": draw(ids)}
    if draw(st.booleans()):
        record["prompt"] = draw(text)
    else:
        record["messages"] = draw(messages)
    record["response_a"] = draw(text)
    record["response_b"] = draw(text)
    optional = {
        "model_a": text,
        "model_b": text,
        "metadata": st.dictionaries(text, json_value, max_size=3),
        "tags": st.lists(text, max_size=3),
        "priority": st.integers(-5, 5) | st.floats(-1e6, 1e6, allow_nan=False),
        "x_team_column": json_value,
    }
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        record[key] = draw(optional[key])
    if draw(st.booleans()):  # id not first: the index must not rely on key order
        record = dict(reversed(list(record.items())))
    return record


@st.composite
def pair_lines(draw) -> Line:
    choice = draw(st.sampled_from(["good", "good", "good", "bad", "mutant", "blank"]))
    if choice == "bad":
        return draw(universally_bad)
    if choice == "blank":
        return draw(blank)
    record = draw(pair_records())
    if choice == "mutant":
        return draw(mutations(record))
    return Line(dumps(record), GOOD)


def valid_pair(raw: bytes):
    try:
        return parse_pair_line(raw)
    except ValueError:
        return None


def expected_pairs(lines: list[Line]) -> tuple[dict[int, object], set[int]]:
    """line number -> Pair that must be indexed, and the line numbers that must be reported."""
    kept: dict[int, object] = {}
    reported: set[int] = set()
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if line.kind == BLANK:
            continue
        pair = valid_pair(line.raw)
        if line.kind == GOOD:
            assert pair is not None, f"generator bug: {line.raw[:200]!r}"
        if line.kind == BAD:
            assert pair is None, f"generator bug: {line.raw[:200]!r}"
        if pair is None or pair.id in seen:
            reported.add(number)
        else:
            seen.add(pair.id)
            kept[number] = pair
    return kept, reported


def check_index(path: Path, lines: list[Line], validate: str) -> None:
    """Kept and reported lines are exactly the expected ones, in either validation mode (in
    background mode, once validation is complete), and every kept line reads back equal."""
    kept, reported = expected_pairs(lines)
    index = index_pairs(path, validate=validate)  # type: ignore[arg-type]
    try:
        issues = index.validate_all()
        found = [n for n in range(len(index)) if not index.is_bad(n)]
        found_lines = sorted(index.line_numbers[n] for n in found)
        issue_lines = [issue.line for issue in issues]
        assert len(issue_lines) == len(set(issue_lines)), f"a line reported twice: {issues}"
        assert found_lines == sorted(kept), "kept lines differ"
        assert set(issue_lines) == reported, f"reported {sorted(issue_lines)}, not {reported}"
        for position in found:
            line_no = index.line_numbers[position]
            expected = valid_pair(lines[line_no - 1].raw)
            assert index.get(position) == expected
            assert index.ids[position] == expected.id
            assert index.position(expected.id) == position
        order = list(index.serving_order())
        assert sorted(order) == list(range(len(index)))
        priorities = [index.get(i).priority for i in order if not index.is_bad(i)]
        assert priorities == sorted(priorities, reverse=True)
    finally:
        index.close()


pair_files = st.tuples(
    st.lists(pair_lines(), min_size=1, max_size=25),
    st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=1, max_size=3),
    st.booleans(),
)


@settings(FUZZ, max_examples=300)
@given(data=pair_files)
def test_pairs_index_keeps_good_lines_and_reports_bad_ones(tmp_path, data):
    lines, endings, final_newline = data
    path = fresh(tmp_path)
    path.write_bytes(layout(lines, endings, final_newline))
    CASES["index_pairs eager"] += 1
    check_index(path, lines, "eager")


@settings(FUZZ, max_examples=200)
@given(data=pair_files)
def test_pairs_index_background_validation_agrees(tmp_path, data):
    lines, endings, final_newline = data
    path = fresh(tmp_path)
    path.write_bytes(layout(lines, endings, final_newline))
    CASES["index_pairs background"] += 1
    check_index(path, lines, "background")
    # And exactly what the eager scan gives: pairs, issues (reasons too) and serving order.
    with index_pairs(path, validate="eager") as eager:
        want = (
            list(eager.ids),
            [(i.line, i.reason) for i in eager.issues],
            [eager.ids[i] for i in eager.serving_order()],
        )
    with index_pairs(path, validate="background") as background:
        background.validate_all()
        good = [i for i in range(len(background)) if not background.is_bad(i)]
        got = (
            [background.ids[i] for i in good],
            [(i.line, i.reason) for i in background.issues],
            [background.ids[i] for i in background.serving_order() if not background.is_bad(i)],
        )
        assert [background.position(pid) for pid in want[0]] == good
    assert got == want


@settings(FUZZ, max_examples=60)
@given(data=pair_files)
def test_pairs_index_from_its_sidecar_agrees(tmp_path, monkeypatch, data):
    """The cached index (normally for files of 8 MiB and more) gives the same answers."""
    monkeypatch.setattr(sidecar, "CACHE_MIN_BYTES", 0)
    lines, endings, final_newline = data
    path = fresh(tmp_path)
    path.write_bytes(layout(lines, endings, final_newline))
    CASES["index_pairs sidecar"] += 1
    check_index(path, lines, "eager")  # builds and saves the sidecar
    check_index(path, lines, "eager")  # reads it back


@settings(FUZZ, max_examples=12)
@given(
    sizes=st.lists(st.integers(0, 3 << 20), min_size=1, max_size=3),
    valid=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_pairs_index_with_huge_lines(tmp_path, sizes, valid):
    """Lines longer than the index's 1 MiB read block, valid or not, between normal ones."""
    lines = [
        Line(dumps({"id": "first", "prompt": "p", "response_a": "a", "response_b": "b"}), GOOD)
    ]
    for n, (size, ok) in enumerate(zip(sizes, valid, strict=False)):
        body = {"id": f"huge-{n}", "prompt": "x" * size, "response_a": "a", "response_b": "b"}
        raw = dumps(body)
        lines.append(Line(raw if ok else raw[:-1], GOOD if ok else BAD))
        lines.append(Line(dumps({**body, "id": f"after-{n}", "prompt": "small"}), GOOD))
    path = fresh(tmp_path)
    path.write_bytes(layout(lines, [b"\n"], True))
    CASES["index_pairs huge lines"] += 1
    check_index(path, lines, "eager")


# -- the journal ---------------------------------------------------------------------------------

uuids = st.uuids()
choices_with_strength = st.one_of(
    st.tuples(st.sampled_from([Choice.A, Choice.B]), st.integers(1, 3)),
    st.tuples(st.sampled_from([Choice.TIE, Choice.BOTH_BAD]), st.none()),
)
names = text.filter(lambda s: len(s) >= 1)


@st.composite
def journal_entries(draw):
    kind = draw(st.sampled_from(["judgment", "retraction", "resolution", "comment", "ack"]))
    if kind == "judgment":
        choice, strength = draw(choices_with_strength)
        return Judgment(
            pair_id=draw(text),
            annotator=draw(names),
            choice=choice,
            strength=strength,
            tags=draw(st.lists(text, max_size=3)),
            rationale=draw(text),
            flagged=draw(st.booleans()),
            duration_ms=draw(st.integers(0, 10**9)),
            ideal_response=draw(st.none() | text),
        )
    if kind == "retraction":
        return Retraction(retracts=draw(uuids), pair_id=draw(text), annotator=draw(text))
    if kind == "resolution":
        choice, strength = draw(choices_with_strength)
        return Resolution(
            pair_id=draw(text), adjudicator=draw(names), choice=choice, strength=strength
        )
    if kind == "comment":
        return Comment(pair_id=draw(text), author=draw(names), text=draw(names))
    return Ack(
        judgment_id=draw(uuids), status=draw(st.sampled_from(["accepted", "duplicate", "rejected"]))
    )


@st.composite
def journal_lines(draw) -> tuple[Line, object]:
    choice = draw(st.sampled_from(["good", "good", "good", "legacy", "bad", "mutant", "blank"]))
    if choice == "bad":
        return draw(universally_bad), None
    if choice == "blank":
        return draw(blank), None
    entry = draw(journal_entries())
    record = orjson.loads(encode(entry))
    if choice == "legacy" and record["kind"] == "judgment":
        del record["kind"]  # schema 0: judgments had no kind
        return Line(dumps(record), GOOD), entry
    if choice == "mutant":
        return draw(mutations(record)), None
    return Line(encode(entry).rstrip(b"\n"), GOOD), entry


def comparable(entry) -> dict:
    """An entry without the fields a line may omit (their defaults are drawn anew per read:
    see test_journal_line_without_id_replays_deterministically)."""
    return entry.model_dump(mode="json", exclude={"id", "created_at"})


def valid_entry(raw: bytes):
    try:
        return decode(raw)
    except Exception:
        return None


@settings(FUZZ, max_examples=300)
@given(
    items=st.lists(journal_lines(), min_size=1, max_size=25),
    endings=st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=1, max_size=3),
    final_newline=st.booleans(),
)
def test_read_journal_keeps_good_lines_and_reports_bad_ones(
    tmp_path, items, endings, final_newline
):
    lines = [line for line, _ in items]
    path = fresh(tmp_path)
    path.write_bytes(layout(lines, endings, final_newline))
    CASES["read_journal"] += 1
    issues: list[LoadIssue] = []
    entries = list(read_journal(path, issues))

    expected, reported = [], set()
    for number, (line, entry) in enumerate(items, start=1):
        if line.kind == BLANK:
            continue
        parsed = valid_entry(line.raw)
        if line.kind == GOOD:
            assert parsed == entry, f"generator bug: {line.raw[:200]!r}"
        if line.kind == BAD:
            assert parsed is None, f"generator bug: {line.raw[:200]!r}"
        if parsed is None:
            reported.add(number)
        else:
            expected.append(parsed)
    assert [comparable(e) for e in entries] == [comparable(e) for e in expected]
    issue_lines = [issue.line for issue in issues]
    assert len(issue_lines) == len(set(issue_lines)) and set(issue_lines) == reported, issues
    for issue in issues:
        if "torn write" in issue.reason:  # only an unfinished last line is a torn write
            assert issue.line == len(lines) and not final_newline, issue


@settings(FUZZ, max_examples=100)
@given(blob=st.binary(max_size=2000))
def test_read_journal_never_raises_on_arbitrary_bytes(tmp_path, blob):
    path = fresh(tmp_path)
    path.write_bytes(blob)
    CASES["read_journal bytes"] += 1
    issues: list[LoadIssue] = []
    list(read_journal(path, issues))
    nonblank = [n for n, raw in enumerate(blob.split(b"\n"), start=1) if raw.strip()]
    assert {i.line for i in issues} <= set(nonblank)


# -- importers -----------------------------------------------------------------------------------

formats = pytest.importorskip("rankterm.formats")


def readable_formats() -> list[str]:
    return [name for name, fmt in formats.FORMATS.items() if fmt.readable]


FIXTURES = Path(__file__).resolve().parent.parent / "formats" / "data"


def good_lines_for(name: str) -> list[bytes]:
    """Records the format's own reader accepts: from its writer, else from the fixtures."""
    from rankterm.formats import ImportReader

    lines: list[bytes] = []
    for fixture in sorted(FIXTURES.glob("*")) if FIXTURES.is_dir() else []:
        try:
            with ImportReader(fixture, name) as reader:
                good = {item.line for item in reader if isinstance(item, formats.Imported)}
        except Exception:
            continue
        raw_lines = fixture.read_bytes().split(b"\n")
        # Only records that are whole on their line: a pretty-printed JSON array (a Label
        # Studio export) numbers each record by the line it starts on, which holds just "{".
        lines += [raw_lines[n - 1] for n in sorted(good) if _whole_record(raw_lines[n - 1])]
    return lines


def _whole_record(raw: bytes) -> bool:
    try:
        return isinstance(orjson.loads(raw), dict)
    except orjson.JSONDecodeError:
        return not raw.lstrip().startswith((b"{", b"["))  # CSV and the like: one row a line


GOOD_BY_FORMAT: dict[str, list[bytes]] = {}


def format_lines(name: str) -> st.SearchStrategy[Line]:
    good = GOOD_BY_FORMAT.setdefault(name, good_lines_for(name))
    options = [universally_bad, blank]
    if good:
        options.append(st.sampled_from(good).map(lambda raw: Line(raw, GOOD)))
        options.append(
            st.sampled_from(good).flatmap(
                lambda raw: mutations(orjson.loads(raw)) if raw.strip().startswith(b"{") else blank
            )
        )
    return st.one_of(*options)


@settings(FUZZ, max_examples=40)
@given(data=st.data())
@pytest.mark.parametrize("name", [n for n in readable_formats() if n != "csv"])
def test_importer_keeps_good_lines_and_reports_bad_ones(tmp_path, name, data):
    from rankterm.formats import Imported, ImportReader

    lines = data.draw(st.lists(format_lines(name), min_size=1, max_size=15))
    assume(any(line.kind != BLANK for line in lines))
    path = fresh(tmp_path)
    path.write_bytes(layout(lines, [b"\n"], data.draw(st.booleans())))
    CASES[f"import {name}"] += 1
    with ImportReader(path, name) as reader:
        items = list(reader)
    outcome: dict[int, set[str]] = {}
    for item in items:
        line = item.line
        assert 1 <= line <= len(lines), f"line {line} does not exist: {item}"
        outcome.setdefault(line, set()).add("kept" if isinstance(item, Imported) else "reported")
    for number, line in enumerate(lines, start=1):
        got = outcome.get(number, set())
        if line.kind == BLANK:
            assert not got, f"blank line {number} gave {got}"
        elif line.kind == GOOD:
            assert got == {"kept"}, f"good line {number} gave {got}: {line.raw[:200]!r}"
        elif line.kind == BAD:
            assert got == {"reported"}, f"bad line {number} ({line.what}) gave {got}"
        else:
            assert len(got) == 1, f"line {number} ({line.what}) gave {got or 'nothing'}"


def test_every_readable_format_was_fuzzed_with_good_lines():
    """Guards the test above: a format without good samples would only see bad lines."""
    missing = [n for n in readable_formats() if n != "csv" and not good_lines_for(n)]
    assert not missing, f"no good sample lines for {missing}"


def test_uuid_fields_are_not_silently_coerced():
    """A control: the fuzzer's journal oracle is the journal's own decoder, so check once
    by hand that a malformed id really is rejected rather than replaced."""
    line = encode(Retraction(retracts=uuid.uuid4(), pair_id="p", annotator="a"))
    record = orjson.loads(line)
    record["retracts"] = "not-a-uuid"
    assert valid_entry(dumps(record)) is None


# -- findings, pinned ----------------------------------------------------------------------------

GOOD_A = b'{"id":"a","prompt":"p","response_a":"x","response_b":"y"}'


@pytest.mark.parametrize(
    "first",
    [
        b'{"id":"a","prompt":"p"}',  # invalid: no responses
        b'{"id":"a","prompt":"p","response_a":"x","response_b":"y","id":"z"}',  # really "z"
    ],
    ids=["invalid-first", "duplicate-key-first"],
)
def test_background_validation_keeps_what_eager_validation_keeps(tmp_path, first):
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(first + b"\n" + GOOD_A + b"\n")
    with index_pairs(path, validate="eager") as eager:
        eager_ids = sorted(eager.ids)
    with index_pairs(path, validate="background") as background:
        background.validate_all()
        kept = sorted(background.ids[i] for i in range(len(background)) if not background.is_bad(i))
    assert "a" in eager_ids
    assert kept == eager_ids


def test_a_byte_order_mark_does_not_cost_the_first_pair(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_A + b"\n" + GOOD_A.replace(b'"a"', b'"b"') + b"\n")
    with index_pairs(path) as index:
        assert list(index.ids) == ["a", "b"], index.issues
        assert index.get(0).id == "a" and index.get(1).id == "b"  # offsets still right


def test_journal_line_without_id_replays_deterministically(tmp_path):
    record = orjson.loads(encode(Judgment(pair_id="p", annotator="a", choice=Choice.TIE)))
    del record["id"]
    path = tmp_path / "journal.jsonl"
    path.write_bytes(dumps(record) + b"\n")
    first = [e.id for e in read_journal(path)]
    second = [e.id for e in read_journal(path)]
    assert first == second
