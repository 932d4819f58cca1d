"""The journal fsyncs every append, and the directory of a new journal, before returning.

Without the fsync a verdict the UI has moved past can vanish in a power cut, and nothing a
process can observe would show it: the only other guard is the loop-mounted disk test, which
needs root. Here ``os.fsync`` is observed as the journal module calls it (the real call still
runs): each one is recorded with what the descriptor is (``os.fstat``: which file, how many
bytes it holds at that moment, whether it is a directory), so the test knows the fsync was of
the journal itself, came after the whole record was written, and came before the call returned.
"""

from __future__ import annotations

import os
import stat
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

import rankterm.storage.journal as journal_module
from rankterm.core.model import Choice, Judgment, Retraction
from rankterm.storage.journal import Journal, read_journal


@dataclass(frozen=True)
class Synced:
    """One fsync call: the file it was for, that file's size then, and what the directory
    held at that moment (directories only)."""

    file: tuple[int, int]
    size: int
    is_dir: bool
    journal_listed: bool


class FsyncLog:
    """Gives the journal module an ``os`` whose ``fsync`` records each call, then fsyncs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, journal_path: Path) -> None:
        self.calls: list[Synced] = []
        self._journal_path = journal_path
        spy = types.SimpleNamespace(**{name: getattr(os, name) for name in dir(os)})
        spy.fsync = self._fsync
        monkeypatch.setattr(journal_module, "os", spy)

    def _fsync(self, fd: int) -> None:
        info = os.fstat(fd)
        is_dir = stat.S_ISDIR(info.st_mode)
        listed = is_dir and self._journal_path.name in os.listdir(fd)
        self.calls.append(Synced(identity(info), info.st_size, is_dir, listed))
        os.fsync(fd)

    def take(self) -> list[Synced]:
        calls, self.calls = self.calls, []
        return calls


def identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def judgment(pair: str) -> Judgment:
    return Judgment(pair_id=pair, annotator="ann", choice=Choice.A, strength=2)


def test_creating_a_journal_fsyncs_its_directory_with_the_new_entry_in_it(tmp_path, monkeypatch):
    path = tmp_path / "j.jsonl"
    log = FsyncLog(monkeypatch, path)
    journal = Journal.open(path)
    try:
        during_open = log.take()
        directory = identity(os.stat(tmp_path))
        assert [c for c in during_open if c.is_dir and c.file == directory and c.journal_listed]
    finally:
        journal.close()

    # Opening an existing journal again has no new directory entry to make durable.
    with Journal.open(path):
        assert not [c for c in log.take() if c.is_dir]


def test_every_append_is_fsynced_whole_before_it_returns(tmp_path, monkeypatch):
    path = tmp_path / "j.jsonl"
    log = FsyncLog(monkeypatch, path)
    with Journal.open(path) as journal:
        log.take()
        file = identity(os.stat(path))
        first = judgment("p1")
        steps = [
            lambda: journal.append(first),
            lambda: journal.append_many([judgment("p2"), judgment("p3")]),
            lambda: journal.append(Retraction(retracts=first.id, pair_id="p1", annotator="ann")),
        ]
        for step in steps:
            step()
            size = os.stat(path).st_size
            # Synced before returning: the calls made during this one include an fsync of the
            # journal file holding every byte the append wrote.
            synced = [c for c in log.take() if c.file == file]
            assert synced, "append returned without fsyncing the journal"
            assert synced[-1].size == size, (synced, size)
    assert len(list(read_journal(path))) == 4


def test_the_recorder_sees_what_it_claims(tmp_path, monkeypatch):
    """The spy stands in for ``os`` only in the journal module and records real fsyncs."""
    path = tmp_path / "j.jsonl"
    log = FsyncLog(monkeypatch, path)
    assert journal_module.os.fsync is not os.fsync
    assert journal_module.os.write is os.write
    with open(path, "wb") as handle:
        handle.write(b"12345")
        handle.flush()
        journal_module.os.fsync(handle.fileno())
    assert log.take() == [Synced(identity(os.stat(path)), 5, False, False)]
