"""Huge responses: first paint and peak memory with 9 MB, 100,000-line and one-line responses.

Method. Each case runs in a fresh Python process (so its peak resident set, VmHWM, is its own)
on a pairs file of three pairs: the case's pair first, then two ordinary long pairs (2-4k words
a response, as in ``bench_keypress``). The real app (``open_local`` + ``make_app``, a real
fsynced journal) runs under ``App.run_test(size=...)`` with ``bench_keypress.FrameProbe``, which
renders every frame to terminal bytes and timestamps the first frame holding a pair's id.

* ``first_paint_ms``: from creating the app to the frame that shows the case's pair (nothing
  was rendered ahead: the cold cost of opening that pair); ``first_paint_cpu_ms`` is the
  process CPU time of the same span, which moves far less on a loaded machine.
* ``next_pair_ms``: verdict key to the frame showing the pair after it, once the work for it
  is done (as while a person reads the huge pair); ``next_pair_cpu_ms`` is the process CPU
  time of the same span.
* ``back_ms``: ``z`` (undo) straight back to the case's pair, pressed at once (CPU beside).
* ``peak_rss_mb``: the process's VmHWM at the end; ``rss_before_app_mb`` is its RSS after
  the imports and the file's index, before the app starts.

Cases: ``lines`` (100,000 short lines), ``megabytes`` (9 MB of Markdown paragraphs),
``cjk_line`` (a 4 MB response that is one line of CJK: two cells a character, no space) and
``ascii_line`` (a 9 MB response that is one line of ASCII words).
The ``ordinary`` case (a 2-4k-word pair first) is the baseline, measured in the same run;
``ratio_to_ordinary`` divides by it. ``--quick`` uses 1 MB, 10,000-line, 0.5 MB CJK and 1 MB
single-line responses.

``--base-src DIR`` also runs every case on another checkout's ``src`` (put first on the child's
``PYTHONPATH``), alternating base and this code within each round, and reports both and the
ratios new/base (``vs_base``): the machine is shared, so only figures of the same run compare.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from common import CACHE, emit, log, parse_args, proc_status_kb, self_peak_rss_mb
from datagen import _write_jsonl, long_markdown, paragraph

SIZE = (160, 50)
CASES = ("ordinary", "lines", "megabytes", "cjk_line", "ascii_line")
HUGE = CASES[1:]


def huge_text(case: str, quick: bool) -> str:
    rng = random.Random(5)
    if case == "lines":
        count = 10_000 if quick else 100_000
        return "\n".join(
            f"{i:06d},{rng.randint(0, 99999)},{rng.choice(['ok', 'warn', 'fail'])},sensor-{i % 97}"
            for i in range(count)
        )
    if case == "cjk_line":
        count = (2**19 if quick else 4 * 2**20) // 3  # three bytes a character in UTF-8
        return "".join(chr(0x4E00 + rng.randrange(20_000)) for _ in range(count))
    if case == "ascii_line":
        target = (1 if quick else 9) * 2**20
        words = " ".join(paragraph(rng, 200).split("\n"))
        return (words + " ") * (target // (len(words) + 1)) + "the last words."
    if case == "megabytes":
        target = (1 if quick else 9) * 2**20
        block = long_markdown(rng, 4000)
        return "\n\n".join([block] * (target // len(block) + 1))[:target]
    return long_markdown(rng, 3000)


def pairs_file(case: str, quick: bool) -> Path:
    path = CACHE / f"huge-v1-{case}-{'quick' if quick else 'full'}.jsonl"
    if path.exists():
        return path
    log(f"generating {path.name}")
    rng = random.Random(9)

    def records():
        yield {
            "id": f"huge-{case}",
            "prompt": "Export the sensor table as CSV." if case == "lines" else "Explain it all.",
            "response_a": huge_text(case, quick),
            "response_b": long_markdown(rng, 2500),
            "tags": ["coding"],
        }
        for i in range(2):
            yield {
                "id": f"after-{i}",
                "prompt": paragraph(rng, 40),
                "response_a": long_markdown(rng, rng.randint(2000, 4000)),
                "response_b": long_markdown(rng, rng.randint(2000, 4000)),
                "tags": ["coding"],
            }

    return _write_jsonl(path, records())


async def measure(pairs: Path) -> dict:
    from bench_keypress import FrameProbe, press, until_idle
    from rankterm.config import Settings
    from rankterm.sources.local import open_local
    from rankterm.tui.app import make_app

    with tempfile.TemporaryDirectory(prefix="rankterm-huge-") as tmp:
        source, guide, issues = open_local(
            pairs, annotator="bench", out=Path(tmp) / "journal.jsonl"
        )
        rss_before = (proc_status_kb(_pid(), "VmRSS") or 0) / 1024
        first = source.current().pair.id
        started, cpu_started = time.perf_counter(), time.process_time()
        app = make_app(source, Settings(annotator="bench"), guide, load_issues=issues)
        probe = FrameProbe(app)
        probe.expect(f" {first} ")
        async with app.run_test(size=SIZE) as pilot:
            first_paint = await probe.wait(120) - started
            first_cpu = probe.cpu_at[1] - cpu_started
            await until_idle(app, timeout=120)
            # A person reads the pair first: the next one was rendered ahead meanwhile.
            probe.expect(f" {source.peek_next().pair.id} ")
            start = await press(app, "4")
            next_pair = await probe.wait(120) - start[0]
            next_cpu = probe.cpu_at[1] - start[2]
            # Straight back to the huge pair, without waiting for anything.
            probe.expect(f" {first} ")
            start = await press(app, "z")
            back = await probe.wait(120) - start[0]
            back_cpu = probe.cpu_at[1] - start[2]
            await pilot.press("q")
        source.close()
    return {
        "first_paint_ms": round(first_paint * 1000, 1),
        "first_paint_cpu_ms": round(first_cpu * 1000, 1),
        "next_pair_ms": round(next_pair * 1000, 1),
        "next_pair_cpu_ms": round(next_cpu * 1000, 1),
        "back_ms": round(back * 1000, 1),
        "back_cpu_ms": round(back_cpu * 1000, 1),
        "rss_before_app_mb": round(rss_before, 1),
        "peak_rss_mb": self_peak_rss_mb(),
        "response_mb": round(pairs.stat().st_size / 2**20, 2),
    }


def _pid() -> int:
    import os

    return os.getpid()


def child(case: str, quick: bool) -> None:
    import rankterm

    figures = asyncio.run(measure(pairs_file(case, quick)))
    figures["src"] = str(Path(rankterm.__file__).parents[1])
    sys.stdout.write(orjson.dumps(figures).decode() + "\n")


def run_case(case: str, quick: bool, src: str | None = None) -> dict:
    args = [sys.executable, str(Path(__file__).resolve()), "--child", case]
    if quick:
        args.append("--quick")
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    done = subprocess.run(args, capture_output=True, timeout=900, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{case}: child failed\n{done.stderr.decode(errors='replace')[-3000:]}")
    return orjson.loads(done.stdout.decode().splitlines()[-1])


def main() -> None:
    def extra(parser) -> None:
        parser.add_argument("--child", choices=CASES, help=argparse_hide())
        parser.add_argument("--rounds", type=int, default=0, help="runs per case (median)")
        parser.add_argument("--base-src", help="another checkout's src dir, run alternately")
        parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")

    args = parse_args(__doc__.splitlines()[0], extra)
    if args.child:
        child(args.child, args.quick)
        return
    rounds = args.rounds or (1 if args.quick else 3)
    cases = [case for case in args.cases.split(",") if case]
    if "ordinary" not in cases:
        cases.insert(0, "ordinary")
    for case in cases:
        pairs_file(case, args.quick)  # generated outside the timed processes
    versions = {"new": None} if not args.base_src else {"base": args.base_src, "new": None}
    runs: dict[str, dict[str, list[dict]]] = {v: {case: [] for case in cases} for v in versions}
    for n in range(rounds):
        for case in cases:
            order = list(versions) if n % 2 == 0 else list(reversed(versions))
            for version in order:
                result = run_case(case, args.quick, versions[version])
                runs[version][case].append(result)
                log(f"round {n + 1} {case} {version}: {result}")
    numeric = [key for key in runs["new"]["ordinary"][0] if key != "src"]
    out: dict = {}
    for version, by_case in runs.items():
        figures: dict = {}
        for case, results in by_case.items():
            figures[case] = {
                key: sorted(r[key] for r in results)[len(results) // 2] for key in numeric
            }
            figures[case]["runs"] = results
        base = figures["ordinary"]
        for case in cases:
            if case == "ordinary":
                continue
            figures[case]["ratio_to_ordinary"] = {
                key: round(figures[case][key] / max(base[key], 1e-6), 2)
                for key in ("first_paint_ms", "first_paint_cpu_ms", "next_pair_ms", "peak_rss_mb")
            }
            figures[case]["target_first_paint_lt_1s"] = figures[case]["first_paint_ms"] < 1000
            figures[case]["target_next_pair_lt_1s"] = figures[case]["next_pair_ms"] < 1000
            figures[case]["target_rss_lt_250mb"] = figures[case]["peak_rss_mb"] < 250
        out[version] = figures
    result = out["new"]
    if "base" in out:
        result = {"new": out["new"], "base": out["base"], "vs_base": {}}
        for case in cases:
            result["vs_base"][case] = {
                key: round(out["new"][case][key] / max(out["base"][case][key], 1e-6), 3)
                for key in (
                    "first_paint_ms",
                    "first_paint_cpu_ms",
                    "next_pair_ms",
                    "next_pair_cpu_ms",
                    "back_cpu_ms",
                    "peak_rss_mb",
                )
            }
    emit(
        "huge",
        {
            "quick": args.quick,
            "size": f"{SIZE[0]}x{SIZE[1]}",
            "rounds": rounds,
            "cases": cases,
            "base_src": args.base_src,
            "lines_case_lines": 10_000 if args.quick else 100_000,
            "megabytes_case_mb": 1 if args.quick else 9,
            "cjk_line_case_mb": 0.5 if args.quick else 4,
            "ascii_line_case_mb": 1 if args.quick else 9,
        },
        result,
    )


def argparse_hide() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
