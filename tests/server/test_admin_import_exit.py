"""``rankterm admin import`` with some bad lines: the good ones go in, each bad one is named
(file:line: field), and the exit status says so (ExitCode.INCOMPLETE) so a script notices.

Runs on SQLite and PostgreSQL. A NUL in a string is named as a bad line, as the HTTP import
refuses it (server/bodies.py: PostgreSQL text cannot hold one); before, the file import stored
it on both databases.
"""

from __future__ import annotations

import httpx
import orjson
from sqlalchemy import select

from rankterm.core.exits import ExitCode
from rankterm.server import tables as t
from rankterm.server.core import get_project
from tests.server.conftest import Backend
from tests.server.test_cli import run


def good(pair_id: str) -> bytes:
    return orjson.dumps({"id": pair_id, "prompt": "p", "response_a": "x", "response_b": "y"})


def stored_ids(backend: Backend, project: str) -> set[str]:
    def work(conn):
        pid = get_project(conn, project).id
        rows = conn.execute(select(t.pairs.c.pair_id).where(t.pairs.c.project_id == pid))
        return set(rows.scalars())

    with backend.db.read() as conn:
        return work(conn)


def test_bad_lines_are_named_the_good_imported_and_the_exit_is_incomplete(
    backend: Backend, tmp_path
) -> None:
    project = backend.project()
    pairs = tmp_path / "pairs.jsonl"
    lines = [
        good("a"),
        b"broken",
        b'{"id": "b", "prompt": "p", "response_a": "x"}',
        b'{"id": "nul", "prompt": "p\\u0000q", "response_a": "x", "response_b": "y"}',
        good("c"),
    ]
    pairs.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = run("admin", "import", project, str(pairs), "--db", backend.db_url)
    assert code == ExitCode.INCOMPLETE, (code, out, err)
    assert "2 added, 0 already present, 3 invalid" in out
    assert "pairs.jsonl:2: invalid JSON" in err
    assert "pairs.jsonl:3: response_b" in err
    assert "pairs.jsonl:4: prompt: contains a NUL character" in err
    assert stored_ids(backend, project) == {"a", "c"}
    # Again: the good lines are already there; the bad ones still make the status say so.
    code, out, _ = run("admin", "import", project, str(pairs), "--db", backend.db_url)
    assert code == ExitCode.INCOMPLETE and "0 added, 2 already present, 3 invalid" in out


def test_a_clean_import_exits_ok(backend: Backend, tmp_path) -> None:
    project = backend.project()
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(good("a") + b"\n" + good("b") + b"\n")
    code, out, err = run("admin", "import", project, str(pairs), "--db", backend.db_url)
    assert (code, out.strip()) == (ExitCode.OK, "2 added, 0 already present, 0 invalid"), err
    assert stored_ids(backend, project) == {"a", "b"}


def test_an_id_taken_by_other_content_is_named_not_skipped_as_present(
    backend: Backend, tmp_path
) -> None:
    """A regenerated file whose ids collide with pairs already judged: before, the new text was
    counted "already present" and dropped without a word, so people went on judging the old
    one under the new file's name. Identical content is still simply present."""
    project = backend.project()
    first = tmp_path / "first.jsonl"
    first.write_bytes(good("a") + b"\n" + good("b") + b"\n")
    assert run("admin", "import", project, str(first), "--db", backend.db_url)[0] == ExitCode.OK
    other = orjson.dumps({"id": "b", "prompt": "p", "response_a": "x", "response_b": "CHANGED"})
    twice = orjson.dumps({"id": "d", "prompt": "p", "response_a": "x", "response_b": "other"})
    second = tmp_path / "second.jsonl"
    second.write_bytes(b"\n".join([good("a"), other, good("d"), twice]) + b"\n")
    code, out, err = run("admin", "import", project, str(second), "--db", backend.db_url)
    assert code == ExitCode.INCOMPLETE, (code, out, err)
    assert "1 added, 1 already present, 2 invalid" in out
    assert "second.jsonl:2: id 'b' is already in the project with other content" in err
    assert "second.jsonl:4: id 'd' is already in this file (line 3) with other content" in err
    # Over HTTP too: the import's answer names the record.
    with httpx.Client(base_url=backend.url) as client:
        _, admin_token = backend.user("admin")
        answer = client.post(
            f"/v1/projects/{project}/pairs",
            content=other + b"\n",
            headers={
                "Authorization": f"Bearer {admin_token}",
                "Content-Type": "application/x-ndjson",
            },
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["added"], body["existing"], body["invalid"]) == (0, 0, 1), body
    assert "id 'b' is already in the project with other content" in body["issues"][0]
