"""``rankterm web`` as a real process in front of a real task server, and real Chromiums.

Under CI (``CI`` set) a missing Chromium fails the tests instead of skipping them: .ci/run
installs Debian's package, so a skip there would hide a test that never ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import (  # noqa: F401 - fixtures used by the web tests
    Backend,
    free_port,
    pg_backend,
    pg_url,
    server_env,
    sqlite_backend,
)
from tests.web.cdp import CHROMIUM, Browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("RANKTERM_TEST_ARTIFACTS") or ROOT / "tmp" / "artifacts")


def need_chromium() -> None:
    if CHROMIUM:
        return
    message = "chromium is not installed (apt-get install chromium); the browser tests need it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class WebFront:
    """A running ``rankterm web`` process."""

    proc: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_web(
    backend_url: str, project: str, tmp: Path, *extra: str, ready: float = 60.0
) -> WebFront:
    port = free_port()
    data_dir = tmp / "web-data"
    log_path = tmp / "web.log"
    args = [sys.executable, "-m", "rankterm", "web", "--server", backend_url]
    args += ["--project", project, "--port", str(port), "--data-dir", str(data_dir), *extra]
    with log_path.open("ab") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=server_env())
    front = WebFront(proc, f"http://127.0.0.1:{port}", data_dir, log_path)
    deadline = time.monotonic() + ready
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rankterm web exited: {front.log()[-2000:]}")
        try:
            if httpx.get(front.url + "/", timeout=2).status_code == 200:
                return front
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    front.stop()
    raise RuntimeError(f"rankterm web not ready: {front.log()[-2000:]}")


@pytest.fixture
def web_front(
    sqlite_backend: Backend,  # noqa: F811
    tmp_path: Path,
) -> Iterator[tuple[Backend, str, WebFront]]:
    """A project of 12 pairs on the SQLite task server, and a web front for it."""
    project = sqlite_backend.project(n_pairs=12, overlap=2)
    front = start_web(sqlite_backend.url, project, tmp_path, "--idle-minutes", "5")
    try:
        yield sqlite_backend, project, front
    finally:
        front.stop()


@pytest.fixture
async def browser_factory(tmp_path: Path) -> AsyncIterator:
    need_chromium()
    browsers: list[Browser] = []

    async def make(name: str = "b") -> Browser:
        browser = await Browser(tmp_path / f"chromium-{name}").start()
        browsers.append(browser)
        return browser

    try:
        yield make
    finally:
        for browser in browsers:
            await browser.close()
