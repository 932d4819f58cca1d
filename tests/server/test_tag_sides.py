"""A tag's side (A / B / both) travels from the client to the task server and back: stored in
the judgment's own JSON record (no new column), exported as the journal shape; a side that is
not A/B/both, or names a tag the judgment lacks, is rejected (the verdict, not the batch)
with the field named."""

from __future__ import annotations

import httpx
import orjson

from rankterm.sources.client import TaskClient
from tests.server.conftest import Backend, judgment


def test_tag_sides_round_trip(backend: Backend) -> None:
    project = backend.project(n_pairs=3, overlap=1)
    name, token = backend.user("annotator")
    with TaskClient(backend.url, project, token) as client:
        leased = client.lease(2).leases
        sided = judgment(
            leased[0].pair.id,
            name,
            "B",
            tags=["hallucination", "toxicity"],
            tag_sides={"toxicity": "A"},
            shown_swapped=leased[0].shown_swapped,
        )
        old_style = judgment(leased[1].pair.id, name, "both_bad", tags=["privacy_leak"])
        acks = client.submit([sided, old_style])
        assert [a.status for a in acks] == ["accepted", "accepted"]
        assert client.submit([sided])[0].status == "duplicate"
    _, admin = backend.user("admin")
    with httpx.Client(base_url=backend.url, headers={"Authorization": f"Bearer {admin}"}) as http:
        lines = http.get(f"/v1/projects/{project}/export").content.splitlines()
    stored = {r["id"]: r for r in map(orjson.loads, lines) if r.get("kind") == "judgment"}
    assert stored[str(sided.id)]["tag_sides"] == {"toxicity": "A"}
    assert stored[str(sided.id)]["tags"] == ["hallucination", "toxicity"]
    assert stored[str(old_style.id)].get("tag_sides", {}) == {}


def test_bad_tag_sides_are_refused_by_field(backend: Backend) -> None:
    project = backend.project(n_pairs=2, overlap=1)
    name, token = backend.user("annotator")
    with TaskClient(backend.url, project, token) as client:
        pair_id = client.lease(1).leases[0].pair.id
    body = orjson.loads(judgment(pair_id, name, "A", tags=["toxicity"]).model_dump_json())
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=backend.url, headers=headers) as http:
        for sides, needle in (({"toxicity": "left"}, "tag_sides"), ({"bias": "A"}, "bias")):
            sent = http.post(
                f"/v1/projects/{project}/judgments",
                json={"judgments": [{**body, "tag_sides": sides}]},
            )
            assert sent.status_code == 200, sent.text
            (result,) = sent.json()["results"]
            assert result["status"] == "rejected" and needle in result["reason"]
