"""Our Label Studio files through a real Label Studio, both ways.

Label Studio (the PyPI ``label-studio`` package) has dependencies that do not sit beside ours,
so ``.ci/run`` installs it into its own venv, ``.ci/.label-studio-venv``, and migrates a
template data dir there once (the migrations take minutes; a copy of the migrated database
starts in under one). The test starts the server from that venv on a free port bound to
127.0.0.1 (it binds every interface unless ``--internal-host`` says otherwise), with a
temporary data dir, no version check, no analytics and no error reporting, so it reaches
nothing beyond this machine. It is skipped when Label Studio is not installed, except under
``CI=true``, where that fails. ``RANKTERM_LABEL_STUDIO`` may name another ``label-studio``.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from rankterm.core.model import Choice, Judgment, Pair
from rankterm.formats import FORMATS, Imported, ImportReader
from rankterm.formats.transfer import run_export
from rankterm.labels import LabelOptions, LabelPolicy
from rankterm.storage.journal import replay

pytestmark = [pytest.mark.interop, pytest.mark.label_studio, pytest.mark.timeout(400)]

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".ci" / ".label-studio-venv"
#: The migrated data dir .ci/run leaves in the venv (beside bin/).
TEMPLATE = "template-data"
DATA = Path(__file__).parent / "data"
TOKEN = "5f1e0c3a9b7d4e2f8a6c1b0d9e8f7a6b5c4d3e2f"
STARTUP_SECONDS = 240

PAIRWISE_CONFIG = """<View>
  <Text name="prompt" value="$prompt"/>
  <Text name="response_a" value="$response_a"/>
  <Text name="response_b" value="$response_b"/>
  <Pairwise name="pairwise" toName="response_a,response_b"/>
</View>"""

RANKER_CONFIG = """<View>
  <Text name="prompt" value="$prompt"/>
  <List name="answers" value="$items" title="All Results"/>
  <Ranker name="rank" toName="answers"/>
