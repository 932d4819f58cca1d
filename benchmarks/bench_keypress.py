"""Keypress to next pair on screen: verdict key -> first terminal frame showing the next pair.

Method. The real app (``open_local`` + ``make_app``, a real fsynced journal) runs in-process
under ``App.run_test(size=...)`` on a file of long Markdown pairs (2-4k words a response, with
code blocks, lists and tables). ``App._display`` -- the one place where Textual turns a
compositor update into terminal bytes -- is wrapped: for every frame the wrapper produces the
bytes exactly as the real driver would (``CompositorUpdate.render_segments``; headless mode
skips this, so the benchmark does it to keep that cost in), takes a timestamp, and checks the
bytes for the id of the pair the verdict is expected to bring up (``source.peek_next()``
before the key; the id is printed in the pair info line, which ``AnnotateScreen._paint``
updates in the same call as the prompt and both response panes, so they share the frame).

A keypress is timed from just before the Key event is handed to the driver
(``driver.send_message``, the same call the input thread of a real terminal makes) to that
frame. Between keypresses the harness waits until the prerender worker for the following pair
has finished, as it would while a person reads; the first ``WARMUP`` keypresses are dropped.
Alongside, the phases of each keypress are recorded by wrapping ``source.record`` and
``screen.show``: dispatch (key -> record starts), record (the journal append + fsync, in a
thread), resume (thread -> event loop), show (swapping pre-rendered lines in), frame
(compositor, layout and bytes).

The floor is the same harness against a bare Textual app whose only work on the key is to
swap the text of two ``Static`` widgets, measured in the same run at the same sizes.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from textual import events
from textual._compositor import CompositorUpdate
from textual.app import App, ComposeResult
from textual.widgets import Static

from common import CACHE, ROOT, emit, log, parse_args, summarize_ms
from cpu_breakdown import Breakdown
from datagen import long_pairs_file
from rankterm.config import Settings
from rankterm.sources.local import open_local
from rankterm.tui.app import make_app

WARMUP = 3
KEYS = ("2", "6", "4", "3", "5")  # a realistic mix of verdicts


class FrameProbe:
    """Wraps ``App._display``: renders each frame to bytes, timestamps it, finds a needle."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.needle: str | None = None
        self.seen_at: float | None = None
        self.cpu_at = (0.0, 0.0)
        self.breakdown: Breakdown | None = None
        self.found = asyncio.Event()
        self.frames = 0
        self.bytes = 0
        original = app._display

        def display(screen, renderable) -> None:
            if renderable is not None and isinstance(renderable, CompositorUpdate):
                data = renderable.render_segments(app.console)
                now = time.perf_counter()
                self.frames += 1
                self.bytes += len(data)
                if self.needle is not None and self.seen_at is None and self.needle in data:
                    self.seen_at = now
                    self.cpu_at = (time.thread_time(), time.process_time())
                    self.found.set()
                    if self.breakdown is not None:
                        self.breakdown.close()
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    def expect(self, needle: str) -> None:
        self.needle = needle
        self.seen_at = None
        self.found.clear()

    async def wait(self, timeout: float = 30.0) -> float:
        await asyncio.wait_for(self.found.wait(), timeout)
        assert self.seen_at is not None
        return self.seen_at


