"""``rankterm admin guidelines`` says which sections a new version added, removed or changed,
on SQLite and PostgreSQL; the server stamps the new version as before."""

from __future__ import annotations

from rankterm.guidelines import text_version
from tests.server.conftest import Backend
from tests.server.test_cli import run

V1 = "# Guide\n## General\nBe helpful.\n## Code\ntags: python\nCode must run.\n## Tone\nBe kind.\n"
V2 = (
    "# Guide\n## General\nBe   helpful.\n## Code\ntags: python\nCode must run fast.\n"
    "## Math\nShow work.\n"
)


def test_upload_prints_the_section_diff(backend: Backend, tmp_path) -> None:
    project = backend.project(n_pairs=1)
    guide = tmp_path / "g.md"
    guide.write_text(V1)
    code, out, err = run("admin", "guidelines", project, str(guide), "--db", backend.db_url)
    assert code == 0, err
    assert out.splitlines() == [f"guidelines version {text_version(V1)}"]
    guide.write_text(V2)
    code, out, err = run("admin", "guidelines", project, str(guide), "--db", backend.db_url)
    assert code == 0, err
    assert out.splitlines() == [
        f"guidelines version {text_version(V2)}",
        "+ Math",
        "- Tone",
        "~ Code",
    ]
    code, out, _ = run("admin", "guidelines", project, str(guide), "--db", backend.db_url)
    assert code == 0 and out.splitlines()[1] == f"no section changed since {text_version(V2)}"
