"""Judges and suggestions in the Markdown report and in ``agreement --json``: the same figures."""

from __future__ import annotations

import orjson

from rankterm.core.model import Choice, Resolution
from rankterm.core.suggestions import SuggestionBook, judge_suggestions, reward_suggestion
from rankterm.quality.suggestions import suggestion_agreement

from .factory import judge
from .test_cli import cli, write_journal  # noqa: F401  (the fixture)


def _files(tmp_path):
    rows = [("p1", "long answer", "x"), ("p2", "long answer", "y"), ("p3", "a", "longer b"),
            ("p4", "a", "longer b")]  # fmt: skip
    rewards = {"p1": {"reward": {"a": 1.5, "b": -0.2}}, "p2": {"score_a": 3, "score_b": 4},
               "p3": {"reward": {"a": 0, "b": 0}}}  # fmt: skip
    (tmp_path / "pairs.jsonl").write_bytes(b"".join(
        orjson.dumps({"id": i, "prompt": "?", "response_a": a, "response_b": b,
                      "metadata": {"topic": "t" if i in ("p1", "p2") else "u",
                                   **rewards.get(i, {})}}) + b"\n"
        for i, a, b in rows))  # fmt: skip
    votes = {"p1": ("A", "A"), "p2": ("B", "A"), "p3": ("A", "A"), "p4": ("B", "B")}
    write_journal(
        tmp_path / "j.jsonl",
        [judge(p, who, v[k]) for p, v in votes.items() for k, who in enumerate(("alice", "bob"))]
        + [Resolution(pair_id="p2", adjudicator="carol", choice=Choice.A, strength=2)],
    )
    model = {
        ("p1", "ab"): "A",
        ("p1", "ba"): "A",
        ("p2", "ab"): "A",
        ("p2", "ba"): "B",
        ("p3", "ab"): "A",
        ("p3", "ba"): "A",
        ("p4", "ab"): "B",
        ("p4", "ba"): "B",
    }
    (tmp_path / "judge.jsonl").write_bytes(b"".join(
        orjson.dumps({"source": "model", "judge": "j1", "pair_id": p, "order": o, "choice": c,
                      "strength": 2, "rationale": f"why {p}"})
        + b"\n" for (p, o), c in model.items()))  # fmt: skip


