"""One person's TUI process, bridged to whichever browser tab is attached to it right now.

Built on textual-serve's :class:`~textual_serve.app_service.AppService` (its packet protocol
with Textual's web driver), with two changes: the process is started from an argv and an
environment of our own (:mod:`rankterm.web.child`), not a shell command line that would carry
the token; and it outlives its browser tab. A closed tab detaches (output is dropped while no
one watches: the TUI repaints in full when a tab attaches again), a second sign-in of the same
person takes the process over from the first tab, and only the idle reaper, sign-out, or the
person quitting the TUI ends it. The TUI journals every verdict before it shows the next pair,
so ending it at any moment loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from rankterm.web.child import ChildSpec

log = logging.getLogger("rankterm.web")

#: Seconds the TUI gets to quit by itself (it saves as it goes) before it is terminated.
QUIT_GRACE = 10.0
#: Close code a replaced tab gets, and the reason it shows in the browser's console.
REPLACED = (4000, b"signed in elsewhere")


class PersonProcess(AppService):
    """A running ``rankterm annotate|adjudicate --server`` for one person."""

    def __init__(self, spec: ChildSpec, *, on_exit: Callable[[PersonProcess], None]) -> None:
        super().__init__(
            " ".join(spec.argv[:4]),  # shown in logs only; never carries the token
            write_bytes=self._to_browser_bytes,
            write_str=self._to_browser_str,
            close=self._close_browser,
            download_manager=DownloadManager(),
        )
        self.spec = spec
        self.socket: web.WebSocketResponse | None = None
        self.last_active = time.monotonic()
        self.size = (80, 24)
        self._on_exit = on_exit

    async def _open_app_process(self, width: int = 80, height: int = 24):
        env = dict(self.spec.env, COLUMNS=str(width), ROWS=str(height))
        self._process = process = await asyncio.create_subprocess_exec(
            *self.spec.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def start(self, width: int, height: int) -> None:
        self.size = (width, height)
        await super().start(width, height)
        assert self._task is not None
        self._task.add_done_callback(lambda _task: asyncio.ensure_future(self._reaped()))

    async def _reaped(self) -> None:
        """The TUI's output ended: wait for its exit status, then tell the registry."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                await self._process.wait()
        self._on_exit(self)
        # Also when it failed before its first paint (no "exit" packet): the tab must show
        # "Session ended", not a blank terminal.
        await self._close_browser()

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process is not None else None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def touch(self) -> None:
        """Input from the browser: the session is not idle."""
        self.last_active = time.monotonic()

    def idle_for(self) -> float:
        return time.monotonic() - self.last_active

    async def attach(self, socket: web.WebSocketResponse, width: int, height: int) -> None:
        """Make ``socket`` the browser this process talks to; a tab attached before is closed
        (one person, one process, one tab in control). Repaints the whole screen for the new
        tab: Textual ignores a resize to its current size, so it gets a neighbouring size
        first."""
        old, self.socket = self.socket, socket
        self.touch()
        if old is not None and not old.closed:
            with contextlib.suppress(Exception):
                await old.close(code=REPLACED[0], message=REPLACED[1])
        if self.running and self._stdin is not None:
            await self.set_terminal_size(width, max(height - 1, 1))
            await asyncio.sleep(0.05)
            await self.set_terminal_size(width, height)
        self.size = (width, height)

    def detach(self, socket: web.WebSocketResponse) -> None:
        if self.socket is socket:
            self.socket = None

    async def _to_browser_bytes(self, data: bytes) -> None:
        socket = self.socket
        if socket is not None and not socket.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await socket.send_bytes(data)

    async def _to_browser_str(self, data: str) -> None:
        socket = self.socket
        if socket is not None and not socket.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await socket.send_str(data)

    async def _close_browser(self) -> None:
        """The TUI exited (the person quit): the tab shows "Session ended"."""
        socket = self.socket
        if socket is not None and not socket.closed:
            with contextlib.suppress(Exception):
                await socket.close()

    async def end(self, grace: float = QUIT_GRACE) -> int | None:
        """Ask the TUI to quit (it has saved every verdict already), terminate it if it does
        not within ``grace`` seconds; returns its exit code."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(Exception):
                await self.send_meta({"type": "quit"})
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                log.warning("session %s did not quit in %.0fs; terminating", self.pid, grace)
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), grace)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
                    await process.wait()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_browser()
        return process.returncode
