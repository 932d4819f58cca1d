"""The lease statuses the server answers on renew and release are the client's vocabulary.

The client parses ``/leases/renew`` and ``/leases/release`` answers with
``rankterm.core.wire.LeaseStatuses`` (``status: LeaseState``, a closed Literal): a status outside
it, say a new stored state passed through as it is, would make every client fail to parse
the answer and lose track of its leases. Pinned two ways: every state the server stores has a
wire name, and every answer in a real exchange parses with the client's model.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import get_args

import httpx

from rankterm.core.wire import LEASE_GONE, LeaseState, LeaseStatuses
from tests.server.conftest import Backend, judgment

SERVER = Path(__file__).resolve().parents[2] / "src" / "rankterm" / "server"


def test_every_stored_lease_state_has_a_wire_name() -> None:
    from rankterm.server.scheduling import WIRE_STATES

    written = set()
    for path in SERVER.rglob("*.py"):
        text = path.read_text()
        written |= set(re.findall(r'\bstate\s*=\s*"(\w+)"', text))
        written |= set(re.findall(r'"state":\s*"(\w+)"', text))
    assert {"live", "expired", "released", "consumed"} <= written, written
    assert written <= set(WIRE_STATES), f"no wire name for {written - set(WIRE_STATES)}"
    wire = set(get_args(LeaseState))
    assert set(WIRE_STATES.values()) <= wire
    assert {"renewed", "unknown"} <= wire and wire > LEASE_GONE


def test_renew_and_release_answers_parse_with_the_clients_model(backend: Backend) -> None:
    project = backend.project(n_pairs=6, overlap=1, lease_max_age=2)
    name, token = backend.user()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{backend.url}/v1/projects/{project}"

    def call(path: str, body: object) -> httpx.Response:
        response = httpx.post(f"{base}/{path}", json=body, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        return response

    leases = call("leases", {"n": 4}).json()["leases"]
    live, released, consumed, aged = (item["lease_id"] for item in leases)
    call("leases/release", {"lease_ids": [released]})
    pair = next(item["pair"]["id"] for item in leases if item["lease_id"] == consumed)
    assert (
        call("judgments", {"judgments": [judgment(pair, name).model_dump(mode="json")]}).json()[
            "results"
        ][0]["status"]
        == "accepted"
    )
    nobody = str(uuid.uuid4())
    seen: dict[str, str] = {}
    renewed = LeaseStatuses.model_validate_json(
        call("leases/renew", {"lease_ids": [live, released, consumed, nobody]}).content
    )
    seen |= {str(s.lease_id): s.status for s in renewed.leases}
    assert seen == {
        live: "renewed",
        released: "released",
        consumed: "consumed",
        nobody: "unknown",
    }
    time.sleep(2.2)  # past lease_max_age: a renewal cannot extend it any more
    aged_answer = LeaseStatuses.model_validate_json(
        call("leases/renew", {"lease_ids": [aged]}).content
    )
    assert [s.status for s in aged_answer.leases] == ["expired"]
    again = LeaseStatuses.model_validate_json(
        call("leases/release", {"lease_ids": [released, consumed, nobody, aged, live]}).content
    )
    statuses = [s.status for s in again.leases]
    assert statuses[:3] == ["released", "consumed", "unknown"]
    assert set(statuses) <= set(get_args(LeaseState))
