"""Rankings and annotation-tool records: Label Studio Ranker tasks and Argilla v2 records.

The fixtures are real exports (see data/README.md): Label Studio 1.23's JSON export of a
project with a Ranker config, and records made with the Argilla 2.8 SDK and written by its own
``Record.to_dict`` (nested) and ``to_list(flatten=True)`` (flat, also saved as Parquet the way
its Hugging Face export stores them).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import orjson
import pytest

from rankterm.core.errors import LoadIssue
from rankterm.core.model import Choice, Judgment, Pair
from rankterm.formats import FORMATS, Imported, ImportReader
from rankterm.formats.rankings import RANKING_NOTE, implied_pairs, ranks_of
from rankterm.formats.transfer import run_export
from rankterm.labels import Keep, LabelOptions, LabelPolicy
from rankterm.storage.journal import replay

DATA = Path(__file__).parent / "data"


def read(path, name=None):
    with ImportReader(path, name) as reader:
        items = list(reader)
        fmt = reader.format.name
    return (
        fmt,
        [i for i in items if isinstance(i, Imported)],
        [i for i in items if isinstance(i, LoadIssue)],
    )


def preferred(item: Imported) -> str:
    """The text the item's label prefers."""
    assert item.label is not None
    return item.pair.response_a if item.label.choice is Choice.A else item.pair.response_b


# -- the implied preferences --------------------------------------------------------------------


def test_a_ranking_implies_every_pairwise_preference_and_ties():
    pairs = implied_pairs(["x", "y", "z"], [ranks_of(["z", "x", "y"])], None)
    got = {(p.a, p.b): p.agreed for p in pairs}
    assert got == {("x", "y"): Choice.A, ("x", "z"): Choice.B, ("y", "z"): Choice.B}
    tie = implied_pairs(["x", "y"], [{"x": 1, "y": 1}], None)
    assert tie[0].agreed is Choice.TIE


def test_disagreeing_or_missing_rankings_give_no_label():
    pairs = implied_pairs(["x", "y", "z"], [ranks_of(["x", "y"]), ranks_of(["y", "x"])], None)
    by = {(p.a, p.b): p for p in pairs}
    assert by["x", "y"].agreed is None and by["x", "y"].verdicts == (Choice.A, Choice.B)
    assert by["x", "z"].verdicts == () and by["x", "z"].agreed is None


def test_sides_do_not_follow_the_list_order():
    items = [f"i{n}" for n in range(20)]
    pairs = implied_pairs(items, [ranks_of(items)], "task-1")
    choices = {p.agreed for p in pairs}
    assert choices == {Choice.A, Choice.B}  # the best-first list order does not fix the side
    assert pairs == implied_pairs(items, [ranks_of(items)], "task-1")  # stable


# -- Label Studio Ranker ------------------------------------------------------------------------


def test_label_studio_ranker_export_becomes_the_implied_pairs():
    fmt, good, bad = read(DATA / "label_studio_ranker.json")
    assert fmt == "label-studio" and not bad
    by_items = {frozenset((i.pair.metadata["item_a"], i.pair.metadata["item_b"])): i for i in good}
    assert len(good) == 4  # three items -> 3 pairs, two items -> 1
    # Both annotators rank llama and opossum above cobra; they disagree between the two.
    llama_cobra = by_items[frozenset(("llama_model", "cobra_ai"))]
    assert preferred(llama_cobra).startswith("While the initial impact")
    opossum_cobra = by_items[frozenset(("opossum_logic", "cobra_ai"))]
    assert preferred(opossum_cobra).startswith("We must consider")
    split = by_items[frozenset(("llama_model", "opossum_logic"))]
    assert split.label is None and len(split.pair.metadata["label_studio_verdicts"]) == 2
    assert llama_cobra.pair.prompt.startswith("Discuss the implications")
    assert {llama_cobra.pair.metadata["title_a"], llama_cobra.pair.metadata["title_b"]} == {
        "LlamaModel",
        "CobraAI",
    }
    # Three ranked items: the summary must say the labels are implied; two items: nothing to say.
    assert {i.note for i in good if i.pair.metadata["label_studio_task"] == 1} == {RANKING_NOTE}
    sky = by_items[frozenset(("yes", "no"))]
    assert sky.note == "" and preferred(sky) == "Yes, on a clear day."
    assert sky.pair.id in ("ls-2-yes-no", "ls-2-no-yes")


