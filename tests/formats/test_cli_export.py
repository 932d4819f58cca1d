"""``rankterm export`` and ``rankterm leaderboard`` on journals written with the real Journal."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from rankterm.core.model import Choice, Judgment, Pair, Resolution
from rankterm.storage.journal import Journal

PAIRS = [
    Pair(id="p1", prompt="2+2?", response_a="4", response_b="5", model_a="ace", model_b="bolt"),
    Pair(id="p2", prompt="Capital of Chad?", response_a="N'Djamena", response_b="Lagos",
         model_a="ace", model_b="bolt"),
    Pair(id="p3", prompt="Colour?", response_a="Blue", response_b="Green", model_a="bolt",
         model_b="cobra"),
    Pair(id="p4", prompt="Poem?", response_a="No.", response_b="I can't.", model_a="cobra",
         model_b="ace"),
    Pair(id="p5", prompt="Joke?", response_a="Knock knock", response_b="Why did...",
         model_a="bolt", model_b="ace"),
    Pair(id="p6", prompt="Unjudged?", response_a="x", response_b="y"),
]  # fmt: skip


def j(pid, who, choice, strength=None, **extra):
    c = Choice(choice)
    strength = strength or (2 if c in (Choice.A, Choice.B) else None)
    return Judgment(pair_id=pid, annotator=who, choice=c, strength=strength, **extra)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pairs.jsonl").write_bytes(
        b"".join(orjson.dumps(p.to_json_dict()) + b"\n" for p in PAIRS)
    )
    with Journal.open(tmp_path / "alice.jsonl") as journal:
        journal.append_many([
            j("p1", "alice", "A", 3, rationale="correct", tags=["math"]),
            j("p2", "alice", "A"),
            j("p3", "alice", "tie"),
            j("p4", "alice", "both_bad", ideal_response="Roses are red..."),
            j("p5", "alice", "B", flagged=True),
        ])  # fmt: skip
    with Journal.open(tmp_path / "bob.jsonl") as journal:
        journal.append_many([
            j("p1", "bob", "A", 1),
            j("p2", "bob", "B"),
            Resolution(pair_id="p2", adjudicator="carol", choice=Choice.A, strength=3),
            j("ghost", "bob", "A"),
        ])  # fmt: skip
    return tmp_path


def export(cli, *extra):
    return cli("export", "alice.jsonl", "bob.jsonl", "--pairs", "pairs.jsonl", *extra)


def test_trl_export_reports_what_it_dropped(cli, project):
    ran = export(cli, "--to", "trl", "-o", "out.jsonl")
    assert ran.exit_code == 0, ran.stderr
    assert "wrote 2 trl records (2 labels, policy adjudicated) to out.jsonl" in ran.stderr
    assert (
        "dropped 5: 1 tie, 1 both bad, 1 flagged, 1 unjudged, 1 judged pair not in pairs file"
        in ran.stderr
    )
    rows = [orjson.loads(line) for line in (project / "out.jsonl").read_bytes().splitlines()]
    # The string form begins each response with a space (the prompt stays a token prefix).
    assert [(r["id"], r["chosen"]) for r in rows] == [("p1", " 4"), ("p2", " N'Djamena")]
    assert rows[0]["rankterm"]["annotators"] == ["alice", "bob"]
    assert rows[0]["rankterm"]["rationale"] == "correct"
    assert rows[1]["rankterm"]["label_source"] == "resolution"


def test_policy_and_filter_options(cli, project):
    ran = export(cli, "--to", "csv", "-o", "-", "--policy", "majority", "--flagged", "keep")
    rows = list(csv.DictReader(io.StringIO(ran.stdout)))
    assert [(r["id"], r["choice"]) for r in rows] == [
        ("p1", "A"),
        ("p3", "tie"),
        ("p4", "both_bad"),
        ("p5", "B"),
    ]
    assert "1 split vote" in ran.stderr
    ran = export(cli, "--to", "csv", "-o", "-", "--ties", "drop", "--both-bad", "drop")
    assert "1 tie, 1 both bad" in ran.stderr
    ran = export(cli, "--to", "trl", "-o", "-", "--policy", "all", "--min-agreement", "0.9")
    assert [orjson.loads(x)["id"] for x in ran.stdout_bytes.splitlines()] == ["p1", "p1"]
    assert "2 low agreement" in ran.stderr


def test_sft_kto_openai_hh_arena(cli, project):
    ran = export(cli, "--to", "sft", "-o", "sft.jsonl")
    (row,) = [orjson.loads(x) for x in (project / "sft.jsonl").read_bytes().splitlines()]
    assert row["messages"] == [
        {"role": "user", "content": "Poem?"},
        {"role": "assistant", "content": "Roses are red..."},
    ]
    assert "no ideal_response" in ran.stderr
    ran = export(cli, "--to", "kto", "-o", "-")
    rows = [orjson.loads(x) for x in ran.stdout_bytes.splitlines()]
    assert [(r["completion"], r["label"]) for r in rows[:2]] == [(" 4", True), (" 5", False)]
    ran = export(cli, "--to", "openai", "-o", "-")
    first = orjson.loads(ran.stdout_bytes.splitlines()[0])
    assert set(first) == {"input", "preferred_output", "non_preferred_output"}
    ran = export(cli, "--to", "hh-rlhf", "-o", "-")
    first = orjson.loads(ran.stdout_bytes.splitlines()[0])
    assert first["chosen"] == "\n\nHuman: 2+2?\n\nAssistant: 4"
    ran = export(cli, "--to", "arena", "-o", "-")
    winners = [orjson.loads(x)["winner"] for x in ran.stdout_bytes.splitlines()]
    assert winners == ["model_a", "model_a", "tie", "tie (bothbad)"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "trl", "-o", "x", "--ties", "keep"], "cannot represent a tie"),
        (["--to", "openai", "-o", "x", "--both-bad", "keep"], "cannot represent both bad"),
        (["--to", "ultrafeedback", "-o", "x"], "import-only"),
        (["--to", "yaml", "-o", "x"], "unknown format"),
        (["--to", "trl", "-o", "x", "--min-agreement", "2"], "between 0 and 1"),
    ],
)
def test_export_usage_errors(cli, project, args, message):
    ran = export(cli, *args)
    assert ran.exit_code == 2 and message in ran.stderr


def test_missing_journal_or_pairs(cli, project):
    ran = cli("export", "nope.jsonl", "--pairs", "pairs.jsonl", "--to", "trl", "-o", "x")
    assert ran.exit_code == 2 and "no such journal" in ran.stderr
    ran = cli("export", "alice.jsonl", "--pairs", "nope.jsonl", "--to", "trl", "-o", "x")
    assert ran.exit_code == 2 and "no such pairs file" in ran.stderr


def test_leaderboard_json(cli, project):
    ran = cli("leaderboard", "alice.jsonl", "bob.jsonl", "--pairs", "pairs.jsonl", "--json",
              "--bootstrap", "20")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    board = orjson.loads(ran.stdout)
    models = {m["model"]: m for m in board["models"]}
    # all policy: p1 two A votes (ace), p2 one each, p3 tie, p4 both_bad dropped, p5 flagged.
    assert models["ace"]["wins"] == 3 and models["bolt"]["losses"] == 3
    assert models["bolt"]["ties"] == 1 and models["cobra"]["ties"] == 1
    assert board["battles"]["ace"]["bolt"] == 4
    assert board["dropped"] == {
        "flagged": 1,
        "both bad": 1,
        "unjudged": 1,
        "judged pair not in pairs file": 1,
    }
    assert board["models"][0]["model"] == "ace"
    tied = cli("leaderboard", "alice.jsonl", "--pairs", "pairs.jsonl", "--json",
               "--both-bad", "tie", "--bootstrap", "0")  # fmt: skip
    assert orjson.loads(tied.stdout)["battles"]["cobra"]["ace"] == 1


def test_leaderboard_table(cli, project):
    ran = cli("leaderboard", "alice.jsonl", "bob.jsonl", "--pairs", "pairs.jsonl",
              "--bootstrap", "10", "--anchor", "bolt")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    assert "Bradley-Terry ratings" in ran.stdout and "Win rate" in ran.stdout
    assert " 1000 " in ran.stdout  # the anchor
    assert "verdicts not counted" in ran.stdout
    bad = cli("leaderboard", "alice.jsonl", "--pairs", "pairs.jsonl", "--anchor", "zeta")
    assert bad.exit_code == 2 and "no battles" in bad.stderr


def test_leaderboard_model_names_are_inert(cli, tmp_path):
    hostile = "[bold]evil\x1b]52;c;aGk=\x07[/]"
    pair = Pair(id="p", prompt="q", response_a="a", response_b="b", model_a=hostile, model_b="ok")
    (tmp_path / "pairs.jsonl").write_bytes(orjson.dumps(pair.to_json_dict()) + b"\n")
    with Journal.open(tmp_path / "j.jsonl") as journal:
        journal.append(j("p", "alice", "A"))
    ran = cli("leaderboard", "j.jsonl", "--pairs", "pairs.jsonl", "--bootstrap", "0")
    assert ran.exit_code == 0
    assert "\x1b" not in ran.stdout and "[bold]evil" in ran.stdout


def test_leaderboard_can_exclude_self_identified_pairs(cli, project):
    flagged = [
        p.model_copy(update={"metadata": {"self_identified": True}}) if p.id == "p1" else p
        for p in PAIRS
    ]
    (project / "pairs.jsonl").write_bytes(
        b"".join(orjson.dumps(p.to_json_dict()) + b"\n" for p in flagged)
    )
    args = ("leaderboard", "alice.jsonl", "bob.jsonl", "--pairs", "pairs.jsonl", "--json",
            "--bootstrap", "0")  # fmt: skip
    kept = orjson.loads(cli(*args).stdout)
    assert {m["model"]: m for m in kept["models"]}["ace"]["wins"] == 3
    ran = cli(*args, "--exclude-self-identified")
    assert ran.exit_code == 0, ran.stderr
    board = orjson.loads(ran.stdout)
    assert {m["model"]: m for m in board["models"]}["ace"]["wins"] == 1  # p1's two votes gone
    assert board["dropped"]["self-identified"] == 2
