"""Reading each source format from the hand-written fixtures in data/."""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import pytest

from rankterm.core.errors import LoadIssue, UsageError
from rankterm.core.model import Choice
from rankterm.formats import FORMATS, Imported, ImportReader, ReadOptions, iter_pairs

DATA = Path(__file__).parent / "data"


def read(path, name=None, options=None, stdin=None):
    with ImportReader(path, name, options, stdin=stdin) as reader:
        items = list(reader)
        fmt = reader.format.name
    good = [i for i in items if isinstance(i, Imported)]
    bad = [i for i in items if isinstance(i, LoadIssue)]
    return fmt, good, bad


def chosen_text(item: Imported) -> str:
    assert item.label is not None
    return item.pair.response_a if item.label.choice is Choice.A else item.pair.response_b


def test_hh_rlhf_splits_shared_context_and_final_turns():
    fmt, good, bad = read(DATA / "hh.jsonl")
    assert fmt == "hh-rlhf" and not bad and len(good) == 4
    first = good[0].pair
    assert first.prompt == "What are some cuss words in english?"
    assert chosen_text(good[0]).startswith("I'd rather not list")
    tea = good[1].pair
    assert [m.role for m in tea.messages] == ["user", "assistant", "user"]
    assert tea.messages[-1].content == "Should I add milk first?"
    assert chosen_text(good[1]).startswith("Either works")
    assert all(i.pair.id.startswith("hh-") for i in good)
    assert all(i.label.strength == 2 for i in good)


def test_ids_are_stable_and_sides_are_balanced_by_hash():
    _, first, _ = read(DATA / "hh.jsonl")
    _, again, _ = read(DATA / "hh.jsonl")
    assert [i.pair.id for i in first] == [i.pair.id for i in again]
    assert [i.label.choice for i in first] == [i.label.choice for i in again]
    # Not every chosen response lands on the same side.
    assert {i.label.choice for i in first} == {Choice.A, Choice.B}


def test_trl_standard_keeps_extra_columns_in_metadata():
    fmt, good, bad = read(DATA / "trl_standard.jsonl")
    assert fmt == "trl" and not bad and len(good) == 3
    assert good[0].pair.prompt == "The sky is"
    assert chosen_text(good[0]) == " blue."
    assert good[2].pair.metadata == {"source": "manual"}


def test_trl_conversational_and_implicit_prompt():
    _, conv, bad = read(DATA / "trl_conversational.jsonl")
    assert not bad
    assert conv[0].pair.prompt == "What color is the sky?"
    assert [m.role for m in conv[1].pair.messages] == ["system", "user"]
    assert chosen_text(conv[1]) == "4"
    fmt, implicit, bad = read(DATA / "trl_implicit.jsonl")
    assert fmt == "trl" and not bad
    assert implicit[0].pair.prompt == "What color is the sky?"
    assert chosen_text(implicit[0]) == "It is blue."
    assert [m.content for m in implicit[1].pair.messages] == ["Name a prime.", "7", "Another?"]
    assert chosen_text(implicit[1]) == "11"
    # The same comparison in conversational and implicit form is the same pair.
    assert conv[0].pair.id.removeprefix("trl-") == implicit[0].pair.id.removeprefix("trl-")


def test_trl_implicit_prompt_standard_splits_like_trl_extract_prompt():
    """The string form of TRL's implicit prompt, beside the conversational one above.

    TRL's ``extract_prompt`` takes the longest common character prefix as the prompt and, when
    the prefix ends with a space, leaves that space on the responses ("The sky is" + " blue.").
    """
    fmt, good, bad = read(DATA / "trl_implicit_standard.jsonl")
    assert fmt == "trl"
    assert good[0].pair.prompt == "The sky is"
    assert chosen_text(good[0]) == " blue."
    assert {good[0].pair.response_a, good[0].pair.response_b} == {" blue.", " green."}
    assert good[1].pair.prompt == "2+2="
    assert chosen_text(good[1]) == "4"
    assert good[1].pair.metadata == {"source": "arith"}
    # Nothing shared: no prompt to split off, said as such (not silently an empty prompt).
    assert [b.line for b in bad] == [3, 4]
    assert "no common prefix" in bad[0].reason
    assert "prefix of the other" in bad[1].reason
    # The implicit form of a standard record is the same pair, with the same id.
    _, standard, _ = read(DATA / "trl_standard.jsonl")
    assert good[0].pair.id == standard[0].pair.id


