"""A pre-imported ``rankterm`` process that forks a fresh CLI run onto a pseudo-terminal.

Starting the CLI costs seconds of imports (Textual, pydantic) on a busy 2-core machine, so fifty
crash cycles through ``python -m rankterm`` would take minutes of mostly import time. The zygote
imports once, then ``fork`` s a child per run; the child becomes a session leader on its own
pty and calls :func:`rankterm.commands.cli.main` — the same entry point as the ``rankterm``
script, with its own process, its own file descriptors and locks, killed with a real SIGKILL.
Nothing in rankterm is replaced or mocked: only the interpreter's import work is shared.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

_SERVER = r"""
import json, os, signal, sys
import rankterm.commands.cli
import rankterm.commands
import rankterm.sources.local
import rankterm.tui.app
import textual.drivers.linux_driver  # noqa: F401  (the driver the child will use)
from textual.widgets import Footer, Label, Static, TextArea  # noqa: F401  (lazily loaded)

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
out = sys.stdout
out.write("ready\n"); out.flush()
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid:
        out.write(f"{pid}\n"); out.flush()
        continue
    # The child: a new session whose controlling terminal is the pty, then the real CLI.
    code = 70
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        fd = os.open(request["tty"], os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(fd, target)
        if fd > 2:
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.update(request["env"])
        sys.stdin = sys.__stdin__ = open(0, "r", closefd=False)
        sys.stdout = sys.__stdout__ = open(1, "w", closefd=False, buffering=1)
        sys.stderr = sys.__stderr__ = open(2, "w", closefd=False, buffering=1)
        sys.argv = ["rankterm", *request["argv"]]
        try:
            rankterm.commands.cli.main(request["argv"])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush(); sys.stderr.flush()
    finally:
        os._exit(code)
"""


class Zygote:
    """The long-lived parent; one per test, closed at the end."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=full_env,
            text=True,
            bufsize=1,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        if ready.strip() != "ready":
            raise RuntimeError(f"zygote failed to start: {ready!r}")

    def spawn(self, argv: list[str], tty: str, env: dict[str, str] | None = None) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"argv": argv, "tty": tty, "cwd": os.getcwd(), "env": env or {}}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class ForkedPtyApp:
    """Like :class:`tests.tui.ptyrun.PtyApp`, but the CLI run is forked from a :class:`Zygote`."""

    def __init__(self, zygote: Zygote, args: list[str], *, size: tuple[int, int] = (120, 40)):
        self.master, self._slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(self._slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.pid = zygote.spawn(args, os.ttyname(self._slave))
        self.output = bytearray()
        self._lock = threading.Lock()
        self._stop = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.output += chunk

    def snapshot(self) -> bytes:
        with self._lock:
            return bytes(self.output)

    def alive(self) -> bool:
        return _alive(self.pid)

    def wait_for(self, needle: bytes, timeout: float = 30.0, start: int = 0) -> int:
        """Wait until ``needle`` appears after byte offset ``start``; returns its end offset."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.snapshot().find(needle, start)
            if found >= 0:
                return found + len(needle)
            if not self.alive():
                break
            time.sleep(0.01)
        found = self.snapshot().find(needle, start)
        if found >= 0:
            return found + len(needle)
        tail = self.snapshot()[-2000:]
        raise AssertionError(f"{needle!r} not seen; alive={self.alive()} tail={tail!r}")

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def kill(self) -> None:
        """SIGKILL the whole session and wait until the process is gone."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while self.alive():
            if time.monotonic() > deadline:
                raise AssertionError(f"pid {self.pid} survived SIGKILL")
            time.sleep(0.005)

    def close(self) -> None:
        self.kill()
        with contextlib.suppress(OSError):
            os.close(self._slave)
        with contextlib.suppress(OSError):
            os.close(self.master)
        self._reader.join(timeout=2)
