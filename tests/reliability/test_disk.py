"""A read-only or full disk: a clear message naming the journal before the first verdict, and a
visible error (never a crash, never lost verdicts) when the disk fills or turns read-only
mid-session.

Real filesystems, not mocks: a read-only bind mount and small tmpfs mounts (see mounts.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from rankterm.core.errors import LoadIssue
from rankterm.core.model import Choice, Judgment
from rankterm.storage.journal import Journal, JournalError, encode, read_journal, replay
from tests.helpers import pair_record, write_pairs
from tests.reliability.hostile import screen_words, squash
from tests.reliability.mounts import fill, loop_mount, make_ext4, read_only, shut_down, tmpfs
from tests.tui.ptyrun import PtyApp

ANNOTATOR = "disk-tester"
SIZE = (140, 36)
PAGE = 4096


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI with no terminal: it must fail before it would need one."""
    return subprocess.run(
        [sys.executable, "-m", "rankterm", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        cwd=cwd,
        check=False,
    )


def assert_clear_failure(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode not in (0, 4), output
    assert "Traceback" not in output, output
    first = done.stderr.strip().splitlines()[0] if done.stderr.strip() else ""
    assert first.startswith("rankterm: "), done.stderr
    for needle in needles:
        assert needle in done.stderr, f"{needle!r} not in {done.stderr!r}"


def judgment(pair_id: str, annotator: str = ANNOTATOR, rationale: str = "") -> Judgment:
    return Judgment(
        pair_id=pair_id, annotator=annotator, choice=Choice.A, strength=2, rationale=rationale
    )


def seed_journal(path: Path, *, size: int | None = None) -> bytes:
    """A journal holding one other annotator's verdict, padded to exactly ``size`` bytes."""
    line = encode(judgment("pair-000", "someone-else"))
    if size is not None:
        line = encode(judgment("pair-000", "someone-else", "x" * (size - len(line))))
        assert len(line) == size
    path.write_bytes(line)
    return line


def verdicts(journal: Path, issues: list[LoadIssue] | None = None) -> list[str]:
    state = replay(read_journal(journal, issues))
    return [j.pair_id for j in state.active(ANNOTATOR)]


# -- before the first verdict -----------------------------------------------------------------


@pytest.mark.parametrize("existing", [False, True], ids=["new-journal", "existing-journal"])
def test_read_only_directory_is_refused_before_the_tui(tmp_path, existing):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    journal = out_dir / "judgments.jsonl"
    before = seed_journal(journal) if existing else None
    with read_only(out_dir):
        done = cli("annotate", str(pairs), "--out", str(journal), "-a", ANNOTATOR)
    assert_clear_failure(done, str(journal), "Read-only file system")
    assert (journal.read_bytes() if existing else journal.exists()) == (before or False)


def test_read_only_pairs_directory_with_the_default_journal(tmp_path):
    """No --out: the journal goes beside the pairs, and that directory is read-only."""
    data = tmp_path / "data"
    data.mkdir()
    pairs = write_pairs(data / "pairs.jsonl", [pair_record(i) for i in range(3)])
    with read_only(data):
        done = cli("annotate", str(pairs), "-a", ANNOTATOR)
    assert_clear_failure(done, str(data / "pairs.judgments.jsonl"), "Read-only file system")


@pytest.mark.parametrize("existing", [False, True], ids=["new-journal", "existing-journal"])
def test_full_disk_is_refused_before_the_tui(tmp_path, existing):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    with tmpfs(tmp_path / "disk", "64k") as disk:
        journal = disk / "judgments.jsonl"
        before = seed_journal(journal) if existing else b""
        fill(disk)
        done = cli("annotate", str(pairs), "--out", str(journal), "-a", ANNOTATOR)
        assert_clear_failure(done, str(journal), "disk is full")
        assert journal.read_bytes() == before if existing else journal.stat().st_size == 0


@pytest.mark.parametrize("case", ["out-is-a-directory", "missing-directory", "out-is-a-file-dir"])
def test_unwritable_journal_paths_are_refused_before_the_tui(tmp_path, case):
    """Not mount-dependent: the other ways a journal path cannot be written."""
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    if case == "out-is-a-directory":
        journal = tmp_path / "journal.jsonl"
        journal.mkdir()
        needles = (str(journal), "Is a directory")
    elif case == "missing-directory":
        journal = tmp_path / "nowhere" / "journal.jsonl"
        needles = (str(journal), "does not exist")
    else:  # a regular file where the journal's directory should be
        (tmp_path / "afile").write_text("not a directory")
        journal = tmp_path / "afile" / "journal.jsonl"
        needles = (str(journal),)
    done = cli("annotate", str(pairs), "--out", str(journal), "-a", ANNOTATOR)
    assert_clear_failure(done, *needles)


# -- during a session ---------------------------------------------------------------------------


def judge(app: PtyApp, key: bytes, next_id: str) -> None:
    start = len(app.snapshot())
    app.send(key)
    app.wait_for(next_id.encode(), start=start)


def wait_for_words(app: PtyApp, message: str, start: int, timeout: float = 30.0) -> None:
    """Wait for a message that may be wrapped over lines of a toast."""
    import time

    deadline = time.monotonic() + timeout
    wanted = squash(message)
    while time.monotonic() < deadline:
        if wanted in screen_words(app.snapshot()[start:]):
            return
        assert app.proc.poll() is None, f"app exited: {screen_words(app.snapshot())[-800:]}"
        time.sleep(0.05)
    raise AssertionError(f"{message!r} not shown; screen: {screen_words(app.snapshot())[-800:]}")


def press_until_refused(app: PtyApp, order: list[str], at: int, reason: str) -> int:
    """Press verdict keys until one is refused with ``reason``; returns how many were saved.

    A full tmpfs still accepts writes that fit in the journal's last, already allocated page,
    so the first few verdicts after filling it may well succeed; each must then be confirmed.
    """
    import time

    for saved in range(40):
        start = len(app.snapshot())
        app.send(b"26"[saved % 2 : saved % 2 + 1])  # alternate: a repeated key is a held key
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            words = screen_words(app.snapshot()[start:])
            if squash("Not saved") in words:
                wait_for_words(app, reason, start)
                return saved
            if app.snapshot().find(order[at + saved + 1].encode(), start) >= 0:
                break
            assert app.proc.poll() is None, "the app died"
            time.sleep(0.02)
        else:
            raise AssertionError("neither saved nor refused")
    raise AssertionError("the disk never filled up")


def test_disk_filling_mid_session_shows_an_error_and_keeps_verdicts(tmp_path, monkeypatch):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(60)])
    order = [f"pair-{i:03d}" for i in range(60)]
    with tmpfs(tmp_path / "disk", "1200k") as disk:
        monkeypatch.chdir(disk)  # short paths on screen: the toast shows the whole message
        journal = disk / "j.jsonl"
        args = ["annotate", str(pairs), "--out", "j.jsonl", "-a", ANNOTATOR]
        app = PtyApp(args, size=SIZE)
        try:
            app.wait_for(order[0].encode())
            for i in range(3):  # different keys: the same one again at once is a held key
                judge(app, b"135"[i : i + 1], order[i + 1])
            filler = fill(disk)
            saved = 3 + press_until_refused(app, order, 3, "could not save (the disk is full)")
            # Still on the same pair, still alive; a second attempt is refused the same way.
            start = len(app.snapshot())
            app.send(b"4")
            wait_for_words(app, "the disk is full", start)
            app.send(b"q")
            assert app.wait_exit() == 4
        finally:
            app.close()
        issues: list[LoadIssue] = []
        assert verdicts(journal, issues) == order[:saved]
        # A write the disk cut short may leave a torn last line; nothing else is bad.
        assert all(i.line == len(journal.read_bytes().splitlines()) for i in issues), issues
        assert all("torn write" in i.reason for i in issues), issues

        # With space again, the next run resumes at the refused pair and saves normally.
        filler.unlink()
        app = PtyApp(args, size=SIZE)
        try:
            app.wait_for(order[saved].encode())
            judge(app, b"7", order[saved + 1])
            app.send(b"q")
            assert app.wait_exit() == 4
        finally:
            app.close()
        issues = []
        assert verdicts(journal, issues) == order[: saved + 1]
        assert len(issues) <= 1  # the repaired fragment, if the disk cut a write short