def test_label_studio_bucketed_ranker_gives_no_labels(tmp_path):
    task = {
        "id": 9,
        "data": {"prompt": "p", "items": [{"id": "a", "body": "A"}, {"id": "b", "body": "B"}]},
        "annotations": [
            {"result": [{"from_name": "rank", "to_name": "answers", "type": "ranker",
                         "value": {"ranker": {"relevant": ["b"], "biased": ["a"]}}}]}
        ],
    }  # fmt: skip
    path = tmp_path / "ls.json"
    path.write_bytes(orjson.dumps([task]))
    _, good, bad = read(path)
    assert not bad and len(good) == 1 and good[0].label is None
    assert "buckets" in good[0].note


def test_label_studio_ranker_naming_an_unknown_item_is_a_clear_issue(tmp_path):
    task = {
        "id": 3,
        "data": {"prompt": "p", "items": [{"id": "a", "body": "A"}, {"id": "b", "body": "B"}]},
        "annotations": [{"result": [{"from_name": "rank", "type": "ranker",
                                     "value": {"ranker": {"rank": ["a", "zz"]}}}]}],
    }  # fmt: skip
    path = tmp_path / "ls.json"
    path.write_bytes(orjson.dumps([task]))
    _, good, bad = read(path)
    assert not good and "zz" in bad[0].reason and bad[0].line == 1


def test_label_studio_rlhf_template_fields_are_read(tmp_path):
    # The "Human Preference collection for RLHF" template names its texts answer1/answer2.
    task = {
        "id": 5,
        "data": {"prompt": "p", "answer1": "one", "answer2": "two"},
        "annotations": [{"result": [{"type": "pairwise", "value": {"selected": "right"}}]}],
    }
    path = tmp_path / "ls.json"
    path.write_bytes(orjson.dumps([task]))
    _, good, bad = read(path)
    assert not bad and preferred(good[0]) == "two"


def test_import_command_says_rankings_were_split_into_pairs(cli, tmp_path):
    ran = cli("import", DATA / "label_studio_ranker.json", "-o", "pairs.jsonl",
              "--labels", "prior.jsonl")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    assert "imported 4 pairs" in ran.stderr
    assert f"note: {RANKING_NOTE} (3 pairs)" in ran.stderr
    assert "3 source labels appended" in ran.stderr


# -- Argilla ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture", ["argilla_records.json", "argilla_flat.json", "argilla_hf.parquet"]
)
def test_argilla_records_import_with_responses_as_labels(fixture, tmp_path):
    path = DATA / fixture
    if fixture.endswith(".parquet"):
        # The Hub's form of the flat export, made as the SDK's to_hub does (through datasets);
        # made here, not shipped: a binary fixture has no lines for the fuzz's harvest.
        datasets = pytest.importorskip("datasets")
        path = tmp_path / fixture
        flat = orjson.loads((DATA / "argilla_flat.json").read_bytes())
        datasets.Dataset.from_list(flat).to_parquet(str(path))
    fmt, good, bad = read(path)
    assert fmt == "argilla" and not bad
    by_id = {i.pair.id: i for i in good}
    one = by_id["rec-1"]  # two users rank response1 first
    assert one.pair.prompt == "Name a primary colour." and preferred(one) == "Red."
    assert one.pair.response_a == "Red." and one.pair.metadata == {"source": "demo"}
    assert preferred(by_id["rec-2"]) == "4"  # the ranking and a label question agree
    assert by_id["rec-3"].label is None  # two users disagree
    assert by_id["rec-3"].pair.metadata["argilla_verdicts"] == ["A", "B"]
    # rec-5 ranks three responses: three pairs, labels implied, noted.
    five = [i for i in good if i.pair.id.startswith("rec-5-")]
    assert len(five) == 3 and {i.note for i in five} == {RANKING_NOTE}
    texts = {frozenset((i.pair.response_a, i.pair.response_b)): preferred(i) for i in five}
    assert texts == {
        frozenset(("one", "two")): "one",
        frozenset(("one", "three")): "three",
        frozenset(("two", "three")): "three",
    }
    four = by_id["rec-4"]
    if fixture == "argilla_records.json":
        # The nested export has no response status: the discarded ranking counts and
        # contradicts the ratings, so there is no label rather than a wrong one.
        assert four.label is None
    else:
        # The flat export says the ranking was discarded: the ratings (5 vs 2) decide, and the
        # model's suggestion is not a judgment.
        assert preferred(four) == "Paris."