def test_report_has_the_judge_figures_of_agreement_json(cli, tmp_path):  # noqa: F811
    _files(tmp_path)
    ran = cli("agreement", "j.jsonl", "--pairs", "pairs.jsonl", "--json", "--judge",
              "judge.jsonl", "--by", "metadata.topic")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    figures = orjson.loads(ran.stdout)["judges"]["j1"]
    out = tmp_path / "report.md"
    ran = cli("report", "j.jsonl", "--pairs", "pairs.jsonl", "--judge", "judge.jsonl",
              "--by", "metadata.topic", "-o", out)  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    text = out.read_text(encoding="utf-8")
    section = text.split("## LLM judges")[1].split("\n## ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| j1 "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == str(figures["n_pairs"])
    assert cells[2] == f"{figures['kappa_vs_humans']:.3f}"
    assert cells[4] == f"{figures['kappa_vs_adjudicated']:.3f}"
    assert cells[6] == f"{100 * figures['flip_rate']:.1f}%"
    assert cells[8] == f"{100 * figures['length_bias']['judge_longer_win_rate']:.1f}%"
    assert cells[9] == f"{100 * figures['length_bias']['human_longer_win_rate']:.1f}%"
    confusion = section.split("Confusion against the human majority:")[1]
    for mine, theirs in figures["confusion_vs_humans"].items():
        for other, n in theirs.items():
            line = next(x for x in confusion.splitlines() if x.startswith(f"| judge {mine} "))
            header = next(x for x in confusion.splitlines() if x.startswith("|  |"))
            column = [c.strip() for c in header.strip("|").split("|")].index(f"people {other}")
            assert [c.strip() for c in line.strip("|").split("|")][column] == str(n)
    assert "Kappa against people by metadata.topic" in section
    for value, entry in figures["slices"]["metadata.topic"].items():
        assert f"| {value} | {entry['n']} |" in section
    # Without --judge the section is not there at all.
    plain = tmp_path / "plain.md"
    assert cli("report", "j.jsonl", "--pairs", "pairs.jsonl", "-o", plain).exit_code == 0
    assert "## LLM judges" not in plain.read_text(encoding="utf-8")


def test_agreement_with_suggestions_per_annotator(cli, tmp_path):  # noqa: F811
    _files(tmp_path)
    ran = cli("agreement", "j.jsonl", "--pairs", "pairs.jsonl", "--json", "--judge",
              "judge.jsonl")  # fmt: skip
    suggestions = orjson.loads(ran.stdout)["suggestions"]
    # judge j1: p1 A, p2 tie (orders disagree), p3 A, p4 B. alice A,B,A,B; bob A,A,A,B.
    assert suggestions["judge j1"] == {
        "n_pairs": 4,
        "annotators": {
            "alice": {"n": 4, "agree": 3, "rate": 0.75},
            "bob": {"n": 4, "agree": 3, "rate": 0.75},
        },
    }
    # reward: p1 A (1.5 > -0.2), p2 B (score_b 4 > 3), p3 tie (equal); p4 has none.
    assert suggestions["reward"]["n_pairs"] == 3
    assert suggestions["reward"]["annotators"]["alice"] == {"n": 3, "agree": 2, "rate": 0.6667}
    assert suggestions["reward"]["annotators"]["bob"] == {"n": 3, "agree": 1, "rate": 0.3333}
    table = cli("agreement", "j.jsonl", "--pairs", "pairs.jsonl", "--judge", "judge.jsonl")
    assert "agreement with judge j1 (4 pairs): alice 3/4, bob 3/4" in table.stdout
    assert "agreement with reward (3 pairs): alice 2/3, bob 1/3" in table.stdout
    out = tmp_path / "report.md"
    ran = cli("report", "j.jsonl", "--pairs", "pairs.jsonl", "--judge", "judge.jsonl", "-o", out)
    section = out.read_text(encoding="utf-8").split("## Agreement with suggestions")[1]
    assert "| alice | 3 | 2 | 66.7% |" in section.split("### reward")[1]


def test_suggestions_from_judge_records_and_rewards():
    records = [
        {"source": "model", "judge": "j", "pair_id": "p", "order": "ab", "choice": "B",
         "strength": 3, "rationale": "B is right"},
        {"source": "model", "judge": "j", "pair_id": "p", "order": "ba", "choice": "B",
         "strength": 1, "rationale": "swapped"},
        {"source": "model", "judge": "j", "pair_id": "q", "order": "ab", "choice": None},
        {"source": "human", "judge": "j", "pair_id": "r", "order": "ab", "choice": "A"},
    ]  # fmt: skip
    found = judge_suggestions(records)
    assert list(found) == ["p"]
    (only,) = found["p"]
    assert (only.source, only.choice, only.strength, only.rationale) == (
        "judge j", Choice.B, 3, "B is right")  # fmt: skip
    assert reward_suggestion({"reward": {"a": "high", "b": 1}}) is None
    assert reward_suggestion({"reward": {"a": float("nan"), "b": 1}}) is None
    assert reward_suggestion({"score_a": 1, "score_b": 2}).choice is Choice.B
    book = SuggestionBook(records, reward=True)
    assert [s.source for s in book.for_pair("p", {"reward": {"a": 2, "b": 1}})] == [
        "judge j", "reward"]  # fmt: skip
    assert SuggestionBook(records).for_pair("x", {"reward": {"a": 2, "b": 1}}) == []
    # Repeats and gold served by a server are not the annotator's first verdict.
    repeat = judge("p", "alice", "A")
    repeat.source = "repeat"
    assert suggestion_agreement([judge("p", "alice", "B"), repeat], {"p": Choice.B}) == {
        "alice": {"n": 1, "agree": 1, "rate": 1.0}}  # fmt: skip
