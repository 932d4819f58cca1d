"""Steps the browser tests share: sign in, press verdict keys, read the server and journals."""

from __future__ import annotations

import asyncio
import re
import struct
from pathlib import Path
from typing import Any

import httpx

from rankterm.core.model import Judgment
from rankterm.storage.journal import read_journal
from tests.web.cdp import Browser

PAIR_ID = re.compile(r"p\d{5}")


async def sign_in(browser: Browser, url: str, token: str, mode: str = "annotate") -> None:
    """Type the token into the page and submit it, as a person would; then focus the
    terminal so keys reach the TUI."""
    await browser.goto(url + "/")
    await browser.eval("document.getElementById('token').focus()")
    await browser.insert_text(token)
    await browser.eval(f"document.getElementById('mode').value = {mode!r}")
    await browser.eval("document.getElementById('signin').click()")
    await browser.wait_for("document.getElementById('terminal') !== null")
    await browser.wait_for("document.querySelector('.xterm-helper-textarea') !== null")
    await focus_terminal(browser)


async def focus_terminal(browser: Browser) -> None:
    await browser.eval("document.querySelector('.xterm-helper-textarea').focus()")


async def judge(browser: Browser, key: str, done_after: int, total: int) -> str:
    """Press a verdict key and wait until the status bar counts it; returns the id of the pair
    shown next (the TUI paints the next pair once the verdict is journaled)."""
    await browser.key(key)
    await browser.wait_text(f"{done_after}/{total}")
    await asyncio.sleep(0.8)  # the next pair painted in full; also clears the held-key window
    return current_pair(await browser.screen_text())


def current_pair(text: str) -> str:
    found = PAIR_ID.findall(text)
    assert found, f"no pair id painted: {text[-800:]!r}"
    return found[-1]


def server_judgments(url: str, project: str, token: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{url}/v1/projects/{project}/me/judgments",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["judgments"]


async def wait_server(url: str, project: str, token: str, count: int, timeout: float = 60.0):
    """The person's standing judgments on the server, once there are ``count`` of them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await asyncio.to_thread(server_judgments, url, project, token)
        standing = [r for r in rows if not r["retracted"]]
        if len(standing) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.3)


def journal_judgments(data_dir: Path) -> dict[Path, list[Judgment]]:
    """Every journal under the web front's data folder, with its judgments."""
    found: dict[Path, list[Judgment]] = {}
    for path in sorted(data_dir.glob("people/*/*.judgments.jsonl")):
        found[path] = [e for e in read_journal(path) if isinstance(e, Judgment)]
    return found


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height