class Sample:
    """One keypress: wall seconds, and CPU seconds of the event-loop thread and the process."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.loop_cpu: list[float] = []
        self.proc_cpu: list[float] = []

    def add(self, start: tuple[float, float, float], probe: FrameProbe) -> float:
        assert probe.seen_at is not None
        self.wall.append(probe.seen_at - start[0])
        self.loop_cpu.append(probe.cpu_at[0] - start[1])
        self.proc_cpu.append(probe.cpu_at[1] - start[2])
        return probe.seen_at

    def summary(self) -> dict:
        return {
            **summarize_ms(self.wall),
            "loop_thread_cpu": summarize_ms(self.loop_cpu),
            "process_cpu": summarize_ms(self.proc_cpu),
        }


async def press(app: App, key: str) -> tuple[float, float, float]:
    started = (time.perf_counter(), time.thread_time(), time.process_time())
    app._driver.send_message(events.Key(key, key))  # type: ignore[union-attr]
    return started


async def until_idle(app: App, group: str = "prerender", timeout: float = 30.0) -> None:
    """Wait until the work for the following pair (after-frame callbacks, the prerender
    worker of ``group``) is done, as it would be while a person reads."""
    deadline = time.perf_counter() + timeout
    await asyncio.sleep(0.005)
    while getattr(app.screen, "busy_ahead", False) or any(
        w.group == group and w.is_running for w in app.workers
    ):
        if time.perf_counter() > deadline:
            raise TimeoutError("prerender did not finish")
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.02)


def phase_wrappers(app, source, marks: dict[str, float]) -> None:
    """Timestamps for the phases of one verdict, by wrapping record and show."""
    record = source.record

    def timed_record(*args, **kwargs):
        marks["record_start"] = time.perf_counter()
        try:
            return record(*args, **kwargs)
        finally:
            marks["record_end"] = time.perf_counter()

    source.record = timed_record
    screen = app.screen
    show = screen.show

    def timed_show(view):
        marks["show_start"] = time.perf_counter()
        try:
            return show(view)
        finally:
            marks["show_end"] = time.perf_counter()

    screen.show = timed_show


GUIDELINES = ROOT / "sample_data" / "guidelines.md"


VARIANTS = (
    "as-is",
    "no-prerender",
    "no-gc-pacing",
    "bg-validate",
    "textual-frame",
    "prompt-grow-only",
)


def apply_variant(app, variant: str) -> Callable[[], None]:
    """Diagnostic variants (``--variant a,b``) that test a hypothesis about where time goes
    without editing the app: they patch the running screen, or RenderedPane in this process.
    ``bg-validate`` runs a background validation of the largest generated pairs file while
    the keys are pressed (what the first minute on a fresh 1M-line file would feel like with
    ``validate="background"``). ``textual-frame`` turns off RenderedPane's own line framing.
    ``prompt-grow-only`` keeps the prompt pane from shrinking (no layout for a shorter prompt).
    Returns a function that undoes what needs undoing."""
    screen = app.screen
    undo: list[Callable[[], None]] = []
    for name in variant.split(","):
        if name == "no-prerender":
            screen.prepare_next = lambda: None
        elif name == "no-gc-pacing":
            # Let the cyclic collector run inside the keypress window, as before gc_pacing.
            pacer = app.gc_pacer
            pacer.pause = pacer.resume = lambda: None
        elif name == "prompt-grow-only":
            # The prompt pane never shrinks (as before it gave rows back after a long prompt):
            # what the screen layouts of a shrinking prompt cost.
            screen.query_one("#context").grow_only = True
        elif name == "textual-frame":
            # Frame every pane line through Textual's styles cache, as before the fast path.
            from rankterm.tui.widgets.rendered_pane import RenderedPane

            fast = RenderedPane._render_fast
            RenderedPane._render_fast = lambda self, crop: None  # type: ignore[method-assign]
            undo.append(lambda fast=fast: setattr(RenderedPane, "_render_fast", fast))
        elif name == "bg-validate":
            from rankterm.storage.index import index_pairs

            files = sorted(CACHE.glob("pairs-v*-*-11.jsonl"), key=lambda p: p.stat().st_size)
            if files:
                index = index_pairs(files[-1], validate="background", cache=False)
                undo.append(index.close)
                log(f"validating {files[-1].name} ({len(index)} lines) in the background")
    return lambda: [f() for f in undo]


async def bench_rankterm(
    pairs: Path,
    size: tuple[int, int],
    presses: int,
    variant: str = "as-is",
    breakdown: Breakdown | None = None,
) -> dict:
    with tempfile.TemporaryDirectory(prefix="rankterm-keypress-") as tmp:
        source, guide, issues = open_local(
            pairs,
            annotator="bench",
            out=Path(tmp) / "journal.jsonl",
            guidelines_path=GUIDELINES if GUIDELINES.exists() else None,
        )
        app = make_app(source, Settings(annotator="bench"), guide, load_issues=issues)
        probe = FrameProbe(app)
        probe.breakdown = breakdown
        samples = Sample()
        phases: dict[str, list[float]] = {
            k: [] for k in ("dispatch", "record", "resume", "show", "frame")
        }
        # Before the app starts: the first pair can be on screen before run_test returns.
        first = source.current()
        probe.expect(f" {first.pair.id} ")
        async with app.run_test(size=size) as pilot:
            await probe.wait(60)
            await until_idle(app)
            marks: dict[str, float] = {}
            phase_wrappers(app, source, marks)
            undo_variant = apply_variant(app, variant)
            for n in range(presses + WARMUP):
                upcoming = source.peek_next()
                if upcoming is None:
                    break
                probe.expect(f" {upcoming.pair.id} ")
                marks.clear()
                if breakdown is not None and n >= WARMUP:
                    breakdown.open()
                start = await press(app, KEYS[n % len(KEYS)])
                await probe.wait()
                if n >= WARMUP:
                    seen = samples.add(start, probe)
                    started = start[0]
                    phases["dispatch"].append(marks["record_start"] - started)
                    phases["record"].append(marks["record_end"] - marks["record_start"])
                    phases["resume"].append(marks["show_start"] - marks["record_end"])
                    phases["show"].append(marks["show_end"] - marks["show_start"])
                    phases["frame"].append(seen - marks["show_end"])
                await until_idle(app)
            cache = app.screen.renderer.cache
            hits, misses = cache.hits, cache.misses
            undo_variant()
            await pilot.press("q")
        source.close()
    return {
        **samples.summary(),
        "phases_p50_ms": {k: round(statistics.median(v) * 1000, 3) for k, v in phases.items()},
        "phases_p99_ms": {
            k: round(sorted(v)[int(0.99 * (len(v) - 1))] * 1000, 3) for k, v in phases.items()
        },
        "render_cache": {"hits": hits, "misses": misses},
        "frames": probe.frames,
        "mean_frame_kb": round(probe.bytes / max(probe.frames, 1) / 1024, 1),
    }


class FloorApp(App[None]):
    """The framework's floor: a key swaps the text of two Static widgets."""

    CSS = "Static { height: 1fr; border: round $accent; }"
    BINDINGS = [(k, "swap", "swap") for k in KEYS]

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def compose(self) -> ComposeResult:
        yield Static(" floor-00000 left ", id="left")
        yield Static(" floor-00000 right ", id="right")

    def action_swap(self) -> None:
        self.n += 1
        self.query_one("#left", Static).update(f" floor-{self.n:05d} left ")
        self.query_one("#right", Static).update(f" floor-{self.n:05d} right ")