def test_disk_failing_mid_session_shows_an_error_and_keeps_verdicts(tmp_path, monkeypatch):
    """EIO on every write, as when ext4 shuts itself down on a dying disk. (A read-only remount
    is not possible mid-session: the kernel refuses it while the journal is open for writing.)"""
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(10)])
    order = [f"pair-{i:03d}" for i in range(10)]
    image = make_ext4(tmp_path / "disk.img")
    with loop_mount(image, tmp_path / "ext4") as disk:
        monkeypatch.chdir(disk)
        app = PtyApp(["annotate", str(pairs), "--out", "j.jsonl", "-a", ANNOTATOR], size=SIZE)
        try:
            app.wait_for(order[0].encode())
            judge(app, b"3", order[1])
            judge(app, b"5", order[2])
            shut_down(disk)
            start = len(app.snapshot())
            app.send(b"6")
            wait_for_words(app, "Not saved: j.jsonl: could not save (Input/output error)", start)
            app.send(b"q")
            assert app.wait_exit() == 4
        finally:
            app.close()
        monkeypatch.chdir(tmp_path)
    # Mounted again, as after a reboot: the verdicts confirmed before the failure are on disk.
    with loop_mount(image, tmp_path / "ext4") as disk:
        issues: list[LoadIssue] = []
        assert verdicts(disk / "j.jsonl", issues) == order[:2]
        assert issues == []


