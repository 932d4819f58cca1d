"""Item 12 of issue 13: transport. ``rankterm serve`` speaks TLS for real, refuses plain HTTP
beyond loopback unless told ``--insecure-http``, and a password written into a server URL is
never printed by the client.

TLS is tested for real: a self-signed certificate made by the ``openssl`` command for this
test, a ``rankterm serve`` process using it, and httpx requests over https, both raw and
through rankterm's own client. The database plays no part in these, so they run on SQLite.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import Backend, free_port, server_env

SECRET = "s3cretpw"


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def serve(db: Path, *args: str, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [sys.executable, "-m", "rankterm", "serve", "--db", str(db), "--port", str(port)]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*command, *args], stdout=out, stderr=subprocess.STDOUT, env=server_env()
        )
    return proc, port


def wait_health(proc: subprocess.Popen, url: str, log: Path, **kw) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{url}/v1/health", timeout=2, **kw)
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"no answer: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "rankterm", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or server_env(),
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "tasks.example.org"])
def test_plain_http_beyond_loopback_needs_insecure_http(tmp_path: Path, host: str) -> None:
    done = run_cli(
        "serve", "--db", str(tmp_path / "s.db"), "--host", host, "--port", str(free_port())
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    message = done.stderr
    assert "plain HTTP" in message and "--insecure-http" in message, message
    assert "--ssl-certfile" in message and "SSH tunnel" in message, message
    assert "Traceback" not in message
    assert not (tmp_path / "s.db").exists(), "refused before touching the database"


def test_insecure_http_is_an_explicit_choice(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    proc, port = serve(tmp_path / "s.db", "--host", "0.0.0.0", "--insecure-http", log=log)
    try:
        assert wait_health(proc, f"http://127.0.0.1:{port}", log).status_code == 200
    finally:
        stop(proc)


def test_bad_tls_files_are_a_usage_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    for args, says in [
        (["--ssl-certfile", str(tmp_path / "missing.pem")], "no such file"),
        (["--ssl-certfile", str(junk), "--ssl-keyfile", str(junk)], "cannot use"),
        (["--ssl-keyfile", str(junk)], "--ssl-keyfile needs --ssl-certfile"),
    ]:
        done = run_cli("serve", "--db", str(tmp_path / "s.db"), "--port", str(free_port()), *args)
        assert done.returncode == 2, (args, done.stderr)
        assert says in done.stderr and "Traceback" not in done.stderr, done.stderr


def _user_token(db: Path) -> tuple[str, str]:
    from rankterm.server import users
    from rankterm.server.db import Database
    from rankterm.server.migrate import run_migrations

    database = Database(f"sqlite:///{db}")
    try:
        run_migrations(database)
        name = f"tls{uuid.uuid4().hex[:6]}"

        def work(conn) -> str:
            users.add_user(conn, name, "annotator", {})
            return users.create_token(conn, name)

        return name, database.write(work)
    finally:
        database.dispose()


def test_tls_for_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rankterm.sources.client import ServerUnavailable, TaskClient

    cert, key = make_cert(tmp_path)
    db = tmp_path / "s.db"
    name, token = _user_token(db)
    log = tmp_path / "server.log"
    proc, port = serve(
        db, "--host", "0.0.0.0", "--ssl-certfile", str(cert), "--ssl-keyfile", str(key), log=log
    )
    try:
        trusted = ssl.create_default_context(cafile=str(cert))
        url = f"https://127.0.0.1:{port}"
        assert wait_health(proc, url, log, verify=trusted).status_code == 200
        me = httpx.get(f"{url}/v1/me", headers={"Authorization": f"Bearer {token}"}, verify=trusted)
        assert me.status_code == 200 and me.json()["name"] == name
        # Really TLS: a client that does not trust the certificate refuses it...
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{url}/v1/health")
        # ...and plain HTTP to the same port gets no answer.
        with pytest.raises(httpx.HTTPError):
            response = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5)
            raise AssertionError(f"plain HTTP answered {response.status_code}")
        # rankterm's own client, trusting the certificate the usual way (SSL_CERT_FILE).
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        with TaskClient(f"https://localhost:{port}", token=token) as client:
            assert client.me()["name"] == name
        monkeypatch.delenv("SSL_CERT_FILE")
        from rankterm.sources.client import RetryPolicy

        with (
            TaskClient(url, token=token, retry=RetryPolicy(attempts=1)) as client,
            pytest.raises(ServerUnavailable),
        ):
            client.me()
    finally:
        stop(proc)
    assert "Traceback" not in log.read_text()


def _journal_with_one_judgment(path: Path) -> None:
    from rankterm.core.model import Judgment
    from rankterm.storage.journal import Journal

    with Journal.open(path) as journal:
        journal.append(Judgment(pair_id="p00000", annotator="alice", choice="tie"))


def test_a_password_in_the_server_url_is_never_printed(
    sqlite_backend: Backend, tmp_path: Path
) -> None:
    from rankterm.core.errors import RanktermError
    from rankterm.sources.client import RetryPolicy, ServerUnavailable, TaskClient
    from rankterm.sources.remote import default_remote_journal

    journal = tmp_path / "j.jsonl"
    _journal_with_one_judgment(journal)
    env = {**server_env(), "RANKTERM_TOKEN": "rt_not_a_real_token"}
    closed = f"http://alice:{SECRET}@127.0.0.1:{free_port()}"
    # Unreachable (the message this issue found the password in)...
    done = run_cli("sync", str(journal), "--server", closed, "--project", "x", env=env)
    assert done.returncode != 0
    assert "unreachable" in done.stderr, done.stderr
    assert SECRET not in done.stdout + done.stderr, done.stderr
    # ...and a server that answers with an error.
    port = sqlite_backend.url.rsplit(":", 1)[1]
    live = f"http://alice:{SECRET}@127.0.0.1:{port}"
    done = run_cli("sync", str(journal), "--server", live, "--project", "x", env=env)
    assert done.returncode != 0 and "HTTP 401" in done.stderr, done.stderr
    assert SECRET not in done.stdout + done.stderr, done.stderr
    # What `rankterm config` shows.
    shown = run_cli("config", env={**server_env(), "RANKTERM_SERVER": live})
    assert shown.returncode == 0 and "***@127.0.0.1" in shown.stdout, shown.stdout
    assert SECRET not in shown.stdout + shown.stderr
    # The client's own messages and repr, and the file name of a remote journal.
    client = TaskClient(closed, "x", "tok", retry=RetryPolicy(attempts=1))
    with pytest.raises(ServerUnavailable) as caught:
        client.health()
    assert SECRET not in str(caught.value) and SECRET not in repr(client)
    with pytest.raises(RanktermError) as caught:
        TaskClient(f"ftp://alice:{SECRET}@host")
    assert SECRET not in str(caught.value)
    assert SECRET not in str(default_remote_journal(closed, "x", "alice"))
