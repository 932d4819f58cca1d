"""A real SSH session: annotators reach rankterm over ssh from a terminal multiplexer.

A private sshd on 127.0.0.1 (its own host key, authorized key and config, in a temp dir) and a
private tmux server; the test types into the tmux pane with ``send-keys`` and reads the screen
with ``capture-pane``, exactly as a person on the far end of an SSH link would see it.

Needs ``sshd``, ``ssh``, ``ssh-keygen`` (Debian: openssh-server, openssh-client) and ``tmux``;
skips with the reason when one is missing, except in CI (``CI=true``, which ``.ci/run`` sets),
where that fails.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rankterm.storage.journal import read_journal, replay
from tests.helpers import pair_record, write_pairs

REPO = Path(__file__).resolve().parents[2]
SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
MISSING = [
    name
    for name, found in (
        ("sshd (openssh-server)", SSHD),
        ("ssh (openssh-client)", shutil.which("ssh")),
        ("ssh-keygen", shutil.which("ssh-keygen")),
        ("tmux", shutil.which("tmux")),
    )
    if not found
]
#: CI must run this test: there a missing tool is a failure, not a skip only ``-ra`` mentions.
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def _ssh_tools() -> None:
    if MISSING:
        reason = (
            f"needs {', '.join(MISSING)}: apt-get install -y openssh-server openssh-client tmux"
        )
        if IN_CI:
            pytest.fail(f"{reason} (CI is set, so this cannot be skipped)", pytrace=False)
        pytest.skip(reason)


ANNOTATOR = "ssh-tester"
TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, timeout=60
    )
    return path


@contextlib.contextmanager
def sshd(home: Path) -> Iterator[tuple[int, Path]]:
    """A throwaway sshd on 127.0.0.1; yields (port, client private key)."""
    home.mkdir()
    host_key = keygen(home / "host_ed25519")
    client_key = keygen(home / "client_ed25519")
    authorized = home / "authorized_keys"
    authorized.write_text((home / "client_ed25519.pub").read_text())
    authorized.chmod(0o600)
    port = free_port()
    config = home / "sshd_config"
    config.write_text(
        f"Port {port}\n"
        "ListenAddress 127.0.0.1\n"
        f"HostKey {host_key}\n"
        f"PidFile {home / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\n"
        "PermitRootLogin prohibit-password\n"
        "PubkeyAuthentication yes\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
        "StrictModes no\n"
        "PrintMotd no\n"
        "PrintLastLog no\n"
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
    log = (home / "sshd.log").open("wb")
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sshd did not start: {(home / 'sshd.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield port, client_key
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Tmux:
    """A private tmux server (its own socket), one session of a fixed size."""

    def __init__(self, socket_dir: Path, command: str, size: tuple[int, int] = (120, 40)) -> None:
        self.socket = str(socket_dir / "tmux.sock")
        cols, rows = size
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "rt", "-x", str(cols),
                 "-y", str(rows), command)  # fmt: skip

    def run(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", self.socket, *args],
            capture_output=True, text=True, timeout=30, check=True,
        )  # fmt: skip
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "rt")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "rt", *keys)

    def wait_for(self, text: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on screen:\n{self.screen()}")

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.run("kill-server")


def test_annotating_over_a_real_ssh_session(tmp_path):
    order = [f"pair-{i:03d}" for i in range(8)]
    pairs = write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(8)])
    journal = tmp_path / "judgments.jsonl"
    env = {  # the remote login does not inherit the test's isolated config
        "RANKTERM_CONFIG": os.environ.get("RANKTERM_CONFIG", str(tmp_path / "config.toml")),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    rankterm = f"{shlex.quote(sys.executable)} -m rankterm"
    remote = (
        f"cd {shlex.quote(str(REPO))} && "
        + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        + f" {rankterm} annotate {shlex.quote(str(pairs))} --out {shlex.quote(str(journal))}"
        f" --annotator {ANNOTATOR}"
    )
    with sshd(tmp_path / "sshd") as (port, key):
        ssh = shlex.join(
            [
                "ssh", "-t", "-p", str(port), "-i", str(key),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
                f"{getpass.getuser()}@127.0.0.1", remote,
            ]
        )  # fmt: skip
        # Keep the pane after ssh exits, with the exit status, so the end can be read too.
        tmux = Tmux(tmp_path, f"{ssh}; echo SSH-EXIT=$?; sleep 600")
        try:
            tmux.wait_for(order[0])
            for i in range(5):
                tmux.keys(str([1, 3, 4, 6, 0][i]))
                tmux.wait_for(order[i + 1])
            tmux.keys("q")
            screen = tmux.wait_for("SSH-EXIT=")
        finally:
            tmux.close()
    assert f"5/8 pairs judged by {ANNOTATOR}" in screen, screen
    assert "SSH-EXIT=4" in screen, screen  # quit with pairs left
    state = replay(read_journal(journal))
    judged = state.active(ANNOTATOR)
    assert [j.pair_id for j in judged] == order[:5]
    assert [j.choice.value for j in judged][4] == "both_bad"
