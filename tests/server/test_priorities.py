"""Priorities after import: the admin route, the client call and ``rankterm admin priority``.

A re-import skips existing ids, so before this nothing could change a pair's priority."""

from __future__ import annotations

import httpx

from rankterm.core.model import Pair
from rankterm.sources.client import TaskClient, TaskServerError
from tests.server.conftest import Backend
from tests.server.test_cli import run


def _pairs(n: int) -> list[Pair]:
    return [Pair(id=f"q{i}", prompt="p", response_a="a", response_b="b") for i in range(n)]


def test_new_priorities_change_what_is_served(backend: Backend) -> None:
    project = backend.project(overlap=1)
    backend.add_pairs(project, _pairs(4))
    backend.add_pairs(
        project, [Pair(id="q0", prompt="p", response_a="a", response_b="b", priority=9)]
    )
    _, admin = backend.user("admin")
    _, token = backend.user()
    with TaskClient(backend.url, project, admin) as c:
        result = c.set_priorities([("q2", 5.0), ("q3", 7.0), ("q1", 0.0), ("nope", 1.0)])
    assert result == {"updated": 2, "unchanged": 1, "unknown_count": 1, "unknown": ["nope"]}
    with TaskClient(backend.url, project, token) as c:
        order = [c.lease(1).leases[0].pair.id for _ in range(4)]
    # The re-import's priority 9 was skipped with the pair; the update took.
    assert order == ["q3", "q2", "q0", "q1"]


def test_only_admins_and_the_same_answers_as_other_admin_routes(backend: Backend) -> None:
    project = backend.project(n_pairs=2)
    _, annotator = backend.user()
    _, adjudicator = backend.user("adjudicator")
    _, admin = backend.user("admin")
    body = {"priorities": [{"id": "p00000", "priority": 3}]}

    def patch(token: str, name: str, json: object = body) -> httpx.Response:
        return httpx.patch(
            f"{backend.url}/v1/projects/{name}/priorities",
            json=json,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    for token in (annotator, adjudicator):
        # 403 whether the project or the pair exists or not: nothing learnt.
        answers = {
            (r.status_code, r.json()["detail"])
            for r in (patch(token, project), patch(token, "nosuchproject"))
        }
        assert answers == {(403, "this needs the admin role")}
        bogus = {"priorities": [{"id": "p-unknown", "priority": 3}]}
        assert patch(token, project, bogus).json() == patch(token, project).json()
    missing = patch(admin, "nosuchproject")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no project named 'nosuchproject'"
    bad = patch(admin, project, {"priorities": [{"id": "p00000", "priority": "high"}]})
    assert bad.status_code == 422 and "priority" in str(bad.json()["detail"])
    too_many = {"priorities": [{"id": f"x{i}", "priority": 1} for i in range(2001)]}
    assert patch(admin, project, too_many).status_code == 422
    with TaskClient(backend.url, project, annotator) as c:
        try:
            c.set_priorities([("p00000", 1.0)])
        except TaskServerError as exc:
            assert exc.status == 403
        else:
            raise AssertionError("an annotator set a priority")


def test_cli_from_files_and_by_rule(backend: Backend, tmp_path) -> None:
    project = backend.project(overlap=1, ordering="priority")
    pairs = _pairs(3)
    pairs[1].metadata = {"reward_a": 0.1, "reward_b": 0.0}  # close: teaches the most
    pairs[2].metadata = {"reward_a": 4.0, "reward_b": 0.0}
    backend.add_pairs(project, pairs)
    jsonl = tmp_path / "prio.jsonl"
    jsonl.write_text('{"id": "q0", "priority": 3}\n\n{"id": "zz", "priority": 1}\n')
    code, out, _ = run("admin", "priority", project, str(jsonl), "--db", backend.db_url)
    assert (code, out.strip()) == (0, "1 updated, 0 unchanged, 1 unknown")
    csv_file = tmp_path / "prio.csv"
    csv_file.write_text("id,priority\nq1,2\nq2,oops\n")
    code, _, err = run("admin", "priority", project, str(csv_file), "--db", backend.db_url)
    assert code == 2 and err == f"{csv_file}:3: field priority: a finite number is required"
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "q0", "priority": 1}\n{"id": \n')
    code, _, err = run("admin", "priority", project, str(broken), "--db", backend.db_url)
    assert code == 2 and err.startswith(f"{broken}:2: invalid JSON")
    code, _, err = run("admin", "priority", project, "--db", backend.db_url)
    assert code == 2 and "FILE" in err
    code, _, err = run("admin", "priority", project, "--rule", "vibes", "--db", backend.db_url)
    assert code == 2 and "known rules" in err
    code, out, _ = run("admin", "priority", project, "--rule", "margin", "--db", backend.db_url)
    assert (code, out.strip()) == (0, "2 updated, 0 unchanged, 0 unknown")
    _, token = backend.user()
    with TaskClient(backend.url, project, token) as c:
        order = [c.lease(1).leases[0].pair.id for _ in range(3)]
    assert order == ["q0", "q1", "q2"]  # 3 (by file), then margin 0.95, then 0.04


def test_a_huge_body_is_not_read_for_an_annotator_and_refused_for_an_admin(
    backend: Backend,
) -> None:
    """As every admin route (tests/attacks/test_admin_bodies.py): the role is checked before
    the body is read, and an admin's body beyond the route's budget is refused while it
    streams."""
    from tests.attacks.test_admin_bodies import MAX_GROWTH_MB, _string_body
    from tests.attacks.test_body_limits import peak_mb, play, reset_peak, rss_mb

    project = backend.project(n_pairs=1)
    _, annotator = backend.user()
    _, admin = backend.user("admin")
    body = _string_body("priorities")
    url = f"{backend.url}/v1/projects/{project}/priorities"
    pid = backend.server.proc.pid
    for token, wanted in ((annotator, 403), (admin, 413)):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        reset_peak(pid)
        before = rss_mb(pid)
        status, _ = play(url, body, headers, method="PATCH")
        assert status in (wanted, None), status
        assert peak_mb(pid) - before < MAX_GROWTH_MB
