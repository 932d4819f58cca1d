"""``rankterm web`` in a real headless Chromium: sign in, judge, reload, resume; two people at
once; the keys browsers like to take. The task server and the web front are real processes."""

from __future__ import annotations

import asyncio
import os
import stat

import pytest

from tests.web.conftest import ARTIFACTS
from tests.web.helpers import (
    current_pair,
    focus_terminal,
    journal_judgments,
    judge,
    png_size,
    sign_in,
    wait_server,
)

pytestmark = [pytest.mark.web, pytest.mark.timeout(600)]


async def test_sign_in_judge_three_reload_resumes(web_front, browser_factory):
    backend, project, front = web_front
    name, token = backend.user()
    browser = await browser_factory("resume")
    await sign_in(browser, front.url, token)
    await browser.wait_text("0/12")
    for done, key in enumerate(["2", "6", "3"], start=1):
        shown = await judge(browser, key, done, 12)

    rows = await wait_server(backend.url, project, token, 3)
    judged = {r["pair_id"] for r in rows}
    assert len(rows) == 3 and len({r["id"] for r in rows}) == 3, rows
    assert shown not in judged  # the screen moved on to a pair still to judge

    await browser.reload()
    await focus_terminal(browser)
    text = await browser.wait_text("3/12")
    await asyncio.sleep(1.0)
    text = await browser.screen_text()
    assert name in text
    # The same pair as before the reload, painted in full for the new tab.
    assert current_pair(text) == shown
    assert not judged & set(text.split())
    # Resumed, not restarted: one process for the whole time.
    assert front.log().count(f"started session of {name}") == 1

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = await browser.screenshot(ARTIFACTS / "web-resume-1280x800.png")
    print(f"\nscreenshot of the resumed session: {shot}")
    assert png_size(shot) == (1280, 800)

    # The verdict after the reload lands once, like the three before it.
    await judge(browser, "5", 4, 12)
    rows = await wait_server(backend.url, project, token, 4)
    assert len(rows) == 4 and len({r["id"] for r in rows}) == 4
    journals = journal_judgments(front.data_dir)
    assert len(journals) == 1
    ((path, entries),) = journals.items()
    assert {str(e.id) for e in entries} == {r["id"] for r in rows}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert token not in path.read_text()


async def test_two_browsers_two_annotators(web_front, browser_factory):
    backend, project, front = web_front
    (name_a, token_a), (name_b, token_b) = backend.user(), backend.user()
    a, b = await browser_factory("a"), await browser_factory("b")
    await asyncio.gather(sign_in(a, front.url, token_a), sign_in(b, front.url, token_b))
    await asyncio.gather(a.wait_text("0/12"), b.wait_text("0/12"))
    for done, (key_a, key_b) in enumerate([("1", "7"), ("4", "0"), ("2", "6")], start=1):
        await asyncio.gather(judge(a, key_a, done, 12), judge(b, key_b, done, 12))
    rows_a, rows_b = await asyncio.gather(
        wait_server(backend.url, project, token_a, 3), wait_server(backend.url, project, token_b, 3)
    )
    # Each verdict on the server exactly once, under the person who gave it.
    for rows, name in ((rows_a, name_a), (rows_b, name_b)):
        assert len(rows) == 3 and len({r["id"] for r in rows}) == 3, rows
        assert {r["annotator"] for r in rows} == {name}
    assert not {r["id"] for r in rows_a} & {r["id"] for r in rows_b}
    # Each screen shows its own person only.
    text_a, text_b = await a.screen_text(), await b.screen_text()
    assert name_a in text_a and name_b not in text_a
    assert name_b in text_b and name_a not in text_b
    # Two journals, in two private folders; each holds its person's verdicts only.
    journals = journal_judgments(front.data_dir)
    assert len(journals) == 2 and len({p.parent for p in journals}) == 2
    by_annotator = {entries[0].annotator: entries for entries in journals.values()}
    assert {str(e.id) for e in by_annotator[name_a]} == {r["id"] for r in rows_a}
    assert {str(e.id) for e in by_annotator[name_b]} == {r["id"] for r in rows_b}


async def test_second_sign_in_takes_over_the_same_session(web_front, browser_factory):
    backend, project, front = web_front
    name, token = backend.user()
    first, second = await browser_factory("first"), await browser_factory("second")
    await sign_in(first, front.url, token)
    await first.wait_text("0/12")
    await judge(first, "2", 1, 12)
    await sign_in(second, front.url, token)
    await second.wait_text("1/12")  # the same session, where the first tab left it
    await first.wait_for("window.__closed.includes(4000)")  # "signed in elsewhere"
    await first.wait_for("document.body.classList.contains('-closed')")
    await judge(second, "6", 2, 12)
    rows = await wait_server(backend.url, project, token, 2)
    assert len(rows) == 2 and len({r["id"] for r in rows}) == 2
    assert front.log().count(f"started session of {name}") == 1
    assert len(journal_judgments(front.data_dir)) == 1
    # The first browser's login ended with the second sign-in: reloading asks for a token.
    await first.reload()
    await first.wait_for("document.getElementById('token') !== null")


async def test_keys_browsers_grab_reach_the_tui(web_front, browser_factory):
    """ctrl+s, ctrl+z, tab and F1 typed into the page reach the TUI (xterm.js keeps them from
    the browser). The keys the browser itself keeps (ctrl+w, ctrl+t, ctrl+n, ctrl+tab) never
    reach a page at all; the help screen says so and names the replacements."""
    backend, project, front = web_front
    _name, token = backend.user()
    browser = await browser_factory("keys")
    await sign_in(browser, front.url, token)
    await browser.wait_text("0/12")

    await browser.clear_frames()
    await browser.key("tab")  # focus moves from the left pane to the right one
    await browser.wait_text("● RIGHT")

    await browser.key("f1")
    await browser.wait_text("In a browser")
    await asyncio.sleep(0.5)
    shot = await browser.screenshot(ARTIFACTS / "web-help-1280x800.png")
    print(f"\nscreenshot of the help in a browser: {shot}")
    await browser.key("escape")
    await asyncio.sleep(0.5)

    await browser.key("r")  # the rationale editor; ctrl+s saves and closes it
    await browser.wait_text("ctrl+s save")
    await browser.insert_text("clearer steps")
    await browser.key("ctrl+s")
    await asyncio.sleep(0.5)
    await judge(browser, "2", 1, 12)
    rows = await wait_server(backend.url, project, token, 1)
    assert rows[0]["rationale"] == "clearer steps"

    await browser.key("ctrl+z")  # undo: the verdict is retracted
    await browser.wait_text("0/12")
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        rows = await wait_server(backend.url, project, token, 0)
        if rows and all(r["retracted"] for r in rows):
            break
        assert asyncio.get_running_loop().time() < deadline, rows
        await asyncio.sleep(0.3)
    assert os.environ.get("RANKTERM_TOKEN") != token
