from __future__ import annotations

import threading
import zlib

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rankterm.storage import scan, sidecar
from rankterm.storage.index import BadPairError, PairIndex, index_pairs
from rankterm.storage.sidecar import sidecar_path
from tests.helpers import pair_record, write_pairs


def test_bad_lines_are_reported_by_file_and_line_and_the_rest_loads(tmp_path):
    path = write_pairs(
        tmp_path / "pairs.jsonl",
        [pair_record(i) for i in range(5)],
        raw_lines={
            1: b"{not json",
            3: b'{"id": "x", "prompt": "p", "response_a": "a"}',
            4: b"[1, 2]",
            5: b'{"id": "y", "response_a": "a", "response_b": "b"}',
            6: b"\xff\xfe bad utf-8",
        },
    )
    index = index_pairs(path)
    assert len(index) == 5
    reasons = {issue.line: issue.reason for issue in index.issues}
    assert set(reasons) == {2, 4, 5, 6, 7}
    assert "invalid JSON" in reasons[2]
    assert "response_b" in reasons[4] and "Field required" in reasons[4]
    assert "expected a JSON object" in reasons[5]
    assert "prompt" in reasons[6]
    assert str(index.issues[0]).startswith(f"{index.issues[0].path}:2: ")
    assert "5 pairs loaded" in index.summary() and "5 bad lines skipped" in index.summary()


def test_duplicate_ids_keep_the_first(tmp_path):
    path = write_pairs(tmp_path / "p.jsonl", [pair_record(1), pair_record(1, prompt="other")])
    index = index_pairs(path)
    assert len(index) == 1
    assert "duplicate id 'pair-001' (first seen on line 1)" in index.issues[0].reason
    assert index.get(0).prompt.startswith("Question 1")


def test_unknown_fields_survive_a_round_trip(tmp_path):
    record = pair_record(1, source_row=1234, extra={"nested": [1, 2]})
    path = write_pairs(tmp_path / "p.jsonl", [record])
    pair = index_pairs(path).get(0)
    out = pair.to_json_dict()
    assert out["source_row"] == 1234 and out["extra"] == {"nested": [1, 2]}
    assert orjson.loads(orjson.dumps(out))["id"] == "pair-001"


def test_serving_order_is_priority_then_file_order(tmp_path):
    records = [pair_record(i, priority=p) for i, p in enumerate([0, 2, 0, 5, 2])]
    index = index_pairs(write_pairs(tmp_path / "p.jsonl", records))
    assert [index.ids[i] for i in index.serving_order()] == [
        "pair-003",
        "pair-001",
        "pair-004",
        "pair-000",
        "pair-002",
    ]


def test_messages_instead_of_prompt_and_gold_shorthand(tmp_path):
    record = pair_record(1, prompt=None, gold="B")
    del record["prompt"]
    record["messages"] = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "and?"},
    ]
    pair = index_pairs(write_pairs(tmp_path / "p.jsonl", [record])).get(0)
    assert pair.last_user_text == "and?"
    assert pair.gold is not None and pair.gold.choice.value == "B"


def test_missing_file_and_directory_are_clear_errors(tmp_path):
    from rankterm.storage.scan import PairsFileError

    with pytest.raises(PairsFileError, match="no such file"):
        index_pairs(tmp_path / "nope.jsonl")
    with pytest.raises(PairsFileError, match="is a directory"):
        index_pairs(tmp_path)


# -- the fast index, background validation and the sidecar (issue 6) ----------------------------


def summary_of(index):
    """Everything a session depends on, comparable across index builds."""
    return (
        list(index.ids),
        list(index.serving_order()),
        [(i.line, i.reason) for i in index.issues],
        [index.get(i).to_json_dict() for i in range(len(index)) if not index.is_bad(i)],
    )


MIXED = [
    pair_record(0),
    {"prompt": "p", "response_a": "a", "response_b": "b", "id": "id-last"},  # parsed path
    pair_record(2, priority=3),
    {"id": 77, "prompt": "numeric id", "response_a": "a", "response_b": "b"},
    {"id": 'caf\u00e9 \\ "q"', "prompt": "escapes", "response_a": "a", "response_b": "b"},
    pair_record(5, metadata={"priority": 9}),  # nested priority is not the pair's
    pair_record(6, response_a='he said "priority" twice'),
    pair_record(0, prompt="duplicate of the first"),
]
RAW = {
    2: b'{"id": "no-b", "prompt": "p", "response_a": "a"}',  # cheap-valid, model-invalid
    4: b"{truncated",
    6: b'{"id":"wrong-type","prompt":"p","response_a":"a","response_b":"b","tags":"x"}',
    8: b"   ",
}


