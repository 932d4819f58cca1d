from __future__ import annotations

import subprocess
import sys

import pytest

from rankterm.core.model import Choice, Judgment, Retraction
from rankterm.storage.journal import Journal, JournalError, JournalLocked, read_journal, replay


def judgment(pair: str, choice: Choice = Choice.A, strength: int | None = 2) -> Judgment:
    return Judgment(pair_id=pair, annotator="ann", choice=choice, strength=strength)


def test_append_then_replay_with_retraction(tmp_path):
    path = tmp_path / "j.jsonl"
    first, second = judgment("p1"), judgment("p2", Choice.TIE, None)
    with Journal.open(path) as journal:
        journal.append(first)
        journal.append_many([second, Retraction(retracts=first.id, pair_id="p1", annotator="ann")])
    state = replay(read_journal(path))
    assert [j.pair_id for j in state.active()] == ["p2"]
    assert first.id in state.retracted


def test_a_torn_last_line_is_reported_and_the_next_append_starts_clean(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal.open(path) as journal:
        journal.append(judgment("p1"))
    with path.open("ab") as handle:
        handle.write(b'{"kind": "judgment", "pair_id": "p2", "annot')  # crash mid-write
    with Journal.open(path) as journal:
        journal.append(judgment("p3"))
    issues = []
    state = replay(read_journal(path, issues))
    assert [j.pair_id for j in state.active()] == ["p1", "p3"]
    assert len(issues) == 1 and issues[0].line == 2 and "invalid JSON" in issues[0].reason


def test_a_second_process_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal.open(path) as journal:
        journal.append(judgment("p1"))
        code = (
            "import sys\n"
            "from rankterm.storage.journal import Journal, JournalLocked\n"
            "try:\n"
            f"    Journal.open({str(path)!r})\n"
            "except JournalLocked as exc:\n"
            "    print(exc); sys.exit(3)\n"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert result.returncode == 3, result.stderr
        assert "open in another rankterm process" in result.stdout
        with pytest.raises(JournalLocked):
            Journal.open(path)  # a second open in the same process is refused too
    assert len(list(read_journal(path))) == 1


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(JournalError, match="does not exist"):
        Journal.open(tmp_path / "missing" / "j.jsonl")


def test_records_without_kind_are_read_as_judgments(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text(
        '{"pair_id": "p1", "annotator": "a", "choice": "B", "strength": 1, '
        '"id": "7d3c51f6-5cc9-4b6b-8c7b-0f2a8b0f9d11", "created_at": "2026-01-01T00:00:00Z"}\n'
        '{"pair_id": "p2", "annotator": "a", "choice": "A", '
        '"id": "8d3c51f6-5cc9-4b6b-8c7b-0f2a8b0f9d11", '
        '"created_at": "2026-01-01T00:00:00Z"}\n'
        '{"pair_id": "p3", "annotator": "a", "choice": "tie"}\n'
    )
    issues = []
    entries = list(read_journal(path, issues))
    assert len(entries) == 1 and entries[0].choice is Choice.B
    assert "strength (1-3) is required" in issues[0].reason
    assert "id, created_at: missing" in issues[1].reason
