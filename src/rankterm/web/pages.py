"""The two HTML pages: sign-in, and the terminal (textual-serve's xterm.js client).

Everything interpolated is escaped; the pages load nothing from other sites (textual-serve's
own template pulls a font from a CDN; here the bundled Roboto Mono is used), and the only inline
script carries the per-response CSP nonce.
"""

from __future__ import annotations

import secrets
from html import escape

STYLE = """
@font-face { font-family: "Roboto Mono";
  src: url("/static/fonts/RobotoMono-VariableFont_wght.ttf"); }
body { margin: 0; background: #0c181f; color: #e8eef2; font-family: "Roboto Mono", monospace; }
main.card { max-width: 34em; margin: 10vh auto; padding: 2em; background: #12232d; }
label { display: block; margin: 1em 0 .3em; }
input, select, button { font: inherit; padding: .5em; width: 100%; box-sizing: border-box; }
button { background: #5e0ba7; color: #fff; border: 0; margin-top: 1.5em; cursor: pointer; }
.error { background: #5a1620; padding: .7em; }
.note { color: #9fb3c0; font-size: 90%; }
header { height: 28px; line-height: 28px; padding: 0 .8em; font-size: 14px; background: #12232d;
  display: flex; gap: 1em; align-items: center; }
header form { margin: 0 0 0 auto; }
header button { margin: 0; padding: 0 .8em; width: auto; height: 22px; font-size: 13px; }
#terminal.textual-terminal { width: 100vw; height: calc(100vh - 28px); }
#ended { display: none; position: fixed; inset: 0; background: rgba(12, 24, 31, .92);
  align-items: center; justify-content: center; }
body.-closed #ended { display: flex; }
#start { display: none; }
"""


def csp(nonce: str) -> str:
    """No script but ours; websockets and fetches to this origin only; no framing."""
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; "  # xterm.js and the bundle inject style elements
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def signin_page(*, project: str, server: str, error: str = "", modes: tuple[str, ...]) -> str:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    options = "".join(f'<option value="{escape(m)}">{escape(m)}</option>' for m in modes)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rankterm: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{STYLE}</style></head>
<body><main class="card">
<h1>rankterm</h1>
<p>Project <b>{escape(project)}</b> on {escape(server)}</p>
{problem}
<form method="post" action="/signin" autocomplete="off">
<label for="token">Your token (from your team lead)</label>
<input id="token" name="token" type="password" required autofocus>
<label for="mode">Work</label>
<select id="mode" name="mode">{options}</select>
<button id="signin" type="submit">Sign in</button>
</form>
<p class="note">Your verdicts are saved as you go. Closing the tab keeps your place: open this
page again to go on where you stopped.</p>
</main></body></html>"""


def terminal_page(*, nonce: str, name: str, project: str, mode: str, idle_minutes: float) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rankterm: {escape(project)}</title>
<link rel="stylesheet" href="/static/css/xterm.css">
<style>{STYLE}</style>
<script src="/static/js/textual.js"></script></head>
<body>
<header><span>rankterm · {escape(mode)} · {escape(project)} · signed in as
<b id="who">{escape(name)}</b></span>
<span class="note">? for keys · idle sessions end after {idle_minutes:g} min,
everything saved</span>
<form method="post" action="/signout"><button type="submit">Sign out</button></form></header>
<button id="start" type="button">Start</button>
<div id="terminal" class="textual-terminal" data-session-websocket-url=""
  data-font-size="16"></div>
<div id="ended"><main class="card"><p>Session ended: you quit, it was idle, or you signed in
somewhere else. Every verdict is saved.</p>
<button id="resume" type="button">Resume</button></main></div>
<script nonce="{nonce}">
document.getElementById("terminal").dataset.sessionWebsocketUrl =
  (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
document.getElementById("resume").addEventListener("click", () => location.reload());
</script>
</body></html>"""