@pytest.mark.parametrize("validate", ["eager", "background"])
def test_fast_and_exact_paths_agree(tmp_path, validate):
    path = write_pairs(tmp_path / "p.jsonl", MIXED, raw_lines=RAW)
    exact = index_pairs(path, validate="eager", cache=False)
    index = index_pairs(path, validate=validate, cache=False)
    index.validate_all()
    good = [i for i in range(len(index)) if not index.is_bad(i)]
    assert [index.ids[i] for i in good] == list(exact.ids)
    assert sorted((i.line, i.reason) for i in index.issues) == sorted(
        (i.line, i.reason) for i in exact.issues
    )
    assert "77" in exact and 'café \\ "q"' in exact
    assert exact.ids[exact.serving_order()[0]] == "pair-002"
    reasons = {i.line: i.reason for i in exact.issues}
    assert "response_b" in reasons[3] and "invalid JSON" in reasons[5] and "tags" in reasons[7]
    assert "duplicate id 'pair-000'" in reasons[12]


def test_background_validation_reports_late_bad_lines_completely(tmp_path):
    path = write_pairs(tmp_path / "p.jsonl", MIXED, raw_lines=RAW)
    index = index_pairs(path, validate="background", cache=False)
    # Not even JSON: known at once. Valid JSON that the model rejects: known when checked.
    assert any(i.line == 5 for i in index.issues)
    called = threading.Event()
    seen: list = []
    index.on_validated(lambda issues: (seen.extend(issues), called.set()))
    assert index.wait_validated(30) and called.wait(30)
    assert index.validated and "checking the rest" not in index.summary()
    assert {i.line for i in seen} == {3, 5, 7, 12}
    bad = [i for i in range(len(index)) if index.is_bad(i)]
    # The duplicate stays in the index too (until validation, its first could be invalid).
    assert [index.ids[i] for i in bad] == ["no-b", "wrong-type", "pair-000"]
    assert index.bad_positions() == frozenset(bad)
    with pytest.raises(BadPairError, match=r"p\.jsonl:3: response_b"):
        index.get(bad[0])
    with pytest.raises(BadPairError, match=r"p\.jsonl:12: duplicate id 'pair-000'"):
        index.get(bad[2])
    assert index.position("pair-000") == 0
    assert len(list(index.iter_pairs())) == len(index) - 3
    late: list = []
    index.on_validated(late.extend)  # after the fact: called at once
    assert late == seen
    index.close()


def test_get_notices_a_file_changed_under_it(tmp_path):
    path = write_pairs(tmp_path / "p.jsonl", [pair_record(i) for i in range(3)])
    index = index_pairs(path, cache=False)
    text = path.read_bytes().replace(b"pair-001", b"pair-00X")
    path.write_bytes(text)
    with pytest.raises(BadPairError, match="file changed"):
        index.get(1)
    assert index.is_bad(1) and index.issues[-1].line == 2


def test_sidecar_makes_the_second_open_exact_and_is_invalidated_by_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(sidecar, "CACHE_MIN_BYTES", 0)
    path = write_pairs(tmp_path / "p.jsonl", MIXED, raw_lines=RAW)
    reference = summary_of(index_pairs(path, cache=False))

    first = index_pairs(path, validate="background")
    first.validate_all()
    first.close()
    assert sidecar_path(path).exists()
    for mode in ("eager", "background"):
        warm = index_pairs(path, validate=mode)
        assert warm.validated  # nothing left to check: results came from the sidecar
        assert not any(warm.is_bad(i) for i in range(len(warm)))  # bad records left out
        assert summary_of(warm) == reference
        assert warm.position("pair-006") == warm.ids.index("pair-006")
        warm.close()

    with path.open("ab") as handle:
        handle.write(orjson.dumps(pair_record(42)) + b"\n")
    changed = index_pairs(path)
    assert "pair-042" in changed and len(changed) == len(reference[0]) + 1


