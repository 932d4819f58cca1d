"""A careless colleague or a hostile one on a shared host: the journal never writes through a
link or into a file that is not the user's own journal, and what rankterm keeps is private.

The CLI runs as a real process (``python -m rankterm``); refusals must be one clear line on
stderr naming the file, exit code 2 (usage), never a traceback, and leave the file untouched.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rankterm.storage.journal import Journal
from tests.helpers import pair_record, write_pairs

RC = b"export PATH=$HOME/bin:$PATH\n"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rankterm", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    return write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])


def test_a_planted_link_beside_the_pairs_is_not_followed(tmp_path, pairs):
    victim = tmp_path / "bashrc"
    victim.write_bytes(RC)
    (tmp_path / "pairs.judgments.jsonl").symlink_to(victim)
    result = run("annotate", str(pairs), "-a", "mallory-victim")
    assert_refused(result, "pairs.judgments.jsonl", "symbolic link")
    assert victim.read_bytes() == RC


def test_a_dangling_link_does_not_create_its_target(tmp_path, pairs):
    target = tmp_path / "elsewhere" / "planted"
    target.parent.mkdir()
    link = tmp_path / "j.jsonl"
    link.symlink_to(target)
    result = run("annotate", str(pairs), "--out", str(link))
    assert_refused(result, "j.jsonl", "symbolic link")
    assert not target.exists()


def test_out_naming_the_pairs_file_is_refused(tmp_path, pairs):
    before = pairs.read_bytes()
    result = run("annotate", str(pairs), "--out", str(pairs))
    assert_refused(result, "pairs.jsonl", "pairs file")
    assert pairs.read_bytes() == before
    # The same file through another name (a hard link) is the same file.
    alias = tmp_path / "alias.jsonl"
    os.link(pairs, alias)
    assert_refused(run("annotate", str(pairs), "--out", str(alias)), "alias.jsonl", "pairs file")
    assert pairs.read_bytes() == before


def test_an_existing_file_that_is_no_journal_is_refused(tmp_path, pairs):
    notes = tmp_path / "notes.txt"
    notes.write_bytes(RC)
    result = run("annotate", str(pairs), "--out", str(notes))
    assert_refused(result, "notes.txt", "holds no journal record")
    assert notes.read_bytes() == RC


def test_an_existing_journal_is_still_opened(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal.open(path):
        pass
    from rankterm.core.model import Choice, Judgment

    with Journal.open(path) as journal:
        journal.append(Judgment(pair_id="p", annotator="a", choice=Choice.TIE, duration_ms=1))
    with Journal.open(path):  # one valid record: it is a journal
        pass


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
def test_a_journal_owned_by_someone_else_is_refused(tmp_path, pairs):
    theirs = tmp_path / "theirs.jsonl"
    with Journal.open(theirs):
        pass
    os.chown(theirs, 65534, 65534)
    theirs.chmod(0o666)
    result = run("annotate", str(pairs), "--out", str(theirs))
    assert_refused(result, "theirs.jsonl", "belongs to another user")
    assert theirs.read_bytes() == b""


def test_a_new_journal_is_private(tmp_path):
    previous = os.umask(0o022)  # the usual umask, under which files were created 0644
    try:
        with Journal.open(tmp_path / "j.jsonl"):
            pass
    finally:
        os.umask(previous)
    assert mode(tmp_path / "j.jsonl") == 0o600


def test_remote_journals_folder_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from rankterm.sources.remote import default_remote_journal

    path = default_remote_journal("https://labels.example", "proj", "ann")
    assert mode(path.parent) == 0o700
    assert mode(path.parent.parent) == 0o700  # …/rankterm itself


def test_rankterm_folders_made_before_are_tightened_but_chosen_folders_are_not(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    home = tmp_path / "data" / "rankterm"
    (home / "journals").mkdir(parents=True, mode=0o755)
    home.chmod(0o755)
    (home / "journals").chmod(0o755)
    from rankterm.sources.remote import default_remote_journal

    default_remote_journal("https://labels.example", "proj", "ann")
    assert mode(home) == 0o700 and mode(home / "journals") == 0o700
    # A folder the person chose (the pairs file's) keeps its mode.
    chosen = tmp_path / "shared"
    chosen.mkdir(mode=0o755)
    chosen.chmod(0o755)
    pairs = write_pairs(chosen / "pairs.jsonl", [pair_record(0)])
    with Journal.open(chosen / "pairs.judgments.jsonl"):
        pass
    assert mode(chosen) == 0o755
    assert pairs.exists()


def test_default_server_database_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("RANKTERM_DB", raising=False)
    from rankterm.server.settings import default_db_path, resolve_db_url

    url = resolve_db_url(None)
    path = default_db_path()
    assert url.endswith(str(path))
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_config_init_is_private_and_a_readable_token_is_warned_about(tmp_path):
    config = tmp_path / "conf" / "config.toml"
    env = {"RANKTERM_CONFIG": str(config)}
    result = run("config", "--init", env=env)
    assert result.returncode == 0, result.stderr
    assert mode(config) == 0o600
    config.write_text('token = "rt_secret"\n')
    config.chmod(0o644)
    result = run("config", env=env)
    assert result.returncode == 0, result.stderr
    assert "config.toml holds a server token and other users can read it" in result.stderr
    assert "rt_secret" not in result.stderr + result.stdout
    config.chmod(0o600)
    assert "other users can read" not in run("config", env=env).stderr


def test_export_never_overwrites_without_force(tmp_path, pairs):
    journal = tmp_path / "pairs.judgments.jsonl"
    from rankterm.core.model import Choice, Judgment

    with Journal.open(journal) as handle:
        handle.append(
            Judgment(pair_id="pair-000", annotator="a", choice=Choice.A, strength=2, duration_ms=5)
        )
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"precious\n")
    args = ["export", str(journal), "--pairs", str(pairs), "--to", "trl", "-o", str(target)]
    result = run(*args)
    assert_refused(result, "out.jsonl", "--force")
    assert target.read_bytes() == b"precious\n"
    result = run(*args, "--force")
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() != b"precious\n"


def test_remote_session_files_are_private(tmp_path):
    """Against a real server: the outbox journal, the lease cache (pair text), the cached
    guidelines and project settings are 0600, in a 0700 folder rankterm made."""
    pytest.importorskip("fastapi")
    from rankterm.sources.remote import open_remote, queue_path
    from tests.serverproc import ServerProcess, admin

    db = f"sqlite:///{tmp_path / 'server.sqlite'}"
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(4)])
    guide = tmp_path / "guide.md"
    guide.write_text("# Coding\nPrefer runnable code.\n")
    admin(db, "project", "create", "demo", "--overlap", "1")
    admin(db, "user", "add", "alice", "--role", "annotator")
    admin(db, "project", "add-member", "demo", "alice")
    token = admin(db, "token", "create", "alice").split()[0]
    admin(db, "import", "demo", str(pairs))
    admin(db, "guidelines", "demo", str(guide))
    server = ServerProcess(db, log=tmp_path / "server.log").start()
    previous = os.umask(0o022)
    try:
        source, _guide, _issues = open_remote(server.url, "demo", token, annotator="alice")
        try:
            leases = queue_path(source.journal.path)
            deadline = time.monotonic() + 30
            while not leases.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            folder = source.journal.path.parent
            cached = [
                source.journal.path,
                leases,
                folder / (source.journal.path.name + ".guidelines.md"),
                folder / (source.journal.path.name + ".project.json"),
            ]
            for path in cached:
                assert mode(path) == 0o600, f"{path.name}: {oct(mode(path))}"
            assert "Question 0" in leases.read_text()  # it does hold pair text
            assert mode(folder) == 0o700
        finally:
            source.close()
    finally:
        os.umask(previous)
        server.stop()


def test_unpack_never_replaces_a_journal_without_force(tmp_path):
    import orjson

    dump = tmp_path / "dump.ndjson"
    dump.write_bytes(orjson.dumps({"kind": "pair", "pair": pair_record(0)}) + b"\n")
    out = tmp_path / "work"
    out.mkdir()
    journal = out / "judgments.jsonl"
    with Journal.open(journal) as handle:
        from rankterm.core.model import Choice, Judgment

        handle.append(Judgment(pair_id="p", annotator="a", choice=Choice.TIE, duration_ms=1))
    before = journal.read_bytes()
    assert_refused(run("unpack", str(dump), "-o", str(out)), "judgments.jsonl", "--force")
    assert journal.read_bytes() == before
    result = run("unpack", str(dump), "-o", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert journal.read_bytes() == b""  # the dump held no journal record
    assert mode(journal) == 0o600


def test_admin_export_never_overwrites_without_force(tmp_path):
    pytest.importorskip("fastapi")
    db = f"sqlite:///{tmp_path / 'server.sqlite'}"
    assert run("admin", "project", "create", "demo", "--db", db).returncode == 0
    target = tmp_path / "demo.ndjson"
    target.write_bytes(b"precious\n")
    result = run("admin", "export", "demo", "-o", str(target), "--db", db)
    assert_refused(result, "demo.ndjson", "--force")
    assert target.read_bytes() == b"precious\n"
    result = run("admin", "export", "demo", "-o", str(target), "--db", db, "--force")
    assert result.returncode == 0, result.stderr
    assert b'"kind"' in target.read_bytes()
