"""``rankterm sample`` and ``rankterm monitor`` run for real (a fresh process each) on files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import orjson

DEMO = Path(__file__).parents[2] / "sample_data" / "production"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rankterm", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )


def test_sample_draws_pairs_and_names_prompts_without_a_reference(tmp_path):
    shutil.copy(DEMO / "logs.jsonl", tmp_path / "logs.jsonl")
    done = run(
        "sample", "logs.jsonl", "-o", "pairs.jsonl", "--per-stratum", "3",
        "--missing", "todo.jsonl", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "production v2 against reference v1" in done.stderr
    assert "2 prompt(s) had no answer from v1" in done.stderr
    assert "logs.jsonl:" in done.stderr and "Poetry to uv" in done.stderr
    pairs = [orjson.loads(line) for line in (tmp_path / "pairs.jsonl").read_bytes().splitlines()]
    cells = {(p["metadata"]["monitor"]["slice"], p["metadata"]["monitor"]["window"]) for p in pairs}
    assert len(cells) == 15  # 3 slices x 5 weeks of v2
    assert len(pairs) == 45 and done.stdout.strip() == "wrote 45 pairs to pairs.jsonl"
    todo = [json.loads(line) for line in (tmp_path / "todo.jsonl").read_text().splitlines()]
    assert sorted(t["prompt"] for t in todo) == [
        "How do I migrate a project from Poetry to uv?",
        "Is the new RSV vaccine recommended for people over 60?",
    ]
    from rankterm.llm.prompts import read_prompts  # what `rankterm generate` reads

    assert len(read_prompts(tmp_path / "todo.jsonl")) == 2
    again = run("sample", "logs.jsonl", "-o", "pairs.jsonl", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_generated_answers_fill_the_gap(tmp_path):
    shutil.copy(DEMO / "logs.jsonl", tmp_path / "logs.jsonl")
    generated = [
        {
            "id": f"gen-{i}",
            "prompt": prompt,
            "response_a": f"v1 answer {i}",
            "response_b": f"v1 second answer {i}",
            "model_a": "v1",
            "model_b": "v1",
        }
        for i, prompt in enumerate(
            [
                "How do I migrate a project from Poetry to uv?",
                "Is the new RSV vaccine recommended for people over 60?",
            ]
        )
    ]
    (tmp_path / "gen.jsonl").write_text("".join(json.dumps(g) + "\n" for g in generated))
    done = run(
        "sample", "logs.jsonl", "-o", "pairs.jsonl", "--per-stratum", "8",
        "--generated", "gen.jsonl", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "had no answer" not in done.stderr
    pairs = [orjson.loads(line) for line in (tmp_path / "pairs.jsonl").read_bytes().splitlines()]
    made = [p for p in pairs if p["metadata"]["monitor"]["reference_from"] == "generated"]
    assert made and all("v1 answer" in (p["response_a"] + p["response_b"]) for p in made)


def test_bad_log_lines_are_named_and_nothing_usable_is_an_error(tmp_path):
    good = {"prompt": "p", "response": "r", "time": "2026-10-05", "model_version": "v2"}
    (tmp_path / "logs.jsonl").write_text(
        json.dumps(good) + "\n" + json.dumps({**good, "time": "soon"}) + "\n{not json\n"
    )
    done = run("sample", "logs.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert done.returncode == 2, done.stderr  # one version only, no --reference
    assert "logs.jsonl:2: 'time' 'soon' is not ISO 8601" in done.stderr
    assert "logs.jsonl:3: invalid JSON" in done.stderr
    assert "hold only 'v2'" in done.stderr and "Traceback" not in done.stderr
    (tmp_path / "bad.jsonl").write_text("{}\n")
    done = run("sample", "bad.jsonl", "-o", "out.jsonl", cwd=tmp_path)
    assert done.returncode == 1 and "no usable log line" in done.stderr
    done = run("sample", "logs.jsonl", cwd=tmp_path)
    assert done.returncode == 2 and "--out FILE, or --server" in done.stderr
    done = run("sample", "logs.jsonl", "-o", "o.jsonl", "--window", "fortnight", cwd=tmp_path)
    assert done.returncode == 2 and "--window 'fortnight'" in done.stderr


def test_monitor_exits_5_on_drift_and_0_without(tmp_path):
    args = ["--pairs", str(DEMO / "pairs.jsonl"), str(DEMO / "judgments.jsonl")]
    drift = run("monitor", *args, "--min-pairs", "5", cwd=tmp_path)
    assert drift.returncode == 5, drift.stderr
    assert "DRIFT ALARM" in drift.stdout
    assert "hallucination in slice medical" in drift.stdout
    assert max(len(line) for line in drift.stdout.splitlines()) <= 80
    calm = run(
        "monitor", *args, "--min-pairs", "5", "--threshold", "0.9", "--tag-threshold", "0.9",
        cwd=tmp_path,
    )  # fmt: skip
    assert calm.returncode == 0, calm.stdout + calm.stderr
    assert "no drift beyond ±90%" in calm.stdout
    as_json = run("monitor", *args, "--json", cwd=tmp_path)
    figures = json.loads(as_json.stdout)
    assert [w["window"] for w in figures["windows"]] == sorted(
        w["window"] for w in figures["windows"]
    )
    assert figures["drift"]["win_threshold"] == 0.1 and figures["drift"]["min_pairs"] == 10
    assert as_json.returncode == (5 if figures["drift"]["alarm"] else 0)
    helped = run("monitor", "--help", cwd=tmp_path)
    assert "5 drift alarm" in helped.stdout


def test_monitor_names_a_bad_journal_line(tmp_path):
    journal = tmp_path / "j.jsonl"
    journal.write_bytes((DEMO / "judgments.jsonl").read_bytes() + b"{broken\n")
    done = run("monitor", "--pairs", str(DEMO / "pairs.jsonl"), str(journal), cwd=tmp_path)
    assert done.returncode in (0, 5)
    assert "j.jsonl:91:" in done.stderr and "Traceback" not in done.stderr
