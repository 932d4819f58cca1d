"""Every source implements the whole TaskSource protocol, so screens and commands call it
directly (no ``getattr`` probing, no reaching into ``source.pairs``)."""

from __future__ import annotations

import socket
from pathlib import Path

from rankterm.sources.adjudication import Desk, LocalDesk, RemoteDesk
from rankterm.sources.base import TaskSource
from rankterm.sources.local import open_local
from rankterm.sources.remote import open_remote
from tests.helpers import pair_record, write_pairs


def members(protocol: type) -> set[str]:
    names = set(getattr(protocol, "__annotations__", {}))
    names |= {n for n in vars(protocol) if not n.startswith("_")}
    return names


def missing(obj: object, protocol: type) -> list[str]:
    return sorted(name for name in members(protocol) if not hasattr(obj, name))


def test_local_and_remote_sources_implement_the_whole_protocol(tmp_path: Path) -> None:
    assert {"criteria", "issues", "pending", "indexing", "take_new_issues"} <= members(TaskSource)
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    local, _, _ = open_local(pairs, annotator="a")
    try:
        assert missing(local, TaskSource) == []
        assert local.pending == 0 and local.take_notices() == [] and not local.indexing
    finally:
        local.close()
    with socket.socket() as s:  # a port nobody listens on: the remote source starts offline
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    remote, _, _ = open_remote(
        f"http://127.0.0.1:{port}", "p", "rt_x", annotator="a", out=tmp_path / "r.jsonl"
    )
    try:
        assert missing(remote, TaskSource) == []
        assert remote.issues == [] and remote.take_new_issues() == [] and remote.validated
    finally:
        remote.close(flush_seconds=0.1)


def test_both_desks_implement_the_whole_desk_protocol() -> None:
    for desk in (LocalDesk, RemoteDesk):
        absent = [
            n for n in members(Desk) - {"adjudicator", "guideline_version"} if not hasattr(desk, n)
        ]
        assert absent == [], (desk, absent)
