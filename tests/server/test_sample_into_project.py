"""``rankterm sample --server``: monitoring pairs go into a project through the admin import
endpoint (a real uvicorn, a real httpx client), annotators judge them there as any pairs."""

from __future__ import annotations

from pathlib import Path

from rankterm.sources.client import TaskClient
from tests.server.conftest import Backend, judgment
from tests.server.test_cli import run  # the CLI in-process, RanktermError as its exit code

LOGS = Path(__file__).parents[2] / "sample_data" / "production" / "logs.jsonl"


def test_sample_into_a_project_then_judge_there(backend: Backend) -> None:
    project = backend.project()
    _, admin_token = backend.user("admin")
    annotator, annotator_token = backend.user("annotator")
    args = ["sample", str(LOGS), "--server", backend.url, "--project", project]
    args += ["--per-stratum", "2", "--seed", "3"]

    code, out, err = run(*args, env={"RANKTERM_TOKEN": annotator_token})
    assert code != 0, "an annotator's token cannot import pairs"
    assert "added" not in out

    code, out, err = run(*args, env={"RANKTERM_TOKEN": admin_token})
    assert code == 0, (out, err)
    assert out.strip().endswith("30 added to project " + project + ", 0 already present, 0 invalid")
    code, out, _ = run(*args, env={"RANKTERM_TOKEN": admin_token})  # the same draw again
    assert code == 0 and "0 added" in out and "30 already present" in out

    with TaskClient(backend.url, project, annotator_token) as client:
        batch = client.lease(50)
        assert len(batch.leases) == 30
        leased = [item.pair for item in batch.leases]
        assert all("monitor" in pair.metadata for pair in leased)
        windows = {pair.metadata["monitor"]["window"] for pair in leased}
        slices = {pair.metadata["monitor"]["slice"] for pair in leased}
        assert len(windows) == 5 and slices == {"medical", "coding", "travel"}
        one = leased[0]
        acks = client.submit([judgment(one.id, annotator, "A")])
        assert [a.status for a in acks] == ["accepted"]