# -- a write cut short, then retried ------------------------------------------------------------

# Regression: Journal._write used to leave a short write's bytes in the file when the next
# write() failed (ENOSPC); the next append landed on the same line, and that verdict, shown as
# saved, was unreadable on replay. It now cuts the file back to where the record started.


def _fragment_setup(disk: Path) -> tuple[Path, Path]:
    """A journal ending 64 bytes before a page boundary on a tmpfs that is then filled: the
    next record (~400 bytes) fits only in part, so the kernel writes 64 bytes, then ENOSPC."""
    journal = disk / "j.jsonl"
    seed_journal(journal, size=2 * PAGE - 64)
    return journal, disk


def test_verdict_retried_after_a_short_write_is_kept(tmp_path):
    with tmpfs(tmp_path / "disk", "1200k") as disk:
        journal, _ = _fragment_setup(disk)
        with Journal.open(journal) as open_journal:
            filler = fill(disk)
            with pytest.raises(JournalError, match="disk is full"):
                open_journal.append(judgment("pair-001"))
            # The short write's fragment was cut back: the journal is as it was before.
            assert journal.stat().st_size == 2 * PAGE - 64
            filler.unlink()
            retried = judgment("pair-001")
            open_journal.append(retried)  # succeeds: the caller tells the user it is saved
        issues: list[LoadIssue] = []
        ids = [e.id for e in read_journal(journal, issues)]
        assert retried.id in ids, f"the retried verdict is unreadable: {issues}"


def test_verdict_retried_in_the_tui_after_the_disk_filled_is_kept(tmp_path, monkeypatch):
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(5)])
    order = [f"pair-{i:03d}" for i in range(5)]
    with tmpfs(tmp_path / "disk", "1200k") as disk:
        monkeypatch.chdir(disk)
        journal, _ = _fragment_setup(disk)
        app = PtyApp(["annotate", str(pairs), "--out", "j.jsonl", "-a", ANNOTATOR], size=SIZE)
        try:
            app.wait_for(order[0].encode())
            filler = fill(disk)
            start = len(app.snapshot())
            app.send(b"1")
            wait_for_words(app, "the disk is full", start)
            filler.unlink()
            judge(app, b"1", order[1])  # the annotator sees it saved and moves on
            app.send(b"q")
            assert app.wait_exit() == 4
        finally:
            app.close()
        issues: list[LoadIssue] = []
        assert verdicts(journal, issues) == [order[0]], f"verdict lost; issues: {issues}"


def test_fragment_setup_really_cuts_a_write_short(tmp_path):
    """Guards the two tests above: their setup really produces a short write."""
    with tmpfs(tmp_path / "disk", "1200k") as disk:
        journal, _ = _fragment_setup(disk)
        fd = os.open(journal, os.O_WRONLY | os.O_APPEND)
        try:
            fill(disk)
            record = encode(judgment("pair-001"))
            assert os.write(fd, record) == 64 < len(record)
        finally:
            os.close(fd)
        assert orjson.loads(journal.read_bytes().splitlines()[0])["annotator"] == "someone-else"
