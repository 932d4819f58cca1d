"""Schemathesis against the task server's own OpenAPI schema: whatever a client sends to any
operation (data the schema allows, and data it forbids), with any role's token, the server
answers below 500 and never echoes a token.

Requests go to a real ``rankterm serve`` process. Half of the generated cases have their
``project`` path parameter pointed at a project that exists, so the fuzz gets past the 404
and into the handlers.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from tests.reliability.serverstack import make_pairs, stack

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES_PER_OPERATION = 25
ROLES = ("annotator", "adjudicator", "admin")


@pytest.mark.stress
def test_no_operation_answers_5xx_or_leaks_a_token(tmp_path):
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    with stack("sqlite", tmp_path) as s:
        s.project("fuzzed", make_pairs(20), overlap=2)
        tokens = {role: s.user(f"fuzz-{role}", role) for role in ROLES}
        schema = schemathesis.openapi.from_url(f"{s.url}/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20, "the schema lists fewer operations than the server has"

        def fuzz(operation, mode) -> None:
            label = f"{operation.method.upper()} {operation.path} ({mode.value})"

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(
                case=operation.as_strategy(mode), role=st.sampled_from(ROLES), real=st.booleans()
            )
            def run(case, role, real):
                if real and case.path_parameters and "project" in case.path_parameters:
                    case.path_parameters["project"] = "fuzzed"
                response = case.call(
                    base_url=s.url,
                    headers={"Authorization": f"Bearer {tokens[role]}"},
                    timeout=60,
                )
                sent[label] += 1
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{label} -> {response.status_code}: {response.text[:300]}")
                for token in tokens.values():
                    assert token not in response.text, f"{label} echoed a token"

            try:
                run()
            except Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): the positive run covers it.
                assert mode is schemathesis.GenerationMode.NEGATIVE, label

        for operation in operations:
            fuzz(operation, schemathesis.GenerationMode.POSITIVE)
            if list(operation.iter_parameters()) or operation.get_request_payload_content_types():
                fuzz(operation, schemathesis.GenerationMode.NEGATIVE)  # data the schema forbids
        log = s.log.read_text(errors="replace")
    assert not failures, "\n".join(failures[:20])
    assert "Traceback" not in log, log[log.find("Traceback") :][:3000]
    for token in tokens.values():
        assert token not in log
    print(
        f"\nschema fuzz: {sum(sent.values())} requests over {len(sent)} operations; "
        f"statuses {dict(sorted(statuses.items()))}"
    )
