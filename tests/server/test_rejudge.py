"""Issue #17 §1 on the task server: ``rankterm admin guidelines PROJECT NEW.md --requeue``
queues blind re-judgments of the judged pairs whose tags meet a changed section, plus those an
adjudicator marked guideline unclear; each annotator who judged such a pair gets it again,
blind; the new verdict is linked to the one it replaces, stamped with the new version, and
the report counts changed verdicts. SQLite and PostgreSQL, real server."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select

from rankterm.core.model import Pair, Resolution
from rankterm.guidelines import text_version
from rankterm.server import tables as t
from rankterm.sources.client import RetryPolicy, TaskClient
from tests.server.conftest import Backend, judgment
from tests.server.rank_helpers import make_rank_tasks, ranking
from tests.server.test_cli import run

V1 = (
    "# Guide\n## General\nBe helpful.\n## Code\ntags: python\nCode must run.\n"
    "## Tone\ntags: tone\nBe kind.\n"
)
#: Code changed; General re-wrapped only (not a change); Tone as it was.
V2 = (
    "# Guide\n## General\nBe   helpful.\n## Code\ntags: python\nCode must run and be fast.\n"
    "## Tone\ntags: tone\nBe kind.\n"
)
ONCE = RetryPolicy(attempts=1)


def _client(backend: Backend, project: str, token: str) -> TaskClient:
    return TaskClient(backend.url, project, token, retry=ONCE, timeout=30)


def _upload(backend: Backend, project: str, tmp_path, text: str, *more: str) -> list[str]:
    guide = tmp_path / f"g{uuid.uuid4().hex[:6]}.md"
    guide.write_text(text)
    code, out, err = run("admin", "guidelines", project, str(guide), "--db", backend.db_url, *more)
    assert code == 0, err
    return out.splitlines()


def _judged_project(backend: Backend, tmp_path) -> dict[str, Any]:
    """Six pairs (two tagged python, two tone, two untagged) and a python-tagged ranking
    task, judged under V1 by two annotators (overlap 2: everything done); p2 marked guideline
    unclear by an admin."""
    project = backend.project(overlap=2)
    _upload(backend, project, tmp_path, V1)
    tags = {0: ["python"], 1: ["python"], 2: ["tone"], 3: ["tone"]}
    pairs = [
        Pair(
            id=f"p{i}", prompt=f"q{i}", response_a=f"a{i}", response_b=f"b{i}", tags=tags.get(i, [])
        )
        for i in range(6)
    ]
    task = make_rank_tasks(1, k=3)[0].model_copy(update={"tags": ["python"]})
    backend.add_pairs(project, [*pairs, task])
    people = [backend.user() for _ in range(2)]
    first: dict[str, dict[str, Any]] = {}
    for name, token in people:
        with _client(backend, project, token) as c:
            items = c.lease(20).leases
            assert len(items) == 7
            verdicts = [
                judgment(
                    i.pair.id,
                    name,
                    shown_swapped=i.shown_swapped,
                    guideline_version=text_version(V1),
                )
                for i in items
                if i.pair.id != task.id
            ]
            assert {a.status for a in c.submit(verdicts)} == {"accepted"}
            acks = c.submit_rankings(
                [ranking(task.id, name, [[0], [1], [2]], guideline_version=text_version(V1))]
            )
            assert {a.status for a in acks} == {"accepted"}
            first[name] = {i.pair.id: i for i in items}
    admin, admin_token = backend.user("admin")
    unclear = Resolution(pair_id="p2", adjudicator=admin, guideline_unclear=True, note="?")
    response = httpx.post(
        f"{backend.url}/v1/projects/{project}/resolutions",
        json={"resolutions": [unclear.model_dump(mode="json")]},
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=30,
    )
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "accepted"
    return {
        "project": project,
        "people": people,
        "first": first,
        "task": task.id,
        "admin_token": admin_token,
    }


def _queued(backend: Backend, project: str) -> list[tuple[str, str, bool]]:
    Q, P, U = t.rejudges, t.pairs, t.users
    with backend.db.read() as conn:
        rows = conn.execute(
            select(P.c.pair_id, U.c.name, Q.c.done_at)
            .join(P, P.c.seq == Q.c.pair_seq)
            .join(U, U.c.id == Q.c.user_id)
            .join(t.projects, t.projects.c.id == Q.c.project_id)
            .where(t.projects.c.name == project)
        ).all()
    return sorted((r.pair_id, r.name, r.done_at is not None) for r in rows)


def test_requeue_changed_picks_changed_sections_and_unclear_once(
    backend: Backend, tmp_path
) -> None:
    s = _judged_project(backend, tmp_path)
    project, names = s["project"], sorted(n for n, _ in s["people"])
    out = _upload(backend, project, tmp_path, V2, "--requeue", "changed")
    assert out == [
        f"guidelines version {text_version(V2)}",
        "~ Code",
        f"requeue changed: 8 re-judgments of 4 pairs by 2 annotators under {text_version(V2)} "
        "(8 queued now, 0 already queued)",
        "  3 pairs: section changed: Code",
        "  1 pair: guideline unclear",
    ]
    picked = {"p0", "p1", "p2", s["task"]}
    assert _queued(backend, project) == sorted((p, n, False) for p in picked for n in names)
    # The same upload and requeue again: nothing queued twice.
    again = _upload(backend, project, tmp_path, V2, "--requeue", "changed")
    assert again[-3] == (
        f"requeue changed: 8 re-judgments of 4 pairs by 2 annotators under {text_version(V2)} "
        "(0 queued now, 8 already queued)"
    )
    assert len(_queued(backend, project)) == 8


def test_requeue_none_queues_nothing_and_unclear_only_the_unclear(
    backend: Backend, tmp_path
) -> None:
    s = _judged_project(backend, tmp_path)
    project = s["project"]
    out = _upload(backend, project, tmp_path, V2)
    assert out == [f"guidelines version {text_version(V2)}", "~ Code"]
    out = _upload(backend, project, tmp_path, V2, "--requeue", "none")
    assert not any("requeue" in line for line in out)
    assert _queued(backend, project) == []
    with _client(backend, project, s["people"][0][1]) as c:
        assert c.lease(10).leases == []
    # The admin API, as a remote admin would call it.
    response = httpx.post(
        f"{backend.url}/v1/projects/{project}/guidelines",
        json={"content": V2, "requeue": "unclear"},
        headers={"Authorization": f"Bearer {s['admin_token']}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == text_version(V2)
    assert body["requeue"]["picked"] == 2 and body["requeue"]["queued"] == 2
    assert body["requeue"]["by_reason"] == {"guideline unclear": 1}
    names = sorted(n for n, _ in s["people"])
    assert _queued(backend, project) == [("p2", n, False) for n in names]


def test_rejudgment_is_blind_linked_versioned_and_reported(backend: Backend, tmp_path) -> None:
    s = _judged_project(backend, tmp_path)
    project, task = s["project"], s["task"]
    (name, token), (other, _) = s["people"]
    _upload(backend, project, tmp_path, V2, "--requeue", "changed")
    fresh = Pair(id="p9", prompt="q9", response_a="a9", response_b="b9", tags=["tone"])
    backend.add_pairs(project, [fresh])
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{backend.url}/v1/projects/{project}"
    response = httpx.post(f"{base}/leases", json={"n": 10}, headers=headers, timeout=30)
    assert response.status_code == 200
    leases = response.json()["leases"]
    assert sorted(item["pair"]["id"] for item in leases) == ["p0", "p1", "p2", "p9", task]
    with backend.db.read() as conn:
        kinds = dict(
            conn.execute(
                select(t.leases.c.id, t.leases.c.kind).where(
                    t.leases.c.id.in_([uuid.UUID(item["lease_id"]) for item in leases])
                )
            ).all()
        )
    by_id = {item["pair"]["id"]: item for item in leases}
    assert {p: kinds[uuid.UUID(i["lease_id"])] for p, i in by_id.items()} == {
        "p0": "rejudge",
        "p1": "rejudge",
        "p2": "rejudge",
        task: "rejudge",
        "p9": "normal",
    }
    # Blind: the same fields as an ordinary lease of a new pair (no earlier verdict, no mark),
    # a random lease id, and a blind repeat's side order (the inverse of the first showing).
    normal = by_id["p9"]
    first = s["first"][name]
    for pair_id in ("p0", "p1", "p2", task):
        item = by_id[pair_id]
        assert set(item) == set(normal)
        if pair_id != task:
            assert set(item["pair"]) == set(normal["pair"])
        assert "rejudge" not in str(item) and "verdict" not in str(item)
        assert uuid.UUID(item["lease_id"]).version == 4
        assert item["shown_swapped"] is (not first[pair_id].shown_swapped)
    # Judge again under V2: p0 changes verdict, p1 and p2 do not; the ranking changes.
    v2 = text_version(V2)
    swapped = {item["pair"]["id"]: item["shown_swapped"] for item in leases}
    with _client(backend, project, token) as c:
        verdicts = [
            judgment(
                p, name, "B" if p == "p0" else "A", shown_swapped=swapped[p], guideline_version=v2
            )
            for p in ("p0", "p1", "p2", "p9")
        ]
        assert {a.status for a in c.submit(verdicts)} == {"accepted"}
        acks = c.submit_rankings([ranking(task, name, [[2], [1], [0]], guideline_version=v2)])
        assert {a.status for a in acks} == {"accepted"}
        assert c.lease(10).leases == []  # nothing owed any more
    J, P, U = t.judgments, t.pairs, t.users
    with backend.db.read() as conn:
        rows = conn.execute(
            select(J.c.id, J.c.superseded, J.c.data, P.c.pair_id, P.c.conflict)
            .join(P, P.c.seq == J.c.pair_seq)
            .join(U, U.c.id == J.c.user_id)
            .where(U.c.name == name)
        ).all()
    by_pair: dict[str, list[Any]] = {}
    for row in rows:
        by_pair.setdefault(row.pair_id, []).append(row)
    assert "rejudge_of" not in by_pair["p9"][0].data
    for pair_id in ("p0", "p1", "p2", task):
        old, new = sorted(by_pair[pair_id], key=lambda r: r.superseded, reverse=True)
        assert old.superseded and not new.superseded  # the earlier one stays, replaced
        assert new.data["rejudge_of"] == str(old.id)
        assert new.data["guideline_version"] == v2
        assert old.data["guideline_version"] == text_version(V1)
        assert new.data["source"] is None
    assert by_pair["p0"][0].conflict  # the label of record is the re-judgment: now A vs B
    assert not [r for r in rows if r.pair_id in ("p3", "p4", "p5", "p9") and r.superseded]
    assert sorted(q for q in _queued(backend, project) if q[1] == name) == [
        (p, name, True) for p in sorted(["p0", "p1", "p2", task])
    ]
    # The author gets their records back without the link.
    mine = httpx.get(f"{base}/me/judgments", headers=headers, timeout=30).json()["judgments"]
    assert len(mine) >= 12 and not any("rejudge_of" in r for r in mine)
    # The export keeps both verdicts.
    admin = {"Authorization": f"Bearer {s['admin_token']}"}
    export = httpx.get(f"{base}/export", headers=admin, timeout=30).text
    assert export.count('"rejudge_of"') == 4
    # The report: per version, and how often the re-judged verdicts changed.
    stats = httpx.get(f"{base}/stats", headers=admin, timeout=30).json()["guideline_versions"]
    assert [v["version"] for v in stats["versions"]] == [text_version(V1), v2]
    assert stats["versions"][1]["judgments"] == 4
    assert stats["rejudges"] == {
        "queued": 8,
        "open": 4,
        "judged": 4,
        "changed": 2,
        "changed_rate": 0.5,
        "transitions": [
            {"from": text_version(V1), "to": v2, "judgments": 4, "changed": 2, "changed_rate": 0.5}
        ],
    }
    assert stats["rejudged"]["pairs"] == 3 and stats["rejudged"]["changed"] == 1
    code, out, err = run("admin", "project", "show", project, "--db", backend.db_url)
    assert code == 0, err
    assert "rejudges = 8 queued, 4 open, 4 re-judged, 2 changed verdict (rate 0.5)" in out
    # Re-running after the re-judgments: the re-judged verdicts are under V2 now; only the
    # other annotator's are still owed, and they are queued already.
    again = _upload(backend, project, tmp_path, V2, "--requeue", "changed")
    assert "(0 queued now, 4 already queued)" in again[-3]
    assert len(_queued(backend, project)) == 8
    assert other != name
    # A correction of a re-judgment (under the same, used lease) replaces it and links to it;
    # the report follows the links back to the first verdict; no queue row is touched.
    with _client(backend, project, token) as c:
        fix = judgment("p1", name, "B", shown_swapped=swapped["p1"], guideline_version=v2)
        assert {a.status for a in c.submit([fix])} == {"accepted"}
    with backend.db.read() as conn:
        data = conn.execute(select(J.c.data).where(J.c.id == fix.id)).scalar_one()
    p1_new = next(r for r in by_pair["p1"] if not r.superseded)
    assert data["rejudge_of"] == str(p1_new.id)
    stats = httpx.get(f"{base}/stats", headers=admin, timeout=30).json()["guideline_versions"]
    assert stats["rejudges"]["transitions"] == [
        {"from": text_version(V1), "to": v2, "judgments": 4, "changed": 3, "changed_rate": 0.75}
    ]
    assert stats["rejudges"]["open"] == 4


def test_each_verdict_is_diffed_against_the_text_it_was_made_under(
    backend: Backend, tmp_path
) -> None:
    """Tone changed from V0 to V1, Code from V1 to V2: at V2, a tone pair judged under V0 is
    re-queued (its text's Tone moved), one judged under V1 is not; a code pair is either way."""
    v0 = V1.replace("Be kind.", "Be nice.")
    project = backend.project(overlap=1)
    name, token = backend.user()
    pairs = {
        "t0": ["tone"],
        "t1": ["tone"],
        "c0": ["python"],
        "c1": ["python"],
        "g0": [],
    }
    backend.add_pairs(
        project,
        [
            Pair(id=p, prompt="q", response_a="a", response_b="b", tags=tags)
            for p, tags in pairs.items()
        ],
    )
    _upload(backend, project, tmp_path, v0)
    with _client(backend, project, token) as c:
        for batch, version in ((("t0", "c0", "g0"), v0), (("t1", "c1"), V1)):
            if version == V1:
                _upload(backend, project, tmp_path, V1)
            items = c.lease(10).leases
            stamp = text_version(version)
            verdicts = [
                judgment(i.pair.id, name, shown_swapped=i.shown_swapped, guideline_version=stamp)
                for i in items
                if i.pair.id in batch
            ]
            assert len(verdicts) == len(batch)
            assert {a.status for a in c.submit(verdicts)} == {"accepted"}
            c.release([i.lease_id for i in items if i.pair.id not in batch])
    out = _upload(backend, project, tmp_path, V2, "--requeue", "changed")
    assert out[-3:] == [
        f"requeue changed: 3 re-judgments of 3 pairs by 1 annotator under {text_version(V2)} "
        "(3 queued now, 0 already queued)",
        "  2 pairs: section changed: Code",
        "  1 pair: section changed: Tone",
    ]
    assert _queued(backend, project) == [(p, name, False) for p in ("c0", "c1", "t0")]
