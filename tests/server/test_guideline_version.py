"""The task server stamps guidelines exactly as a local run does (``sha256:`` + 12 hex), on
every route that names a version, and treats a version stored by an older server (64 bare hex)
as the same document."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import text

from rankterm.guidelines import load_guidelines
from rankterm.sources.client import TaskClient
from tests.conftest import SAMPLE_GUIDELINES
from tests.server.conftest import Backend


def _admin(backend: Backend) -> httpx.Client:
    _, token = backend.user("admin")
    return httpx.Client(base_url=backend.url, headers={"Authorization": f"Bearer {token}"})


def test_server_and_local_stamp_the_same_file_the_same_way(backend: Backend) -> None:
    content = SAMPLE_GUIDELINES.read_text(encoding="utf-8")
    local = load_guidelines(SAMPLE_GUIDELINES).version
    project = backend.project(n_pairs=2, overlap=1)
    with _admin(backend) as http:
        posted = http.post(f"/v1/projects/{project}/guidelines", json={"content": content})
        assert posted.status_code == 201 and posted.json()["version"] == local
    _, token = backend.user("annotator")
    with TaskClient(backend.url, project, token) as client:
        assert client.project_info()["guideline_version"] == local
        assert client.guidelines()["version"] == local
        assert client.guidelines(version=local)["content"] == content
        assert client.lease(1).guideline_version == local


def test_a_version_stored_by_an_older_server_is_the_same_document(backend: Backend) -> None:
    content = SAMPLE_GUIDELINES.read_text(encoding="utf-8")
    local = load_guidelines(SAMPLE_GUIDELINES).version
    old_form = hashlib.sha256(content.encode()).hexdigest()
    project = backend.project(n_pairs=2, overlap=1)

    def store_as_before(conn):
        pid = conn.execute(
            text("SELECT id FROM projects WHERE name = :n"), {"n": project}
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO guidelines (project_id, version, content, created_at) "
                "VALUES (:p, :v, :c, 0)"
            ),
            {"p": pid, "v": old_form, "c": content},
        )

    backend.db.write(store_as_before)
    _, token = backend.user("annotator")
    with TaskClient(backend.url, project, token) as client:
        assert client.project_info()["guideline_version"] == local
        assert client.lease(1).guideline_version == local
        assert client.guidelines(version=local)["content"] == content
        assert client.guidelines(version=old_form)["content"] == content
    with _admin(backend) as http:
        again = http.post(f"/v1/projects/{project}/guidelines", json={"content": content})
        assert again.status_code == 201 and again.json()["version"] == local

    def count(conn):
        return conn.execute(
            text(
                "SELECT count(*) FROM guidelines g JOIN projects p ON p.id = g.project_id "
                "WHERE p.name = :n"
            ),
            {"n": project},
        ).scalar_one()

    assert backend.db.write(count) == 1  # uploading the same text again is not a new version