async def bench_floor(size: tuple[int, int], presses: int) -> dict:
    app = FloorApp()
    probe = FrameProbe(app)
    samples = Sample()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for n in range(presses + WARMUP):
            probe.expect(f" floor-{app.n + 1:05d} ")
            start = await press(app, KEYS[n % len(KEYS)])
            await probe.wait()
            if n >= WARMUP:
                samples.add(start, probe)
            await asyncio.sleep(0.02)
    return samples.summary()


async def run_ab(pairs: Path, size: tuple[int, int], variant: str, rounds: int) -> dict:
    """Alternate rounds of the app as it is and with ``variant``, in one process, so both
    see the same machine noise; medians over all rounds and their ratio."""
    per_round = 12
    results: dict[str, list[dict]] = {"as-is": [], variant: []}
    for n in range(rounds):
        for name in ("as-is", variant) if n % 2 == 0 else (variant, "as-is"):
            results[name].append(await bench_rankterm(pairs, size, per_round, name))
    out = {}
    for name, runs in results.items():
        out[name] = {
            "wall_p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
            "loop_cpu_p50_ms": round(
                statistics.median(r["loop_thread_cpu"]["p50_ms"] for r in runs), 2
            ),
        }
    for key in ("wall_p50_ms", "loop_cpu_p50_ms"):
        out[f"{key}_ratio"] = round(out[variant][key] / max(out["as-is"][key], 1e-6), 2)
    out["size"] = f"{size[0]}x{size[1]}"
    out["presses"] = rounds * per_round
    log(f"A/B {variant}: {out}")
    return out


