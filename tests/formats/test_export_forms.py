"""Which form TRL/KTO exports take, and how string forms join prompt and response.

The string join is checked against the real pre-tokenizers of the ``tokenizers`` library (GPT-2
byte-level, Llama 3's split pattern, SentencePiece's metaspace) when the interop extra is
installed: BPE merges only inside a pre-token, so the prompt stays a token prefix of
prompt + response exactly when its pre-tokens are a prefix of theirs.
"""

from __future__ import annotations

import io

import orjson
import pytest

from rankterm.core.model import Choice, Judgment, Message, Pair
from rankterm.formats import FORMATS, Imported, ImportReader
from rankterm.formats.base import token_boundary
from rankterm.formats.transfer import run_export
from rankterm.labels import LabelOptions, LabelPolicy
from rankterm.storage.journal import Journal, replay

CASES = [
    ("How do you", "I don't know."),  # the example: "you" + "I" fuse when joined bare
    ("What is 2+2?", "4"),
    ("Translate: chat", "cat"),
    ("Answer briefly.\n\n", "Yes."),  # trailing newlines on the prompt
    ("Q: ", "A"),  # trailing space on the prompt
    ("Say hi", " hi"),  # the response already begins with a space
    ("List two:", "\n- a\n- b"),  # the response begins with a newline
]


def rows(blob: bytes) -> list[dict]:
    return [orjson.loads(line) for line in blob.splitlines()]


@pytest.mark.parametrize(("prompt", "response"), CASES)
def test_token_boundary_keeps_the_text_and_puts_a_space_first(prompt, response):
    core, joined, moved, added = token_boundary(prompt, response)
    # The text the trainer sees is the original, plus at most one space at the boundary.
    assert (core + joined).replace(" ", "") == (prompt + response).replace(" ", "")
    assert len(core + joined) - len(prompt + response) == len(added) <= 1
    assert not core[-1:].isspace()
    assert joined.startswith(" ")
    assert core + moved == prompt


def _pre_tokenizers():
    tokenizers = pytest.importorskip("tokenizers")
    pre = tokenizers.pre_tokenizers
    llama3 = (
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
        r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
    )
    return {
        "gpt2-byte-level": pre.ByteLevel(add_prefix_space=False),
        "llama3-split": pre.Split(tokenizers.Regex(llama3), behavior="isolated"),
        "sentencepiece-metaspace": pre.Metaspace(prepend_scheme="first"),
    }


def _pieces(pre, text: str) -> list[str]:
    return [piece for piece, _ in pre.pre_tokenize_str(text)]


@pytest.mark.interop
def test_string_join_keeps_the_prompt_a_token_prefix_for_real_pre_tokenizers():
    tokenizers = _pre_tokenizers()
    bare_breaks = set()
    for name, pre in tokenizers.items():
        for prompt, response in CASES:
            core, joined, _, _ = token_boundary(prompt, response)
            alone, whole = _pieces(pre, core), _pieces(pre, core + joined)
            assert whole[: len(alone)] == alone, (name, prompt, response)
            # The old bare join breaks it for the example: the test can fail.
            if _pieces(pre, prompt + response)[: len(_pieces(pre, prompt))] != _pieces(pre, prompt):
                bare_breaks.add(name)
    assert bare_breaks, "no pre-tokenizer fuses a bare join: the check proves nothing"


PAIRS = [
    Pair(id="s1", prompt="How do you", response_a="I don't know.", response_b="Like this."),
    Pair(id="s2", prompt="Answer briefly.\n\n", response_a="Yes.", response_b=" No."),
]
CHAT = Pair(
    id="c1",
    messages=[
        Message(role="user", content="Hi"),
        Message(role="assistant", content="Hello."),
        Message(role="user", content="Name a prime."),
    ],
    response_a="7",
    response_b="9",
)
JUDGMENTS = [
    Judgment(pair_id="s1", annotator="alice", choice=Choice.A, strength=2),
    Judgment(pair_id="s2", annotator="alice", choice=Choice.B, strength=3),
    Judgment(pair_id="c1", annotator="alice", choice=Choice.A, strength=1),
]


@pytest.mark.parametrize("name", ["trl", "trl-standard"])
def test_string_form_round_trip_is_exact(name, tmp_path):
    out = io.BytesIO()
    run_export(FORMATS[name], iter(PAIRS), LabelPolicy(replay(JUDGMENTS), LabelOptions()), out)
    written = rows(out.getvalue())
    assert [(r["prompt"], r["chosen"], r["rejected"]) for r in written] == [
        ("How do you", " I don't know.", " Like this."),
        ("Answer briefly.", " \n\n No.", " \n\nYes."),
    ]
    path = tmp_path / "out.jsonl"
    path.write_bytes(out.getvalue())
    with ImportReader(path) as reader:
        back = [i for i in reader if isinstance(i, Imported)]
    assert [i.pair for i in back] == PAIRS


def test_kto_string_rows_begin_the_completion_with_a_space():
    out = io.BytesIO()
    run_export(FORMATS["kto"], iter(PAIRS), LabelPolicy(replay(JUDGMENTS), LabelOptions()), out)
    written = rows(out.getvalue())
    assert [(r["prompt"], r["completion"], r["label"]) for r in written[:2]] == [
        ("How do you", " I don't know.", True),
        ("How do you", " Like this.", False),
    ]
    assert written[0]["rankterm"]["separators"] == [" "]


@pytest.fixture
def chat_project(tmp_path):
    (tmp_path / "pairs.jsonl").write_bytes(
        b"".join(orjson.dumps(p.to_json_dict()) + b"\n" for p in [*PAIRS, CHAT])
    )
    with Journal.open(tmp_path / "alice.jsonl") as journal:
        journal.append_many(JUDGMENTS)
    return tmp_path


@pytest.mark.parametrize("name", ["trl", "kto"])
def test_chat_pairs_get_the_conversational_form_by_default_and_say_so(cli, chat_project, name):
    ran = cli("export", "alice.jsonl", "--pairs", "pairs.jsonl", "--to", name, "-o", "-")
    assert ran.exit_code == 0, ran.stderr
    assert f"wrote the conversational form ({name}-conversational)" in ran.stderr
    assert f"--to {name}-standard writes strings" in ran.stderr
    written = rows(ran.stdout_bytes)
    assert all(isinstance(r["prompt"], list) for r in written)
    assert {r["id"] for r in written} == {"s1", "s2", "c1"}  # the multi-turn pair is kept
    ran = cli("export", "alice.jsonl", "--pairs", "pairs.jsonl", "--to", f"{name}-standard",
              "-o", "-")  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    assert "conversational" not in ran.stderr.split("dropped")[0]
    assert all(isinstance(r["prompt"], str) for r in rows(ran.stdout_bytes))
    assert "multi-turn context" in ran.stderr


def test_single_turn_pairs_keep_the_string_form(cli, chat_project):
    (chat_project / "single.jsonl").write_bytes(
        b"".join(orjson.dumps(p.to_json_dict()) + b"\n" for p in PAIRS)
    )
    ran = cli("export", "alice.jsonl", "--pairs", "single.jsonl", "--to", "trl", "-o", "-")
    assert ran.exit_code == 0, ran.stderr
    assert "conversational" not in ran.stderr
    assert [r["chosen"] for r in rows(ran.stdout_bytes)] == [" I don't know.", " \n\n No."]