def test_ultrafeedback_raw_best_vs_worst_by_default():
    fmt, good, bad = read(DATA / "ultrafeedback_raw.jsonl")
    assert fmt == "ultrafeedback" and not bad and len(good) == 2
    pair = good[0].pair
    assert {pair.model_a, pair.model_b} == {"gpt-4", "falcon-40b-instruct"}
    assert chosen_text(good[0]) == "def reverse(s):\n    return s[::-1]"
    assert pair.metadata["source"] == "evol_instruct"
    winner_model = pair.model_a if good[0].label.choice is Choice.A else pair.model_b
    assert winner_model == "gpt-4"
    # "N/A" ratings are ignored; the mean of the others is the score.
    second = good[1].pair
    scores = sorted([second.metadata["score_a"], second.metadata["score_b"]])
    assert scores == pytest.approx([4 / 3, 4.75])


def test_ultrafeedback_raw_all_pairs_and_min_gap_and_overall():
    _, every, _ = read(DATA / "ultrafeedback_raw.jsonl", options=ReadOptions(uf_pairing="all"))
    assert len(every) == 6 + 1
    _, gapped, _ = read(
        DATA / "ultrafeedback_raw.jsonl", options=ReadOptions(uf_pairing="all", uf_min_gap=3)
    )
    assert len(gapped) == 3
    overall_rule = ReadOptions(uf_score="overall")
    _, overall, bad = read(DATA / "ultrafeedback_raw.jsonl", options=overall_rule)
    assert len(overall) == 2 and not bad
    assert overall[1].pair.metadata["score"] == "overall"


def test_ultrafeedback_raw_reports_prompts_without_a_gap(tmp_path):
    record = (DATA / "ultrafeedback_raw.jsonl").read_text().splitlines()[1]
    path = tmp_path / "uf.jsonl"
    path.write_text(record + "\n")
    _, good, bad = read(path, options=ReadOptions(uf_min_gap=5))
    assert not good
    assert "gap" in bad[0].reason and bad[0].line == 1


def test_ultrafeedback_binarized_scores_kept_messages_dropped():
    fmt, good, bad = read(DATA / "ultrafeedback_binarized.jsonl")
    assert fmt == "ultrafeedback-binarized" and not bad and len(good) == 2
    pair = good[0].pair
    assert pair.prompt == "how can i develop a habit of drawing daily"
    assert chosen_text(good[0]).startswith("Start small")
    assert pair.metadata["score_chosen"] == 8.5
    assert "messages" not in pair.metadata
    assert pair.id.startswith("ufb-")


def test_arena_keeps_positions_and_maps_winners():
    fmt, good, bad = read(DATA / "arena.jsonl")
    assert fmt == "arena" and len(good) == 4
    assert [i.label.choice for i in good] == [Choice.B, Choice.TIE, Choice.A, Choice.BOTH_BAD]
    assert [i.label.strength for i in good] == [2, None, 2, None]
    assert good[0].pair.model_a == "chatglm-6b" and good[0].pair.model_b == "koala-13b"
    assert good[0].pair.metadata["question_id"] == "58210e39b3fd4441a2bd4a518bb44c2d"
    assert len(bad) == 1 and bad[0].line == 5 and "multi-turn" in bad[0].reason


def test_openai_preference():
    fmt, good, bad = read(DATA / "openai.jsonl")
    assert fmt == "openai" and not bad and len(good) == 2
    assert chosen_text(good[0]).startswith("Today in San Francisco")
    assert [m.role for m in good[1].pair.messages] == ["system", "user"]