def test_a_corrupt_or_foreign_sidecar_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setattr(sidecar, "CACHE_MIN_BYTES", 0)
    path = write_pairs(tmp_path / "p.jsonl", [pair_record(i) for i in range(20)])
    reference = summary_of(index_pairs(path))
    side = sidecar_path(path)
    blob = side.read_bytes()
    for damaged in (blob[: len(blob) // 2], b"junk", blob[:20] + b"\xff" * 40 + blob[60:]):
        side.write_bytes(damaged)
        assert summary_of(index_pairs(path)) == reference
    other = write_pairs(tmp_path / "other.jsonl", [pair_record(i) for i in range(3)])
    side.write_bytes(sidecar_path(other).read_bytes() if index_pairs(other) else b"")
    assert summary_of(index_pairs(path)) == reference


def test_an_unfinished_background_validation_is_finished_by_the_next_eager_open(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(sidecar, "CACHE_MIN_BYTES", 0)
    path = write_pairs(tmp_path / "p.jsonl", MIXED, raw_lines=RAW)
    stopped = index_pairs(path, validate="background")
    stopped.close()  # quits before (or while) checking; the sidecar may say "unchecked"
    again = index_pairs(path)
    assert again.validated
    assert {i.line for i in again.issues} == {3, 5, 7, 12}


def test_id_lookup_survives_crc32_collisions_and_unicode(tmp_path):
    colliding = ["pair-29685295", "pair-32060020"]
    assert zlib.crc32(colliding[0].encode()) == zlib.crc32(colliding[1].encode())
    ids = [*colliding, "naïve", "日本語", "emoji-🙂", *(f"x{i}" for i in range(300))]
    path = write_pairs(tmp_path / "p.jsonl", [pair_record(0, id=i) for i in ids])
    for mode in ("eager", "background"):
        index = index_pairs(path, validate=mode, cache=False)
        assert [index.position(i) for i in ids] == list(range(len(ids)))
        assert index.by_id("日本語").id == "日本語"
        assert "pair-0" not in index and 5 not in index and index.position("x300") is None
        assert index.ids[-1] == "x299" and index.ids[1:3] == [*colliding[1:], "naïve"]
        index.close()


def test_long_lines_crlf_and_no_final_newline(tmp_path, monkeypatch):
    monkeypatch.setattr(scan, "BLOCK", 64)
    long = pair_record(1, response_a="word " * 500)
    first, last = orjson.dumps(pair_record(0)), orjson.dumps(pair_record(2))
    lines = [first, orjson.dumps(long) + b"\r", b"", last]
    path = tmp_path / "p.jsonl"
    path.write_bytes(b"\n".join(lines))
    for mode in ("eager", "background"):
        index = index_pairs(path, validate=mode, cache=False)
        assert list(index.ids) == ["pair-000", "pair-001", "pair-002"]
        assert index.line_numbers[2] == 4
        assert index.get(1).response_a == "word " * 500
        assert index.validate_all() == []


record_strategy = st.fixed_dictionaries(
    {
        "id": st.one_of(
            st.text(min_size=1, max_size=8), st.integers(-5, 10**6), st.just(""), st.none()
        ),
        "prompt": st.text(max_size=20),
        "response_a": st.text(max_size=20),
    },
    optional={
        "response_b": st.text(max_size=20),
        "priority": st.one_of(st.integers(-3, 3), st.floats(-2, 2), st.text(max_size=3)),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(record_strategy, max_size=12), id_first=st.booleans())
def test_property_background_index_equals_eager(tmp_path, records, id_first):
    rows = []
    for record in records:
        rid = record.pop("id")
        rows.append({"id": rid, **record} if id_first else {**record, "id": rid})
    path = tmp_path / "prop.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    exact = index_pairs(path, cache=False)
    lazy = index_pairs(path, validate="background", cache=False)
    lazy.validate_all()
    good = [i for i in range(len(lazy)) if not lazy.is_bad(i)]
    assert [lazy.ids[i] for i in good] == list(exact.ids)
    assert [(i.line, i.reason) for i in lazy.issues] == [(i.line, i.reason) for i in exact.issues]
    assert [lazy.ids[i] for i in lazy.serving_order() if not lazy.is_bad(i)] == [
        exact.ids[i] for i in exact.serving_order()
    ]
    lazy.close()


def test_validate_all_after_close_still_completes(tmp_path):
    path = write_pairs(tmp_path / "p.jsonl", MIXED, raw_lines=RAW)
    index = index_pairs(path, validate="background", cache=False)
    index.close()
    assert {i.line for i in index.validate_all()} == {3, 5, 7, 12}
    assert index.validated


def test_only_the_most_recently_used_sidecars_are_kept(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(sidecar, "CACHE_MIN_BYTES", 0)
    monkeypatch.setattr(sidecar, "SIDECARS_KEPT", 2)
    paths = [write_pairs(tmp_path / f"p{i}.jsonl", [pair_record(i)]) for i in range(3)]
    for age, path in enumerate(paths[:2]):
        index_pairs(path)
        os.utime(sidecar_path(path), (1_000_000 + age, 1_000_000 + age))
    index_pairs(paths[0])  # a hit makes p0 the most recently used
    index_pairs(paths[2])  # a third sidecar pushes out the least recently used: p1
    kept = {p.name for p in sidecar_path(paths[0]).parent.glob("*.idx")}
    assert kept == {sidecar_path(paths[0]).name, sidecar_path(paths[2]).name}


# -- background mode gives exactly the eager result (issue 6) ----------------------------------

GOOD_A = b'{"id":"a","prompt":"p","response_a":"x","response_b":"y"}'


@pytest.mark.parametrize(
    "first",
    [
        b'{"id":"a","prompt":"p","response_a":"x","response_b":"y","id":"z"}',
        b'{"id":"a","prompt":"p","response_a":"x","response_b":"y","i\\u0064":"z"}',
        b'{"id":"c","prompt":"p","response_a":"x","response_b":"y","\\u0070riority":2}',
    ],
    ids=["second-id-key", "escaped-id-key", "escaped-priority-key"],
)
def test_the_quick_id_is_never_trusted_when_a_key_could_override_it(tmp_path, first):
    path = tmp_path / "p.jsonl"
    path.write_bytes(GOOD_A + b"\n" + first + b"\n")
    with index_pairs(path, validate="eager") as eager:
        want = (list(eager.ids), eager.issues, [eager.ids[i] for i in eager.serving_order()])
        assert len(eager) == 2 and eager.ids[eager.serving_order()[0]] in ("a", "c")
    with index_pairs(path, validate="background", cache=False) as lazy:
        lazy.validate_all()
        assert not lazy.bad_positions()
        got = (list(lazy.ids), lazy.issues, [lazy.ids[i] for i in lazy.serving_order()])
    assert got == want and want[1] == []


def unstarted_background(monkeypatch, path):
    """A background index whose validation thread has not got anywhere yet."""
    monkeypatch.setattr(PairIndex, "_background", lambda self, save_first: None)
    return index_pairs(path, validate="background", cache=False)


def test_get_settles_a_suspected_duplicate_before_validation_reaches_it(tmp_path, monkeypatch):
    invalid_a = b'{"id":"a","prompt":"p"}'
    b_record = GOOD_A.replace(b'"a"', b'"b"')
    path = tmp_path / "p.jsonl"
    path.write_bytes(b"\n".join([invalid_a, GOOD_A, b_record, b_record, GOOD_A]) + b"\n")
    index = unstarted_background(monkeypatch, path)
    assert len(index) == 5 and not index.validated and index.take_late_issues() == []
    assert index.get(1).id == "a"  # its first is invalid: kept, as the eager scan keeps it
    with pytest.raises(BadPairError, match=r"p\.jsonl:4: duplicate id 'b' \(first seen on line 3"):
        index.get(3)
    with pytest.raises(BadPairError, match=r"duplicate id 'a' \(first seen on line 2"):
        index.get(4)
    late = index.take_late_issues()
    assert [(i.line, i.reason.split(" (")[0]) for i in late] == [
        (1, "response_a: Field required; response_b: Field required"),
        (4, "duplicate id 'b'"),
        (5, "duplicate id 'a'"),
    ]
    assert index.take_late_issues() == []  # each issue is taken once
    assert index.position("a") == 1 and index.bad_positions() == {0, 3, 4}
    index.validate_all()  # finishing adds nothing new, and agrees with the eager scan
    assert index.take_late_issues() == []
    with index_pairs(path) as eager:
        assert [(i.line, i.reason) for i in eager.issues] == [
            (i.line, i.reason) for i in index.issues
        ]
    index.close()


def test_both_modes_keep_the_same_issues_when_there_are_too_many(tmp_path):
    records = [pair_record(i) for i in range(40)]
    raw = {k: b'{"id":"x%d","prompt":"p"}' % k for k in range(0, 40, 3)}
    raw |= {k: b"{broken" for k in range(1, 40, 4)}
    path = write_pairs(tmp_path / "p.jsonl", records, raw_lines=raw)
    eager = index_pairs(path, max_issues=5, cache=False)
    lazy = index_pairs(path, max_issues=5, validate="background", cache=False)
    assert lazy.validate_all() == eager.issues
    assert len(eager.issues) == 6 and eager.issues[-1].reason.startswith("... and ")
    eager.close()
    lazy.close()
