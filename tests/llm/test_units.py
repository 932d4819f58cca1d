"""The plain functions under generate and judge: parsing, pairing, flags, resumable writing."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rankterm.core.errors import UsageError
from rankterm.llm.augment import parse_variants
from rankterm.llm.endpoint import parse_model_spec, retry_after_seconds
from rankterm.llm.generate import Candidate, GenerateOptions, build_pairs
from rankterm.llm.judge import parse_verdict
from rankterm.llm.pairing import pair_arena
from rankterm.llm.prompts import PromptItem, read_prompts
from rankterm.llm.selfid import self_identifies
from rankterm.llm.writer import AppendLog, read_records


def test_prompts_strings_messages_and_errors_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('"plain"\n{"id": "x", "messages": [{"role": "user", "content": "hi"}]}\n')
    items = read_prompts(path)
    assert [i.id for i in items] == ["p1", "x"]
    assert items[1].chat() == [{"role": "user", "content": "hi"}]
    path.write_text('"ok"\n{"id": "y", "messages": [{"role": "user"}]}\n')
    with pytest.raises(UsageError, match=r"p\.jsonl:2: messages\[0\]"):
        read_prompts(path)
    path.write_text('"ok"\n{not json\n')
    with pytest.raises(UsageError, match=r"p\.jsonl:2: not JSON"):
        read_prompts(path)


def test_model_spec_and_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANKTERM_API_KEY_MY_MODEL", "sk-env")
    endpoint = parse_model_spec("my-model=http://h:1/v1#llama3")
    assert (endpoint.url, endpoint.model_id, endpoint.api_key) == (
        "http://h:1/v1/chat/completions", "llama3", "sk-env")  # fmt: skip
    assert parse_model_spec("x=http://h:1").url == "http://h:1/v1/chat/completions"
    with pytest.raises(UsageError, match="BASE_URL"):
        parse_model_spec("x=h:1")


def test_retry_after_forms() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("99999") == 120.0  # capped
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # past date
    assert retry_after_seconds("soon") is None


@pytest.mark.parametrize(
    ("text", "choice", "strength"),
    [
        ('{"choice": "A", "strength": 3, "rationale": "r"}', "A", 3),
        ('Thinking... {"x": 1} then {"choice": "b", "strength": "2"}', "B", 2),
        ("Choice: tie\nRationale: same", "tie", None),
        ("**Verdict:** [[B]]", "B", None),
        ("I think both bad. Choice: both_bad", "both_bad", None),
        ("mmm gibberish", None, None),
        ('{"choice": "A", "strength": 7}', "A", None),
    ],
)
def test_parse_verdict(text: str, choice: str | None, strength: int | None) -> None:
    verdict = parse_verdict(text)
    assert (verdict.choice, verdict.strength) == (choice, strength)


def test_swapped_verdict_maps_back() -> None:
    assert parse_verdict('{"choice": "A", "strength": 2}').unswapped().choice == "B"
    assert parse_verdict("Choice: tie").unswapped().choice == "tie"


def test_self_identification() -> None:
    assert self_identifies("As ChatGPT, developed by OpenAI, I...") == ["chatgpt", "openai"]
    assert self_identifies("I am acme-7b.", ["acme-7b"]) == ["acme-7b"]
    assert self_identifies("The meta-analysis of llamas in Peru") == []
    assert self_identifies("Paris is the capital of France.") == []


def test_build_pairs_flags_self_identification_and_hides_models_in_ids() -> None:
    item = PromptItem("q1", (("user", "who are you?"),), prompt="who are you?", seed_id="s")
    candidates = [
        Candidate("gpt", 0, "I'm ChatGPT, made by OpenAI.", {"latency_s": 0.1, "usage": {}}),
        Candidate("local", 0, "A helpful assistant.", {"latency_s": 0.2, "usage": {}}),
        Candidate("local", 1, "Hello.", {"latency_s": 0.3, "usage": {}}),
    ]
    pairs = build_pairs(item, candidates, GenerateOptions(), {"local": ["local"]})
    assert len(pairs) == 3
    flagged = [p for p in pairs if p["metadata"]["self_identified"]]
    assert len(flagged) == 2
    assert all("gpt" not in p["id"] and "local" not in p["id"] for p in pairs)
    assert all(p["metadata"]["seed_id"] == "s" for p in pairs)
    again = build_pairs(item, candidates, GenerateOptions(), {})
    assert [p["id"] for p in again] == [p["id"] for p in pairs]  # stable across reruns


def test_arena_pairs_distinct_models_only() -> None:
    cands = [Candidate(m, s, "", {}) for m in ("a", "b", "c") for s in range(2)]
    chosen = pair_arena(cands, 4, random.Random(1))
    assert len(chosen) == 4 and all(x.model != y.model for x, y in chosen)
    assert len({frozenset((id(x), id(y))) for x, y in chosen}) == 4


def test_writer_survives_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": 2, "cut')
    assert [r["n"] for r in read_records(path)] == [1]
    with AppendLog(path) as log:
        log.append({"n": 3})
    assert [r["n"] for r in read_records(path)] == [1, 3]


def test_parse_variants() -> None:
    assert parse_variants('Sure: ["one", "two", "three"]', 2) == ["one", "two"]
    assert parse_variants("1. first\n2) second\n- third", 3) == ["first", "second", "third"]
