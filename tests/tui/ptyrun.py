"""Run the real ``rankterm`` CLI on a pseudo-terminal and capture every byte it writes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path


class PtyApp:
    def __init__(
        self,
        args: list[str],
        *,
        size: tuple[int, int] = (120, 40),
        env: dict | None = None,
        stdin_data: bytes | None = None,
        cwd: Path | None = None,
    ):
        """``stdin_data`` pipes bytes to stdin; the pty then becomes the controlling terminal
        (what /dev/tty opens), as it is for ``cat pairs.jsonl | rankterm annotate -``."""
        self.master, slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or {})}

        def controlling_tty() -> None:
            os.setsid()
            fcntl.ioctl(1, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rankterm", *args],
            stdin=slave if stdin_data is None else subprocess.PIPE,
            stdout=slave,
            stderr=slave,
            env=full_env,
            start_new_session=stdin_data is None,
            preexec_fn=controlling_tty if stdin_data is not None else None,
            close_fds=True,
            cwd=cwd,
        )
        os.close(slave)
        if stdin_data is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(stdin_data)
            self.proc.stdin.close()
        self.output = bytearray()
        self._lock = threading.Lock()
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

    def wait_for(self, needle: bytes, timeout: float = 30.0, start: int = 0) -> int:
        """Wait until ``needle`` appears after byte offset ``start``; returns its end offset."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.snapshot()
            found = data.find(needle, start)
            if found >= 0:
                return found + len(needle)
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        tail = self.snapshot()[-2000:]
        raise AssertionError(f"{needle!r} not seen; exit={self.proc.poll()} tail={tail!r}")

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def wait_exit(self, timeout: float = 20.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        self._reader.join(timeout=2)
        with contextlib.suppress(OSError):
            os.close(self.master)


def annotate_args(pairs: Path, journal: Path, annotator: str = "tester") -> list[str]:
    return ["annotate", str(pairs), "--out", str(journal), "--annotator", annotator]
