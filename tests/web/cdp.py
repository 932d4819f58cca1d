"""A real headless Chromium (Debian's /usr/bin/chromium) driven over the Chrome DevTools
Protocol with a small websocket client (aiohttp's): no browser download, no driver binary.

Only what the web tests need: open a page at a size, type and press keys as a person would
(``Input.dispatchKeyEvent`` goes through the page's own key handling, so xterm.js translates
them exactly as for a real keyboard), read what the TUI sent to the tab, take a screenshot.

Reading the screen: xterm.js paints to a canvas, so there is no DOM text. A script installed
before any page script wraps ``WebSocket`` and keeps every frame the tab receives; the tests
read that stream with escape sequences stripped, which holds every word the TUI painted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = os.environ.get("RANKTERM_TEST_CHROMIUM") or shutil.which("chromium") or ""

#: Installed before every page script: keep the frames the page's websockets receive.
RECORDER = """
(() => {
  const Native = window.WebSocket;
  window.__frames = [];
  window.__closed = [];
  window.WebSocket = function (url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    const decoder = new TextDecoder();
    socket.addEventListener("message", (event) => {
      window.__frames.push(typeof event.data === "string" ? event.data
        : decoder.decode(new Uint8Array(event.data)));
    });
    socket.addEventListener("close", (event) => window.__closed.push(event.code));
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, Native);
})();
"""

ANSI = re.compile(
    r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(\x07|\x1b\\)"  # OSC
    r"|\x1bP[^\x1b]*\x1b\\"  # DCS
    r"|\x1b[()][A-Z0-9]|\x1b[=>78]"
)

#: key name -> (key, code, windowsVirtualKeyCode, text)
KEYS: dict[str, tuple[str, str, int, str]] = {
    "tab": ("Tab", "Tab", 9, ""),
    "enter": ("Enter", "Enter", 13, "\r"),
    "escape": ("Escape", "Escape", 27, ""),
    "left": ("ArrowLeft", "ArrowLeft", 37, ""),
    "right": ("ArrowRight", "ArrowRight", 39, ""),
    **{f"f{n}": (f"F{n}", f"F{n}", 111 + n, "") for n in range(1, 13)},
}
MODIFIERS = {"alt": 1, "ctrl": 2, "meta": 4, "shift": 8}


class CDPError(RuntimeError):
    pass


class Browser:
    """One headless Chromium process with one page (tab)."""

    def __init__(self, profile: Path, *, width: int = 1280, height: int = 800) -> None:
        self.profile = profile
        self.width, self.height = width, height
        self.proc: subprocess.Popen[bytes] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._reader: asyncio.Task[None] | None = None
        self.session = ""

    async def start(self) -> Browser:
        if not CHROMIUM:
            raise FileNotFoundError("chromium")
        self.profile.mkdir(parents=True, exist_ok=True)
        args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        args += ["--disable-dev-shm-usage", "--remote-debugging-port=0", "--mute-audio"]
        args += ["--disable-extensions", "--disable-background-networking", "--no-zygote"]
        args += [f"--user-data-dir={self.profile}", f"--window-size={self.width},{self.height}"]
        args += ["about:blank"]
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        url = await asyncio.to_thread(self._devtools_url)
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(url, max_msg_size=64 << 20)
        self._reader = asyncio.create_task(self._read())
        target = await self.call("Target.createTarget", url="about:blank")
        attached = await self.call(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        self.session = attached["sessionId"]
        await self.page("Page.enable")
        await self.page("Runtime.enable")
        await self.page(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=self.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        await self.page("Page.addScriptToEvaluateOnNewDocument", source=RECORDER)
        return self

    def _devtools_url(self) -> str:
        assert self.proc is not None and self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace")
            if "DevTools listening on" in line:
                return line.split("DevTools listening on", 1)[1].strip()
        raise CDPError(f"chromium exited ({self.proc.wait()}) without a DevTools address")

    async def _read(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._pending:
                future = self._pending.pop(data["id"])
                if "error" in data:
                    future.set_exception(CDPError(str(data["error"])))
                else:
                    future.set_result(data.get("result", {}))
            else:
                self._events.append(data)

    async def call(self, method: str, session: str = "", **params: Any) -> dict[str, Any]:
        assert self._ws is not None
        ident = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self._ws.send_str(json.dumps(message))
        return await asyncio.wait_for(future, 60)

    async def page(self, method: str, **params: Any) -> dict[str, Any]:
        return await self.call(method, self.session, **params)

    async def eval(self, expression: str) -> Any:
        result = await self.page(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise CDPError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    async def goto(self, url: str) -> None:
        await self.page("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def reload(self) -> None:
        await self.page("Page.reload", ignoreCache=True)
        await asyncio.sleep(0.3)
        await self.wait_for("document.readyState === 'complete'")

    async def wait_for(self, expression: str, timeout: float = 60.0) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with contextlib.suppress(CDPError):
                value = await self.eval(expression)
                if value:
                    return value
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"still false after {timeout}s: {expression}")
            await asyncio.sleep(0.1)

    async def insert_text(self, text: str) -> None:
        await self.page("Input.insertText", text=text)

    async def key(self, name: str) -> None:
        """Press and release one key, e.g. ``"5"``, ``"ctrl+s"``, ``"tab"``, ``"f1"``."""
        *mods, base = name.split("+") if name != "+" else ["+"]
        modifiers = sum(MODIFIERS[m] for m in mods)
        if base in KEYS:
            key, code, vk, text = KEYS[base]
        else:
            key, vk = base, ord(base.upper())
            code = f"Digit{base}" if base.isdigit() else f"Key{base.upper()}"
            text = "" if modifiers & (MODIFIERS["ctrl"] | MODIFIERS["alt"]) else base
        down = {"key": key, "code": code, "windowsVirtualKeyCode": vk, "modifiers": modifiers}
        if text:
            await self.page("Input.dispatchKeyEvent", type="keyDown", text=text, **down)
        else:
            await self.page("Input.dispatchKeyEvent", type="rawKeyDown", **down)
        await self.page("Input.dispatchKeyEvent", type="keyUp", **down)

    async def screen_text(self) -> str:
        """Everything the TUI sent to this tab since it loaded, escape sequences removed."""
        frames = await self.eval("window.__frames ? window.__frames.join('') : ''") or ""
        return ANSI.sub("", frames)

    async def clear_frames(self) -> None:
        await self.eval("window.__frames && (window.__frames.length = 0)")

    async def wait_text(self, needle: str, timeout: float = 60.0) -> str:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            text = await self.screen_text()
            if needle in text:
                return text
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{needle!r} never painted; last: {text[-1500:]!r}")
            await asyncio.sleep(0.1)

    async def screenshot(self, path: Path) -> Path:
        shot = await self.page("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self.call("Browser.close")
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._http is not None:
            await self._http.close()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=10)