def test_native_keeps_unknown_fields_and_gold():
    fmt, good, bad = read(DATA / "native.jsonl")
    assert fmt == "rankterm" and not bad
    assert good[0].pair.model_extra == {"team_column": "kept"}
    assert good[0].pair.to_json_dict()["team_column"] == "kept"
    assert good[1].pair.gold.choice is Choice.A
    assert good[0].label is None


def test_csv_with_a_column_map():
    options = ReadOptions(
        column_map={"prompt": "question", "chosen": "good answer", "rejected": "bad answer"}
    )
    fmt, good, bad = read(DATA / "pairs.csv", options=options)
    assert fmt == "csv" and not bad and len(good) == 3
    assert good[0].pair.prompt == "What is the boiling point of water at sea level?"
    assert chosen_text(good[1]) == "Hat."
    assert good[2].pair.response_a.count("\n") == 1 or good[2].pair.response_b.count("\n") == 1
    assert good[0].pair.metadata == {"source": "quiz", "writer": "alice"}
    assert good[2].line == 4  # a quoted newline: the record starts on line 4


def test_csv_map_naming_a_missing_column_is_a_usage_error():
    with pytest.raises(UsageError, match="not in the header"):
        read(DATA / "pairs.csv", options=ReadOptions(column_map={"prompt": "nope"}))


def test_tsv_with_same_named_columns(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text(
        "id\tprompt\tresponse_a\tresponse_b\tchoice\tstrength\n"
        "t1\tHi\tHello\tGo away\tA\t3\n"
        "t2\tHi again\tYo\tHey\ttie\t\n"
        "t3\tMissing\tcells\n"
    )
    _, good, bad = read(path)
    assert [i.pair.id for i in good] == ["t1", "t2"]
    assert (good[0].label.choice, good[0].label.strength) == (Choice.A, 3)
    assert (good[1].label.choice, good[1].label.strength) == (Choice.TIE, None)
    assert bad[0].line == 4 and "cells" in bad[0].reason


def test_gzip_is_read_transparently(tmp_path):
    path = tmp_path / "hh.jsonl.gz"
    with gzip.open(path, "wb") as out:
        out.write((DATA / "hh.jsonl").read_bytes())
    fmt, good, bad = read(path)
    _, plain, _ = read(DATA / "hh.jsonl")
    assert fmt == "hh-rlhf" and not bad
    assert [i.pair for i in good] == [i.pair for i in plain]


def test_stdin_with_detection():
    stdin = io.BytesIO((DATA / "arena.jsonl").read_bytes())
    fmt, good, _ = read("-", stdin=stdin)
    assert fmt == "arena" and len(good) == 4


def test_from_overrides_detection(tmp_path):
    shutil.copy(DATA / "trl_conversational.jsonl", tmp_path / "x.jsonl")
    fmt, good, _ = read(tmp_path / "x.jsonl", "trl-conversational")
    assert fmt == "trl-conversational" and len(good) == 2
    # Forcing a wrong format reports every record instead of guessing.
    fmt, good, bad = read(DATA / "hh.jsonl", "arena")
    assert not good and len(bad) == 4 and "winner" in bad[0].reason


def test_detection_failures_are_usage_errors(tmp_path):
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"question": "q", "answer": "a"}\n')
    with pytest.raises(UsageError, match="cannot tell the format"):
        read(unknown)
    array = tmp_path / "array.json"  # a JSON array is read element by element
    array.write_text('[{"prompt": "p", "chosen": "a", "rejected": "b"}]\n')
    assert read(array)[0] == "trl" and len(read(array)[1]) == 1
    kto = tmp_path / "kto.jsonl"
    kto.write_text('{"prompt": "p", "completion": "c", "label": true}\n')
    with pytest.raises(UsageError, match="KTO"):
        read(kto)
    with pytest.raises(UsageError, match="export-only"):
        read(kto, "sft")
    with pytest.raises(UsageError, match="unknown format"):
        read(kto, "parquet")


