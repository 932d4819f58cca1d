"""Conflicts reach the adjudication queue by the project's rule; resolutions settle them."""

from __future__ import annotations

from rankterm.core.model import Resolution
from rankterm.sources.client import TaskClient
from tests.server.conftest import Backend, judgment


def test_conflict_queue_and_resolution(backend: Backend) -> None:
    project = backend.project(n_pairs=3, overlap=2, conflict_rule="opposite_sides")
    a, ta = backend.user()
    b, tb = backend.user()
    judge, tj = backend.user("adjudicator")
    verdicts = {"p00000": ("A", "B"), "p00001": ("A", "tie"), "p00002": ("B", "B")}
    with TaskClient(backend.url, project, ta) as ca, TaskClient(backend.url, project, tb) as cb:
        for client, name, k in ((ca, a, 0), (cb, b, 1)):
            leased = sorted(i.pair.id for i in client.lease(3).leases)
            assert leased == sorted(verdicts)
            client.submit([judgment(p, name, verdicts[p][k]) for p in leased])
    with TaskClient(backend.url, project, tj) as cj:
        queue = cj.conflicts()
        assert [item.pair.id for item in queue] == ["p00000"]
        assert sorted(j.annotator for j in queue[0].judgments) == sorted([a, b])
        cj.add_comment("p00000", "Which side is right here?")
        settle = Resolution(
            pair_id="p00000",
            adjudicator=judge,
            choice="A",
            strength=1,
            considered=[j.id for j in queue[0].judgments],
        )
        assert cj.resolve([settle])[0].status == "accepted"
        assert cj.resolve([settle])[0].status == "duplicate"
        not_contested = Resolution(pair_id="p00002", adjudicator=judge, choice="B", strength=2)
        assert cj.resolve([not_contested])[0].status == "rejected"
        assert cj.conflicts() == []
        done = cj.conflicts(include_resolved=True)
        assert [r.choice for r in done[0].resolutions] == ["A"]
        assert cj.project_progress()["resolved"] == 1
    with TaskClient(backend.url, project, ta) as ca:
        thread = ca.comments("p00000")
        assert [(c.author, c.text) for c in thread] == [(judge, "Which side is right here?")]
