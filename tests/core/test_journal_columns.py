"""The lean analytics replay gives what ``load_journals`` gives, on messy realistic journals."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from rankterm.core.errors import LoadIssue
from rankterm.quality import lowest_agreement, quality_summary
from rankterm.storage.journal import load_journals
from rankterm.storage.journal_columns import LeanJudgment, read_lean

FIELDS = (
    "pair_id",
    "annotator",
    "choice",
    "strength",
    "created_at",
    "shown_swapped",
    "duration_ms",
    "guideline_version",
    "flagged",
)


def _verdict(rng: random.Random) -> tuple[str, int | None]:
    choice = rng.choice(["A", "A", "B", "B", "tie", "both_bad"])
    return choice, (rng.randint(1, 3) if choice in ("A", "B") else None)


def messy_journals(folder: Path, *, pairs: int = 120, seed: int = 3) -> list[Path]:
    """Journals with what real ones hold: re-judgments, retractions (before and after their
    judgment), the same record in two files, resolutions, comments, acks, odd but valid
    encodings that need the model, and bad lines of every kind."""
    rng = random.Random(seed)
    names = [f"ann{i}" for i in range(6)]
    t0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
    lines: dict[str, list[bytes]] = {n: [] for n in names}
    lines["adjudicator"] = []
    written: list[tuple[str, dict]] = []

    def put(who: str, record: dict | bytes) -> None:
        raw = record if isinstance(record, bytes) else orjson.dumps(record)
        lines[who].append(raw)
        if isinstance(record, dict):
            written.append((who, record))

    for i in range(pairs):
        pid = f"p{i:04d}"
        for who in rng.sample(names, rng.choice([1, 2, 3, 3, 4])):
            choice, strength = _verdict(rng)
            record = {
                "schema_version": 1,
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "created_at": (t0 + timedelta(seconds=i * 40 + rng.random() * 30)).isoformat(),
                "kind": "judgment",
                "pair_id": pid,
                "annotator": who,
                "choice": choice,
                "strength": strength,
                "tags": rng.choice([[], [], ["hallucination"], ["unsafe", "long"]]),
                "rationale": rng.choice(["", "because", "A is *right*"]),
                "flagged": rng.random() < 0.05,
                "shown_swapped": rng.random() < 0.5,
                "duration_ms": rng.randint(0, 90_000),
                "guideline_version": rng.choice(["v1", "v2", None]),
            }
            style = rng.random()
            if style < 0.05:
                record["created_at"] = record["created_at"].replace("+00:00", "Z")
            elif style < 0.08:
                del record["kind"]  # schema 0: kind defaults to judgment
            elif style < 0.10:
                record["id"] = record["id"].upper()  # valid, but only the model normalises it
            elif style < 0.12:
                if strength is not None:
                    record["strength"] = str(strength)  # the model coerces "2" to 2
            elif style < 0.14:
                record["criteria"] = {"helpfulness": choice}
            elif style < 0.16:
                record["extra_column"] = [1, 2]
            elif style < 0.18:
                record["created_at"] = (t0 + timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%S+02:00")
            put(who, record)
            if rng.random() < 0.1:  # re-judged later
                choice, strength = _verdict(rng)
                again = dict(
                    record,
                    id=str(uuid.uuid4()),
                    choice=choice,
                    strength=strength,
                    created_at=(t0 + timedelta(days=2, seconds=i)).isoformat(),
                )
                put(who, again)
            if rng.random() < 0.06:  # undone
                retraction = {
                    "kind": "retraction",
                    "id": str(uuid.uuid4()),
                    "created_at": (t0 + timedelta(days=3)).isoformat(),
                    "retracts": record["id"],
                    "pair_id": pid,
                    "annotator": who,
                }
                if rng.random() < 0.5:
                    lines[who].insert(0, orjson.dumps(retraction))  # before the judgment
                else:
                    put(who, retraction)
            if rng.random() < 0.05:  # the same record synced into another journal too
                put(rng.choice(names), record)
            if rng.random() < 0.05:
                put(
                    who,
                    {
                        "kind": "ack",
                        "id": str(uuid.uuid4()),
                        "created_at": t0.isoformat(),
                        "judgment_id": record["id"],
                    },
                )
        if rng.random() < 0.1:
            settled = rng.random() < 0.8
            choice, strength = _verdict(rng)
            put(
                "adjudicator",
                {
                    "kind": "resolution",
                    "id": str(uuid.uuid4()),
                    "created_at": (t0 + timedelta(days=5, seconds=i)).isoformat(),
                    "pair_id": pid,
                    "adjudicator": "boss",
                    "choice": choice if settled else None,
                    "strength": strength if settled else None,
                    "guideline_unclear": not settled,
                    "note": "" if settled else "unclear",
                },
            )
        if rng.random() < 0.05:
            put(
                "adjudicator",
                {
                    "kind": "comment",
                    "id": str(uuid.uuid4()),
                    "created_at": t0.isoformat(),
                    "pair_id": pid,
                    "author": "boss",
                    "text": "look",
                },
            )
    good = {
        "id": str(uuid.uuid4()),
        "created_at": t0.isoformat(),
        "kind": "judgment",
        "pair_id": "p0000",
        "annotator": "ann0",
        "choice": "A",
        "strength": 2,
    }
    bad = [
        b"{not json",
        b"[1, 2, 3]",
        b'"a string"',
        orjson.dumps({**good, "id": None}),
        orjson.dumps({k: v for k, v in good.items() if k != "created_at"}),
        orjson.dumps({**good, "strength": None}),
        orjson.dumps({**good, "choice": "tie"}),
        orjson.dumps({**good, "strength": 5}),
        orjson.dumps({**good, "strength": True}),
        orjson.dumps({**good, "choice": "C"}),
        orjson.dumps({**good, "annotator": ""}),
        orjson.dumps({**good, "duration_ms": -1}),
        orjson.dumps({**good, "tags": ["ok", 3]}),
        orjson.dumps({**good, "tags": None}),
        orjson.dumps({**good, "criteria": None}),
        orjson.dumps({**good, "flagged": "yes"}),
        orjson.dumps({**good, "created_at": "yesterday"}),
        orjson.dumps({**good, "id": "not-a-uuid"}),
        orjson.dumps({**good, "kind": "mystery"}),
        orjson.dumps({**good, "schema_version": None}),
        b"   ",
    ]
    for raw in bad:
        lines[rng.choice(names)].insert(rng.randint(0, 20), raw)
    paths = []
    for who, content in lines.items():
        path = folder / f"{who}.jsonl"
        data = b"\n".join(content) + b"\n"
        if who == names[-1]:
            data += b'{"kind": "judgment", "id": "torn'  # a crash mid-write
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.fixture
def journals(tmp_path: Path) -> list[Path]:
    return messy_journals(tmp_path)


def test_same_standing_judgments_in_the_same_order(journals: list[Path]) -> None:
    full_issues: list[LoadIssue] = []
    lean_issues: list[LoadIssue] = []
    state = load_journals(journals, full_issues)
    lean = read_lean(journals, lean_issues)
    expected = state.active()
    assert len(expected) > 200 and state.retracted and len(state.resolutions) > 3
    assert [str(i) for i in lean_issues] == [str(i) for i in full_issues]
    assert len(lean_issues) >= 18
    assert len(lean.judgments) == len(expected)
    for row, judgment in zip(lean.judgments, expected, strict=True):
        assert isinstance(row, LeanJudgment)
        for name in FIELDS:
            assert getattr(row, name) == getattr(judgment, name), name
        assert tuple(row.tags) == tuple(judgment.tags)
        assert row.ordinal == judgment.ordinal
    assert lean.resolutions == state.resolutions
    assert lean.latest_resolutions() == state.latest_resolutions()
    assert lean.active("ann1") == [r for r in lean.judgments if r.annotator == "ann1"]


def test_other_fields_are_read_back_from_the_line(journals: list[Path]) -> None:
    state = load_journals(journals)
    lean = read_lean(journals)
    for row, judgment in list(zip(lean.judgments, state.active(), strict=True))[:40]:
        assert row.full() == judgment
        assert row.rationale == judgment.rationale
        assert row.id == judgment.id


def test_file_stats_count_records_and_bad_lines(journals: list[Path]) -> None:
    lean = read_lean(journals)
    for stats in lean.files:
        issues: list[LoadIssue] = []
        state_kinds = [e.kind for e in _entries(stats.path, issues)]
        assert stats.records == len(state_kinds)
        assert stats.bad_lines == len(issues)
        assert sum(stats.kinds.values()) == stats.records


def _entries(path: Path, issues: list[LoadIssue]):
    from rankterm.storage.journal import read_journal

    return list(read_journal(path, issues))


def test_missing_journal_reads_as_empty(tmp_path: Path) -> None:
    lean = read_lean([tmp_path / "nothing.jsonl"])
    assert lean.judgments == [] and lean.files[0].records == 0


def test_quality_figures_are_identical(journals: list[Path]) -> None:
    state = load_journals(journals)
    lean = read_lean(journals)
    full = quality_summary(
        state.active(), resolutions=state.latest_resolutions(), slice_keys=["judgment.tags"]
    )
    fast = quality_summary(
        lean.active(), resolutions=lean.latest_resolutions(), slice_keys=["judgment.tags"]
    )
    assert fast == full
    assert [i.to_dict() for i in lowest_agreement(lean.active(), limit=15)] == [
        i.to_dict() for i in lowest_agreement(state.active(), limit=15)
    ]