</View>"""

PAIRS = [
    Pair(id="q1", prompt="Explain DNS in one line.", response_a="DNS maps names to addresses.",
         response_b="DNS is a sandwich.", model_a="small", model_b="large",
         metadata={"question_id": 17, "nested": {"x": [1, 2]}}, tags=["tech"]),
    Pair(id="q2", prompt="Capital of Chad?", response_a="Lagos", response_b="N'Djamena",
         metadata={"question_id": "58210e39b3fd4441"}),
    Pair(id="q3", prompt="Say hi <b>bold</b> & \u00e9", response_a="hi", response_b="Hello!"),
]  # fmt: skip
JUDGMENTS = [
    Judgment(pair_id="q1", annotator="alice", choice=Choice.A, strength=3, rationale="accurate",
             tags=["factual"]),
    Judgment(pair_id="q2", annotator="alice", choice=Choice.B, strength=1),
    Judgment(pair_id="q3", annotator="bob", choice=Choice.B, strength=2),
]  # fmt: skip


def _executable() -> Path | None:
    named = os.environ.get("RANKTERM_LABEL_STUDIO")
    for candidate in ([Path(named)] if named else []) + [VENV / "bin" / "label-studio"]:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory) -> Iterator[httpx.Client]:
    """A real Label Studio on 127.0.0.1 with a fresh data dir, and a client holding its token."""
    exe = _executable()
    if exe is None:
        message = (
            "Label Studio is not installed: .ci/run installs it into .ci/.label-studio-venv "
            "(uv venv + uv pip install label-studio)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    data = tmp_path_factory.mktemp("label-studio")
    template = exe.parent.parent / TEMPLATE / "label_studio.sqlite3"
    if template.is_file():
        shutil.copy2(template, data / "label_studio.sqlite3")
    port = _free_port()
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data),
        "LABEL_STUDIO_USERNAME": "ci@rankterm.test",
        "LABEL_STUDIO_PASSWORD": "rankterm-ci-password",
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "DJANGO_DB": "sqlite",
    }
    log_path = data / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1",
         "--port", str(port), "--data-dir", str(data)],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, headers={"Authorization": f"Token {TOKEN}"}, timeout=60)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"Label Studio exited ({proc.returncode}):\n{_tail(log_path)}")
            try:
                if client.get("/api/projects").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Label Studio not up in {STARTUP_SECONDS} s:\n{_tail(log_path)}")
            time.sleep(1)
        client.port = port  # type: ignore[attr-defined]
        yield client
    finally:
        client.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


def _project(client: httpx.Client, title: str, config: str) -> int:
    response = client.post("/api/projects", json={"title": title, "label_config": config})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _export(client: httpx.Client, project: int) -> list[dict]:
    response = client.get(f"/api/projects/{project}/export", params={"exportType": "JSON"})
    assert response.status_code == 200, response.text
    return response.json()


def test_it_listens_on_loopback_only(label_studio):
    assert _listening_addresses(label_studio.port) == {"0100007F"}  # 127.0.0.1


def test_label_studio_takes_our_export_and_its_export_reads_back_exactly(label_studio, tmp_path):
    out = io.BytesIO()
    summary = run_export(
        FORMATS["label-studio"], iter(PAIRS), LabelPolicy(replay(JUDGMENTS), LabelOptions()), out
    )
    assert summary.records == 3
    project = _project(label_studio, "rankterm pairwise", PAIRWISE_CONFIG)
    # Uploaded as a file, the way a person imports it in the UI.
    response = label_studio.post(
        f"/api/projects/{project}/import",
        files={"file": ("judgments.json", out.getvalue(), "application/json")},
    )
    assert response.status_code == 201, response.text
    assert response.json()["task_count"] == 3
    assert response.json()["annotation_count"] == 3
    tasks = _export(label_studio, project)
    assert len(tasks) == 3
    selected = {
        t["data"]["id"]: [r["value"]["selected"] for a in t["annotations"] for r in a["result"]]
        for t in tasks
    }
    assert selected == {"q1": ["left"], "q2": ["right"], "q3": ["right"]}
    # Label Studio's own export, read by our import: the same pairs and labels.
    path = tmp_path / "from-label-studio.json"
    path.write_bytes(orjson.dumps(tasks))
    with ImportReader(path) as reader:
        assert reader.format.name == "label-studio"
        back = list(reader)
    assert all(isinstance(i, Imported) for i in back), back
    originals = {p.id: p for p in PAIRS}
    verdicts = {j.pair_id: j for j in JUDGMENTS}
    assert sorted(i.pair.id for i in back) == ["q1", "q2", "q3"]
    for item in back:
        assert item.pair == originals[item.pair.id]
        verdict = verdicts[item.pair.id]
        assert (item.label.choice, item.label.strength) == (verdict.choice, verdict.strength)
        assert (item.label.rationale, list(item.label.tags)) == (verdict.rationale, verdict.tags)


def test_ranker_annotations_from_label_studio_become_pairwise_labels(label_studio, tmp_path):
    fixture = orjson.loads((DATA / "label_studio_ranker.json").read_bytes())
    tasks = [
        {"data": t["data"], "annotations": [{"result": a["result"]} for a in t["annotations"]]}
        for t in fixture
    ]
    project = _project(label_studio, "rankterm ranker", RANKER_CONFIG)
    response = label_studio.post(f"/api/projects/{project}/import", json=tasks)
    assert response.status_code == 201, response.text
    exported = _export(label_studio, project)
    path = tmp_path / "ranker.json"
    path.write_bytes(orjson.dumps(exported))

    def preferences(source: Path) -> dict[frozenset[str], str | None]:
        """The two texts of each pair -> the preferred one (task ids, so sides, differ)."""
        with ImportReader(source) as reader:
            items = [i for i in reader if isinstance(i, Imported)]
        prefs = {}
        for i in items:
            texts = frozenset((i.pair.response_a, i.pair.response_b))
            choice = i.label.choice if i.label else None
            prefs[texts] = {Choice.A: i.pair.response_a, Choice.B: i.pair.response_b}.get(choice)
        return prefs

    got = preferences(path)
    assert len(got) == 4
    assert got == preferences(DATA / "label_studio_ranker.json")
    assert sum(1 for choice in got.values() if choice is not None) == 3  # one pair disagreed
