"""``export --negatives``: responses tagged unsafe / toxic / privacy-leaking, by side, become
KTO undesirable rows and DPO rejected answers; both_bad pairs give two KTO negatives."""

from __future__ import annotations

import orjson
import pytest

from rankterm.core.model import Choice, Judgment, Pair, Resolution
from rankterm.storage.journal import Journal, decode, encode

PAIRS = [
    Pair(id="s1", prompt="How to pick a lock?", response_a="Use a tension wrench...",
         response_b="I can't help with breaking in, but a locksmith can.", model_a="ace",
         model_b="bolt"),
    Pair(id="s2", prompt="Whose address?", response_a="She lives at 4 Elm St.",
         response_b="He lives at 9 Oak Rd.", model_a="bolt", model_b="ace"),
    Pair(id="s3", prompt="Insult me", response_a="You are dumb.", response_b="No thanks.",
         model_a="ace", model_b="cobra"),
    Pair(id="s4", prompt="Mix bleach and?", response_a="Ammonia, for a stronger clean.",
         response_b="Never ammonia: it makes toxic gas.", model_a="cobra", model_b="bolt"),
    Pair(id="s5", prompt="Hi", response_a="Hello!", response_b="Hey.", model_a="a",
         model_b="b"),
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
    with Journal.open(tmp_path / "red.jsonl") as journal:
        journal.append_many([
            # s1: A is unsafe advice (tagged on A); B is safe -> DPO B over A.
            j("s1", "rita", "B", tags=["unsafe_advice"], tag_sides={"unsafe_advice": "A"}),
            # s2: both leak private data; both_bad with an ideal answer.
            j("s2", "rita", "both_bad", tags=["privacy_leak"],
              tag_sides={"privacy_leak": "both"}, ideal_response="I can't share addresses."),
            # s3: toxicity, pair-level (an old-style tag) on an A/B verdict: unplaced.
            j("s3", "rita", "B", tags=["toxicity"]),
            # s4: both bad, untagged: two KTO negatives, nothing better for DPO.
            j("s4", "rita", "both_bad"),
            # s5: a tag that is not a negative tag.
            j("s5", "rita", "A", tags=["hallucination"], tag_sides={"hallucination": "B"}),
        ])  # fmt: skip
    return tmp_path


def export(cli, *extra):
    return cli("export", "red.jsonl", "--pairs", "pairs.jsonl", "--negatives", *extra)


def rows(path):
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_kto_negatives(cli, project) -> None:
    ran = export(cli, "--to", "kto", "-o", "kto.jsonl")
    assert ran.exit_code == 0, ran.stderr
    out = rows(project / "kto.jsonl")
    got = sorted((r["id"], r["rankterm"]["side"], tuple(r["rankterm"]["reasons"])) for r in out)
    assert got == [
        ("s1", "A", ("unsafe_advice",)),
        ("s2", "A", ("both_bad", "privacy_leak")),
        ("s2", "B", ("both_bad", "privacy_leak")),
        ("s4", "A", ("both_bad",)),
        ("s4", "B", ("both_bad",)),
    ]
    assert all(r["label"] is False for r in out)
    s1 = next(r for r in out if r["id"] == "s1")
    assert s1["completion"] == " Use a tension wrench..." and s1["rankterm"]["model"] == "ace"
    assert "wrote 5 kto negative records" in ran.stderr
    assert "both_bad: 4 negatives" in ran.stderr and "privacy_leak: 2 negatives" in ran.stderr
    assert "unsafe_advice: 1 negative" in ran.stderr
    assert "toxicity: 1 pair-level tag" in ran.stderr


def test_dpo_negatives_prefer_ideal_then_safe_other(cli, project) -> None:
    ran = export(cli, "--to", "trl-conversational", "-o", "dpo.jsonl")
    assert ran.exit_code == 0, ran.stderr
    out = {(r["id"], r["rankterm"]["side"]): r for r in rows(project / "dpo.jsonl")}
    assert set(out) == {("s1", "A"), ("s2", "A"), ("s2", "B")}
    s1 = out[("s1", "A")]
    assert s1["chosen"][0]["content"].startswith("I can't help")
    assert s1["rejected"][0]["content"] == "Use a tension wrench..."
    assert s1["rankterm"]["preferred"] == "other"
    assert out[("s2", "B")]["chosen"][0]["content"] == "I can't share addresses."
    assert out[("s2", "B")]["rankterm"]["preferred"] == "ideal"
    assert "dropped 2: negative with no ideal answer and no safe other response" in ran.stderr


def test_retagging_and_resolution(cli, project) -> None:
    # An adjudicator who settles s4 as A takes its both_bad negatives away.
    with Journal.open(project / "red.jsonl") as journal:
        journal.append_many([Resolution(pair_id="s4", adjudicator="lead", choice=Choice.A,
                                        strength=1)])  # fmt: skip
    ran = export(cli, "--to", "kto", "-o", "-", "--negative-tag", "hallucination")
    ids = sorted(
        (r["id"], r["rankterm"]["side"]) for r in map(orjson.loads, ran.stdout_bytes.splitlines())
    )
    assert ids == [("s2", "A"), ("s2", "B"), ("s5", "B")]


def test_negatives_usage_errors(cli, project) -> None:
    ran = export(cli, "--to", "csv", "-o", "x.csv")
    assert ran.exit_code == 2 and "--negatives writes KTO or TRL" in ran.stderr
    ran = cli("export", "red.jsonl", "--pairs", "pairs.jsonl", "--to", "kto", "-o", "y",
              "--negative-tag", "toxicity")  # fmt: skip
    assert ran.exit_code == 2 and "needs --negatives" in ran.stderr


def test_side_must_name_an_own_tag() -> None:
    with pytest.raises(ValueError, match="tag_sides names tags"):
        j("s1", "rita", "A", tags=[], tag_sides={"toxicity": "A"})
    with pytest.raises(ValueError):
        j("s1", "rita", "A", tags=["toxicity"], tag_sides={"toxicity": "left"})
    old = Judgment.model_validate_json(
        '{"pair_id": "s1", "annotator": "x", "choice": "tie", "tags": ["toxicity"]}'
    )
    assert old.tag_sides == {} and old.tag_side("toxicity") is None
    # Without sides a record is the same bytes as before sides existed (old servers accept it).
    assert b"tag_sides" not in encode(old)
    sided = j("s1", "rita", "A", tags=["toxicity"], tag_sides={"toxicity": "B"})
    assert decode(encode(sided)).tag_sides == {"toxicity": "B"}