async def run(args) -> None:
    count = 40 if args.quick else 300
    presses = 15 if args.quick else count - WARMUP - 2
    pairs = long_pairs_file(count)
    figures: dict = {}
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]
    for cols, rows in sizes:
        label = f"{cols}x{rows}"
        gc.collect()
        floor = await bench_floor((cols, rows), presses)
        log(f"{label} floor p50 {floor['p50_ms']} ms")
        app = await bench_rankterm(pairs, (cols, rows), presses, args.variant)
        log(
            f"{label} rankterm p50 {app['p50_ms']} p99 {app['p99_ms']} ms, loop cpu p50 "
            f"{app['loop_thread_cpu']['p50_ms']} (floor {floor['loop_thread_cpu']['p50_ms']});"
            f" phases {app['phases_p50_ms']}"
        )
        ratio = app["p50_ms"] / floor["p50_ms"] if floor["p50_ms"] else float("nan")
        cpu_ratio = app["loop_thread_cpu"]["p50_ms"] / max(floor["loop_thread_cpu"]["p50_ms"], 1e-3)
        figures[label] = {
            "rankterm": app,
            "floor": floor,
            "p50_over_floor_p50": round(ratio, 2),
            "loop_cpu_p50_over_floor": round(cpu_ratio, 2),
            "target_p99_le_33ms": app["p99_ms"] <= 33,
            "target_p50_le_2x_floor": ratio <= 2,
        }
    if args.ab:
        figures["ab"] = await run_ab(pairs, sizes[0], args.ab, rounds=3 if args.quick else 6)
    if args.breakdown:
        breakdown = Breakdown()
        breakdown.install()
        try:
            cols, rows = sizes[0]
            await bench_rankterm(pairs, (cols, rows), min(presses, 60), args.variant, breakdown)
        finally:
            breakdown.uninstall()
        figures[f"cpu_breakdown_{cols}x{rows}"] = breakdown.report()
    emit(
        "keypress",
        {
            "pairs": count,
            "presses_per_size": presses,
            "warmup_dropped": WARMUP,
            "response_words": [2000, 4000],
            "file_mb": round(pairs.stat().st_size / 2**20, 1),
            "keys": list(KEYS),
            "variant": args.variant,
            "breakdown": args.breakdown,
            "ab": args.ab,
            "guidelines": GUIDELINES.name if GUIDELINES.exists() else None,
        },
        figures,
    )


def main() -> None:
    def extra(parser) -> None:
        parser.add_argument(
            "--variant",
            default="as-is",
            help=f"diagnostic, comma-separated: {', '.join(VARIANTS)}",
        )
        parser.add_argument("--sizes", default="160x50,80x24", help="comma-separated COLSxROWS")
        parser.add_argument(
            "--ab",
            metavar="VARIANT",
            help="alternate rounds of as-is and VARIANT at the first size, in one process",
        )
        parser.add_argument(
            "--breakdown",
            action="store_true",
            help="one more pass at the first size, reporting loop-thread CPU by function",
        )

    args = parse_args(__doc__.splitlines()[0], extra)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