def test_argilla_export_is_what_the_sdk_reads():
    """The export's shape is ``Record.to_dict``'s, which ``Record.from_dict`` reads back."""
    judgments = [
        Judgment(pair_id="p1", annotator="alice", choice=Choice.B, strength=3, rationale="r")
    ]
    pairs = [Pair(id="p1", prompt="q", response_a="x", response_b="y", metadata={"k": 1})]
    out = io.BytesIO()
    options = LabelOptions(ties=Keep.KEEP, both_bad=Keep.KEEP)
    summary = run_export(
        FORMATS["argilla"], iter(pairs), LabelPolicy(replay(judgments), options), out
    )
    assert summary.records == 1
    records = orjson.loads(out.getvalue())
    assert records[0]["fields"] == {"prompt": "q", "response_a": "x", "response_b": "y"}
    assert records[0]["suggestions"]["preference"] == {
        "value": "response_b",
        "score": 1.0,
        "agent": "rankterm",
    }
    assert records[0]["suggestions"]["strength"]["value"] == 3
    if os.environ.get("CI") == "true":  # CI installs the argilla extra: never a silent skip
        import argilla as rg
    else:
        rg = pytest.importorskip("argilla", reason="needs the argilla extra")
    record = rg.Record.from_dict(records[0])
    back = record.to_dict()
    assert back["id"] == "p1" and back["fields"] == records[0]["fields"]
    assert back["suggestions"] == records[0]["suggestions"]
    assert back["metadata"] == records[0]["metadata"]


def test_argilla_export_flattened_by_the_sdk_reimports_exactly(tmp_path):
    """Our records, logged and exported flat (``to_list(flatten=True)``, the HF export)."""
    if os.environ.get("CI") == "true":
        import argilla as rg
    else:
        rg = pytest.importorskip("argilla", reason="needs the argilla extra")
    from argilla.records._io._generic import GenericIO

    pairs = [
        Pair(id="p1", prompt="q", response_a="x", response_b="y", model_a="m", metadata={"k": 1}),
        Pair(id="p2", prompt="r", response_a="u", response_b="v", tags=["t"]),
        Pair(id="p3", prompt="s", response_a="w", response_b="z"),
    ]
    judgments = [
        Judgment(pair_id="p1", annotator="alice", choice=Choice.B, strength=3, rationale="why"),
        Judgment(pair_id="p2", annotator="alice", choice=Choice.TIE),
        Judgment(pair_id="p3", annotator="bob", choice=Choice.BOTH_BAD),
    ]
    out = io.BytesIO()
    options = LabelOptions(ties=Keep.KEEP, both_bad=Keep.KEEP)
    run_export(FORMATS["argilla"], iter(pairs), LabelPolicy(replay(judgments), options), out)
    records = [rg.Record.from_dict(r) for r in orjson.loads(out.getvalue())]
    path = tmp_path / "flat.json"
    path.write_bytes(orjson.dumps(GenericIO.to_list(records, flatten=True)))
    fmt, good, bad = read(path)
    assert fmt == "argilla" and not bad
    assert [i.pair for i in good] == pairs
    got = [(i.label.choice, i.label.strength, i.label.rationale) for i in good]
    assert got == [(Choice.B, 3, "why"), (Choice.TIE, None, ""), (Choice.BOTH_BAD, None, "")]


def test_argilla_record_without_responses_is_a_clear_issue(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(orjson.dumps([{"id": "r", "fields": {"instruction": "i", "response1": "x"},
                                    "responses": {}}]))  # fmt: skip
    _, good, bad = read(path)
    assert not good and "fewer than two response fields" in bad[0].reason
