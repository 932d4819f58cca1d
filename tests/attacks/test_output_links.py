"""Every file a command writes for a person refuses a symbolic link planted where it goes.

On a shared host a colleague (or an attacker) can plant ``out.jsonl -> ~/.bashrc`` in a shared
folder before the command runs, or the name of its temporary file (``out.jsonl.partial``).
Journals refuse that already (tests/attacks/test_local_files.py); these are the other writers:
``export``, ``import``, ``sample`` (``--out``, ``--missing``), ``report``, ``guidelines requeue``,
``judge`` (``-o`` and ``--margins-out``), ``generate -o``, ``admin export`` and ``unpack``.

Each command runs as a real process. A refusal is exit 2, one line naming the file and saying
"symbolic link", no traceback; the link stays a link and what it points at is untouched (a
dangling link's target is never created).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pytest

from tests.core.test_cli import run
from tests.helpers import pair_record, write_pairs

RC = b"export PATH=$HOME/bin:$PATH\n"
DEMO_LOGS = Path(__file__).parents[2] / "sample_data" / "production" / "logs.jsonl"


def plant(link: Path, victim: Path, *, dangling: bool) -> None:
    """A link at ``link`` to ``victim``: an existing file of the user's, or a path not there."""
    if not dangling:
        victim.write_bytes(RC)
    link.symlink_to(victim)


def assert_refused_untouched(
    result: subprocess.CompletedProcess, link: Path, victim: Path, *, dangling: bool
) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "symbolic link" in result.stderr and link.name in result.stderr, result.stderr
    assert link.is_symlink(), "the planted link was replaced by a file"
    if dangling:
        assert not victim.exists(), "the link's target was created"
    else:
        assert victim.read_bytes() == RC


