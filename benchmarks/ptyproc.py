"""Run a command on a pseudo-terminal, collect its output bytes, and time what appears when."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import struct
import subprocess
import termios
import threading
import time


def child_env(overrides: dict[str, str | None]) -> dict[str, str]:
    """This process's environment with ``overrides``; a value of None unsets that variable."""
    merged = {**os.environ, **overrides}
    return {key: value for key, value in merged.items() if value is not None}


class PtyProcess:
    """A child process on a pty; a reader thread timestamps every chunk of output."""

    def __init__(
        self, argv: list[str], *, size: tuple[int, int] = (160, 50), env: dict | None = None
    ) -> None:
        self.master, slave = os.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = child_env({"TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or {})})
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.output = bytearray()
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 1 << 16)
            except OSError:
                chunk = b""
            with self._cond:
                if chunk:
                    self.output += chunk
                    self._last_chunk_at = time.perf_counter()
                self._cond.notify_all()
            if not chunk:
                return

    def wait_for(self, needle: bytes, timeout: float = 120.0) -> float:
        """Seconds from process start until ``needle`` was first read from the terminal.

        The timestamp is taken when the reader thread received the chunk that completed the
        needle, so polling granularity does not inflate it.
        """
        deadline = time.perf_counter() + timeout
        with self._cond:
            while True:
                if self.output.find(needle) >= 0:
                    return self._last_chunk_at - self.started
                remaining = deadline - time.perf_counter()
                if remaining <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    tail = bytes(self.output[-1500:])
                    raise TimeoutError(
                        f"{needle!r} not seen (exit={self.proc.poll()}); output tail: {tail!r}"
                    )
                self._cond.wait(min(remaining, 0.05))

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def finish(self, timeout: float = 30.0) -> int:
        """Wait for exit (killing the process group if it overstays) and release the pty."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(timeout=10)
        finally:
            self._reader.join(timeout=2)
            with contextlib.suppress(OSError):
                os.close(self.master)