def test_detection_skips_a_bad_first_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\n{not json\n" + (DATA / "openai.jsonl").read_bytes())
    fmt, good, bad = read(path)
    assert fmt == "openai" and len(good) == 2
    assert bad[0].line == 2 and "invalid JSON" in bad[0].reason


def test_iter_pairs_gives_plain_pairs():
    items = list(iter_pairs(DATA / "arena.jsonl"))
    assert sum(1 for i in items if isinstance(i, LoadIssue)) == 1
    assert all(hasattr(i, "response_a") for i in items if not isinstance(i, LoadIssue))


def test_every_format_is_listed_with_a_capability():
    assert all(f.readable or f.writable for f in FORMATS.values())
    assert {"hh-rlhf", "trl", "ultrafeedback", "arena", "openai", "csv", "kto", "sft"} <= set(
        FORMATS
    )


def test_native_label_object_becomes_the_prior_label_other_labels_are_kept(tmp_path):
    path = tmp_path / "native.jsonl"
    path.write_text(
        '{"id": "a", "prompt": "p", "response_a": "x", "response_b": "y",'
        ' "label": {"choice": "B", "strength": 3, "rationale": "why"}}\n'
        '{"id": "b", "prompt": "p", "response_a": "x", "response_b": "y", "label": "team-7"}\n'
    )
    _, good, bad = read(path)
    assert not bad
    assert (good[0].label.choice, good[0].label.strength, good[0].label.rationale) == (
        Choice.B,
        3,
        "why",
    )
    assert "label" not in good[0].pair.to_json_dict()
    assert good[1].label is None and good[1].pair.to_json_dict()["label"] == "team-7"


def test_openai_keeps_tools_tool_call_turns_and_message_keys_through_a_round_trip(tmp_path):
    import io

    import orjson

    from rankterm.core.model import Judgment
    from rankterm.formats.transfer import run_export
    from rankterm.labels import LabelOptions, LabelPolicy
    from rankterm.storage.journal import replay

    source = DATA / "openai_tools.jsonl"
    fmt, good, bad = read(source)
    assert fmt == "openai" and len(good) == 2
    # A tool call as the compared response is not text: said, not guessed.
    assert [b.line for b in bad] == [3] and "tool call" in bad[0].reason
    weather = good[0].pair
    assert [m.role for m in weather.messages] == ["system", "user", "assistant", "tool"]
    assert weather.messages[1].model_extra == {"name": "dana"}
    assert weather.messages[2].model_extra["tool_calls"][0]["id"] == "call_1"
    assert weather.messages[3].model_extra == {"tool_call_id": "call_1"}
    assert weather.metadata["openai"]["parallel_tool_calls"] is False
    assert good[1].pair.messages[1].model_extra == {"weight": 0}
    # Export what was imported (each source label as the verdict): the records come back.
    verdicts = [Judgment(pair_id=i.pair.id, annotator="source", choice=i.label.choice,
                         strength=2) for i in good]  # fmt: skip
    out = io.BytesIO()
    pairs = [i.pair for i in good]
    run_export(FORMATS["openai"], iter(pairs), LabelPolicy(replay(verdicts), LabelOptions()), out)
    originals = [orjson.loads(x) for x in source.read_bytes().splitlines()[:2]]
    assert [orjson.loads(x) for x in out.getvalue().splitlines()] == originals


def test_label_studio_pairwise_tasks(tmp_path):
    # The shape of Label Studio's JSON export, its Pairwise result as Pairwise.js writes it
    # ({"type": "pairwise", "value": {"selected": "left" | "right"}}); written for this test.
    fmt, good, bad = read(DATA / "label_studio_pairwise.json")
    assert fmt == "label-studio"
    assert [i.pair.id for i in good] == ["ls-101", "ls-102", "ls-103"]
    assert good[0].label.choice is Choice.A and good[0].pair.metadata == {"source": "demo"}
    assert chosen_text(good[1]) == "4"  # right, the cancelled annotation ignored
    # Two annotators disagree: no prior label, their verdicts kept.
    assert good[2].label is None
    assert good[2].pair.metadata == {"label_studio_verdicts": ["A", "B"]}
    assert [b.line for b in bad] == [28]  # where the task object opens
    assert "response_a" in bad[0].reason