def verdict(pair_id: str, order: str) -> dict:
    return {"kind": "model_judgment", "source": "model", "judge": "j1", "pair_id": pair_id,
            "order": order, "choice": "A", "strength": 2}  # fmt: skip


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A pairs file, a journal judging it, judge verdicts, and guidelines, in ``tmp_path``."""
    write_pairs(tmp_path / "pairs.jsonl", [pair_record(i) for i in range(3)])
    from rankterm.core.model import Choice, Judgment
    from rankterm.storage.journal import Journal

    with Journal.open(tmp_path / "j.jsonl") as journal:
        for i in range(3):
            journal.append(
                Judgment(
                    pair_id=f"pair-{i:03d}",
                    annotator="ann",
                    choice=Choice.A,
                    strength=2,
                    duration_ms=9,
                )
            )
    verdicts = [verdict(f"pair-{i:03d}", order) for i in range(3) for order in ("ab", "ba")]
    (tmp_path / "verdicts.jsonl").write_bytes(b"".join(orjson.dumps(v) + b"\n" for v in verdicts))
    (tmp_path / "old.md").write_text("# Be honest\n")
    (tmp_path / "new.md").write_text("# Be honest\n\n# Be brief\n")
    (tmp_path / "prompts.jsonl").write_text('"Why is the sky blue?"\n')
    (tmp_path / "logs.jsonl").write_bytes(DEMO_LOGS.read_bytes())
    return tmp_path


JUDGE = ("judge", "pairs.jsonl", "-m", "j1=http://127.0.0.1:9/v1#x")

#: (command line with OUT where the link goes) for every writer of a file named by an option.
WRITERS = {
    "export": ("export", "j.jsonl", "--pairs", "pairs.jsonl", "--to", "trl", "-o", "OUT", "-f"),
    "import": ("import", "pairs.jsonl", "-o", "OUT", "-f"),
    "sample --out": ("sample", "logs.jsonl", "-o", "OUT", "-f"),
    "sample --missing": ("sample", "logs.jsonl", "-o", "s.jsonl", "--missing", "OUT", "-f"),
    "report": ("report", "j.jsonl", "--pairs", "pairs.jsonl", "-o", "OUT", "-f"),
    "guidelines requeue": (
        "guidelines",
        "requeue",
        "old.md",
        "new.md",
        "j.jsonl",
        "--pairs",
        "pairs.jsonl",
        "--requeue",
        "none",
        "-o",
        "OUT",
        "-f",
    ),
    "judge -o": (*JUDGE, "-o", "OUT"),
    "judge --margins-out": (*JUDGE, "-o", "verdicts.jsonl", "--margins-out", "OUT"),
    "generate -o": (
        "generate",
        "prompts.jsonl",
        "-m",
        "m=http://127.0.0.1:9/v1#x",
        "--samples",
        "2",
        "-o",
        "OUT",
    ),
}


@pytest.mark.parametrize("dangling", [False, True], ids=["existing", "dangling"])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_link_planted_at_the_output_is_refused(work: Path, writer: str, dangling: bool) -> None:
    link, victim = work / "out.jsonl", work / "victim"
    plant(link, victim, dangling=dangling)
    args = [str(link) if a == "OUT" else a for a in WRITERS[writer]]
    result = run(*args, cwd=work)
    assert_refused_untouched(result, link, victim, dangling=dangling)


def test_a_link_at_the_margins_temporary_name_is_not_written_through(work: Path) -> None:
    """``--margins-out M`` wrote ``M.partial`` first, opened through any link found there."""
    victim = work / "victim"
    plant(work / "m.jsonl.partial", victim, dangling=False)
    result = run(*JUDGE, "-o", "verdicts.jsonl", "--margins-out", "m.jsonl", cwd=work)
    assert result.returncode == 0, result.stderr
    assert victim.read_bytes() == RC
    assert len((work / "m.jsonl").read_bytes().splitlines()) == 3


def _admin_db(work: Path) -> str:
    db = str(work / "admin.db")
    for args in (("migrate",), ("project", "create", "helpful")):
        done = run("admin", *args, "--db", db, cwd=work)
        assert done.returncode == 0, done.stderr
    done = run("admin", "import", "helpful", "pairs.jsonl", "--db", db, cwd=work)
    assert done.returncode == 0, done.stderr
    return db


def test_admin_export_refuses_a_link_and_never_writes_through_its_part_file(work: Path) -> None:
    db = _admin_db(work)
    link, victim = work / "dump.ndjson", work / "victim"
    plant(link, victim, dangling=False)
    result = run("admin", "export", "helpful", "-o", str(link), "-f", "--db", db, cwd=work)
    assert_refused_untouched(result, link, victim, dangling=False)
    link.unlink()
    elsewhere = work / "elsewhere"
    plant(work / "dump.ndjson.part", elsewhere, dangling=True)
    result = run("admin", "export", "helpful", "-o", "dump.ndjson", "--db", db, cwd=work)
    assert result.returncode == 0, result.stderr
    assert not elsewhere.exists()
    assert len((work / "dump.ndjson").read_bytes().splitlines()) == 4  # project + 3 pairs


@pytest.mark.parametrize("name", ["pairs.jsonl", "judgments.jsonl"])
def test_unpack_refuses_links_at_its_outputs_and_their_temporary_names(
    work: Path, name: str
) -> None:
    dump = work / "dump.ndjson"
    dump.write_bytes(orjson.dumps({"kind": "pair", "pair": pair_record(0)}) + b"\n")
    out = work / "unpacked"
    out.mkdir()
    victim = work / "victim"
    plant(out / name, victim, dangling=False)
    result = run("unpack", str(dump), "-o", str(out), "--force", cwd=work)
    assert_refused_untouched(result, out / name, victim, dangling=False)
    (out / name).unlink()
    plant(out / f"{name}.tmp", victim, dangling=False)
    result = run("unpack", str(dump), "-o", str(out), cwd=work)
    assert result.returncode == 0, result.stderr
    assert victim.read_bytes() == RC
    assert (out / "pairs.jsonl").read_bytes().count(b"\n") == 1


def test_a_real_output_file_is_still_replaced_with_force(work: Path) -> None:
    """The refusal is about links only: ``-f`` over a plain file of the user's still works."""
    (work / "out.jsonl").write_bytes(b"old\n")
    result = run(*WRITERS["export"][:-3], "-o", "out.jsonl", "-f", cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / "out.jsonl").read_bytes() != b"old\n"
