"""How a person's process is started (token in the environment, never argv; nothing of the
operator's settings leaks in; private folders), and where ``rankterm web`` may listen."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from rankterm.core.errors import UsageError
from rankterm.core.listen import tls_context
from rankterm.web.child import child_spec, person_dir
from rankterm.web.signin import Person


def test_token_goes_in_the_environment_and_operator_settings_stay_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RANKTERM_TOKEN", "operators-own-token")
    monkeypatch.setenv("RANKTERM_CONFIG", "/etc/operator.toml")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-for-annotators")
    spec = child_spec(
        tmp_path,
        Person("ann", "annotator"),
        "ann-token",
        server="https://t",
        project="p",
        mode="annotate",
    )
    assert "ann-token" not in " ".join(spec.argv)
    assert spec.env["RANKTERM_TOKEN"] == "ann-token"
    assert "operators-own-token" not in spec.env.values()
    assert "AWS_SECRET_ACCESS_KEY" not in spec.env
    assert spec.env["RANKTERM_CONFIG"].startswith(str(spec.journal.parent))
    assert spec.env["HOME"] == str(spec.journal.parent)
    assert spec.env["TEXTUAL_DRIVER"].endswith("WebDriver") and spec.env["RANKTERM_WEB"] == "1"
    assert spec.argv[3:] == (
        "annotate",
        "--server",
        "https://t",
        "--project",
        "p",
        "--out",
        str(spec.journal),
    )
    assert stat.S_IMODE(spec.journal.parent.stat().st_mode) == 0o700


def test_each_person_and_mode_has_a_journal_of_its_own(tmp_path: Path) -> None:
    # Two names with the same slug still get two folders.
    assert person_dir(tmp_path, "Ann.Lee") != person_dir(tmp_path, "ann-lee")
    ann = Person("ann", "adjudicator")
    paths = {
        child_spec(tmp_path, ann, "t", server="https://t", project="p", mode=mode).journal
        for mode in ("annotate", "adjudicate")
    }
    assert len(paths) == 2


def test_plain_http_only_on_loopback_unless_told(tmp_path: Path) -> None:
    assert tls_context("127.0.0.1", None, None, False) is None
    assert tls_context("::1", None, None, False) is None
    with pytest.raises(UsageError, match="refusing to serve plain HTTP"):
        tls_context("0.0.0.0", None, None, False)
    assert tls_context("0.0.0.0", None, None, True) is None
    with pytest.raises(UsageError, match="--ssl-keyfile needs --ssl-certfile"):
        tls_context("127.0.0.1", None, tmp_path / "key.pem", False)
    with pytest.raises(UsageError, match="no such file"):
        tls_context("0.0.0.0", tmp_path / "cert.pem", None, False)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_with_a_certificate_and_key(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    assert tls_context("0.0.0.0", cert, key, False) is not None
    with pytest.raises(UsageError, match="for TLS"):
        tls_context("0.0.0.0", key, None, False)  # a key is not a certificate


def test_the_command_refuses_the_network_without_tls() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rankterm",
            "web",
            "--server",
            "http://127.0.0.1:9",
            "--project",
            "p",
            "--host",
            "0.0.0.0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "refusing to serve plain HTTP on 0.0.0.0" in result.stderr
    assert "Traceback" not in result.stderr
