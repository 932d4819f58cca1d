"""Who is signed in (cookie -> login) and whose process is running (person -> process).

Rules kept here, in one place:

- one process per person: a second sign-in of the same person (another tab, another laptop)
  ends their earlier logins and takes over the running process; a per-person lock makes two
  tabs attaching at once still start only one process, so no two processes ever share a
  journal (the journal's own lock would refuse the second one anyway);
- at most ``cap`` processes at once; a person who has one can always come back to it;
- a process with no input for ``idle_seconds`` is ended (it has saved every verdict); the
  login stays, so opening the page again starts a fresh process that resumes the journal;
- a login lasts ``login_seconds`` at most, then the token must be typed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from rankterm.web.child import ChildSpec
from rankterm.web.person import PersonProcess
from rankterm.web.signin import Person

log = logging.getLogger("rankterm.web")

#: Builds a person's process spec: (person, token, mode, width, height) -> ChildSpec.
SpecMaker = Callable[[Person, str, str, int, int], ChildSpec]


class Full(Exception):
    """Every session slot is taken."""


@dataclass
class Login:
    person: Person
    token: str = field(repr=False)
    mode: str
    created: float = field(default_factory=time.monotonic)


@dataclass
class Running:
    process: PersonProcess
    token: str = field(repr=False)
    mode: str


class Registry:
    def __init__(
        self,
        make_spec: SpecMaker,
        *,
        cap: int,
        idle_seconds: float,
        login_seconds: float = 12 * 3600,
    ) -> None:
        self.make_spec = make_spec
        self.cap = cap
        self.idle_seconds = idle_seconds
        self.login_seconds = login_seconds
        self.logins: dict[str, Login] = {}
        self.running: dict[str, Running] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._reaper: asyncio.Task[None] | None = None

    # -- logins ---------------------------------------------------------------------------
    def check_room(self, person: Person) -> None:
        """Refuse a sign-in that would need a slot when none is free."""
        if person.name not in self.running and len(self.running) >= self.cap:
            raise Full(f"all {self.cap} sessions are in use; try again in a few minutes")

    def sign_in(self, person: Person, token: str, mode: str) -> str:
        """A new login (its cookie value); the person's earlier logins end."""
        self.check_room(person)
        for cookie, login in list(self.logins.items()):
            if login.person.name == person.name:
                del self.logins[cookie]
        cookie = secrets.token_urlsafe(32)
        self.logins[cookie] = Login(person, token, mode)
        return cookie

    def login(self, cookie: str | None) -> Login | None:
        login = self.logins.get(cookie or "")
        if login is not None and time.monotonic() - login.created > self.login_seconds:
            self.logins.pop(cookie or "", None)
            return None
        return login

    async def sign_out(self, cookie: str | None) -> None:
        login = self.logins.pop(cookie or "", None)
        if login is not None:
            await self.end(login.person.name)

    # -- processes ------------------------------------------------------------------------
    async def attach(
        self, login: Login, socket: web.WebSocketResponse, width: int, height: int
    ) -> PersonProcess:
        """The person's process, started if needed, with ``socket`` as its browser."""
        name = login.person.name
        async with self._locks.setdefault(name, asyncio.Lock()):
            current = self.running.get(name)
            if current is not None and (
                current.mode != login.mode
                or current.token != login.token
                or not current.process.running
            ):
                await self.end(name)  # a new token or mode: the old process saves and goes
                current = None
            if current is None:
                if len(self.running) >= self.cap:
                    raise Full(f"all {self.cap} sessions are in use; try again in a few minutes")
                spec = self.make_spec(login.person, login.token, login.mode, width, height)
                process = PersonProcess(spec, on_exit=self._exited)
                self.running[name] = current = Running(process, login.token, login.mode)
                await process.start(width, height)
                log.info("started session of %s (pid %s)", name, process.pid)
            await current.process.attach(socket, width, height)
            return current.process

    def _exited(self, process: PersonProcess) -> None:
        for name, entry in list(self.running.items()):
            if entry.process is process:
                del self.running[name]
                log.info("session of %s ended (exit %s)", name, process.returncode)

    async def end(self, name: str) -> None:
        entry = self.running.get(name)
        if entry is not None:
            await entry.process.end()
            if self.running.get(name) is entry:
                del self.running[name]

    async def reap_idle(self) -> list[str]:
        """End every process idle longer than the limit; returns whose."""
        idle = [n for n, e in self.running.items() if e.process.idle_for() > self.idle_seconds]
        for name in idle:
            log.info("ending idle session of %s", name)
            await self.end(name)
        return idle

    async def _reap_forever(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.reap_idle()
            except Exception:  # keep reaping; one failed end must not stop the others
                log.exception("idle reaper")

    def start_reaper(self) -> None:
        every = max(0.5, min(30.0, self.idle_seconds / 4))
        self._reaper = asyncio.create_task(self._reap_forever(every))

    async def close(self) -> None:
        """Shutdown: every process saves and quits."""
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        await asyncio.gather(*(self.end(name) for name in list(self.running)))
