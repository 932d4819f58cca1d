"""A judge's verdicts become each pair's margin, which the informative order serves by."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from rankterm.llm.margins import judge_margins, with_margins
from rankterm.server.informative import margin_part


def verdict(pair_id: str, order: str, choice: str | None, strength: int | None = None,
            judge: str = "j1") -> dict:  # fmt: skip
    return {"kind": "model_judgment", "source": "model", "judge": judge, "pair_id": pair_id,
            "order": order, "choice": choice, "strength": strength}  # fmt: skip


RECORDS = [
    verdict("sure", "ab", "A", 3),
    verdict("sure", "ba", "A", 3),
    verdict("flip", "ab", "A", 2),  # the judge follows the side: no idea, really
    verdict("flip", "ba", "B", 2),
    verdict("tie", "ab", "tie"),
    verdict("tie", "ba", "B", 1),
    verdict("bad", "ab", "both_bad"),
    verdict("unread", "ab", None),
    verdict("other", "ab", "A", 3, judge="j2"),
]


def test_margins_average_the_orders_on_the_verdict_scale() -> None:
    margins = judge_margins(RECORDS, "j1")
    assert margins == {"sure": 3.0, "flip": 0.0, "tie": -0.5}


def test_a_flipping_judge_puts_its_pair_first_in_the_informative_order() -> None:
    margins = judge_margins(RECORDS, "j1")
    closeness = {
        pid: margin_part(with_margins({"id": pid}, margins, "j1")["metadata"])[0] for pid in margins
    }
    assert closeness["flip"] == 1.0
    assert closeness["flip"] > closeness["tie"] > closeness["sure"]


def test_judge_margins_out_writes_the_pairs_with_their_margins(tmp_path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": pid, "prompt": "?", "response_a": "a", "response_b": "b", "team": "t",
         "metadata": {"lang": "de"}}
        for pid in ("sure", "flip", "unjudged")
    ]  # fmt: skip
    pairs.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    out = tmp_path / "judge.jsonl"
    # "unjudged": verdicts the judge gave but that say nothing of a margin.
    unread = [verdict("unjudged", "ab", None), verdict("unjudged", "ba", "both_bad")]
    out.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in RECORDS + unread))
    target = tmp_path / "with-margins.jsonl"
    # Every verdict is already in the judge file: nothing is asked of the (absent) endpoint.
    ran = subprocess.run(
        [sys.executable, "-m", "rankterm", "judge", str(pairs), "-m", "j1=http://127.0.0.1:9/v1#x",
         "-o", str(out), "--margins-out", str(target)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "2 pairs with a judge margin" in ran.stderr
    written = {r["id"]: r for r in map(orjson.loads, target.read_bytes().splitlines())}
    assert written["sure"]["metadata"] == {"lang": "de", "margin": 3.0, "margin_source": "judge:j1"}
    assert written["flip"]["metadata"]["margin"] == 0.0
    assert written["unjudged"] == rows[2]  # untouched, unknown fields and all
    assert written["sure"]["team"] == "t"


def test_margins_out_refuses_to_overwrite_its_input(tmp_path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text('{"id": "p", "prompt": "?", "response_a": "a", "response_b": "b"}\n')
    out = tmp_path / "judge.jsonl"
    out.write_bytes(orjson.dumps(verdict("p", "ab", "A", 1)) + b"\n"
                    + orjson.dumps(verdict("p", "ba", "A", 1)) + b"\n")  # fmt: skip
    ran = subprocess.run(
        [sys.executable, "-m", "rankterm", "judge", str(pairs), "-m", "j1=http://127.0.0.1:9#x",
         "-o", str(out), "--margins-out", str(pairs)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 2 and "input pairs file" in ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize("strength", [None, 7])
def test_a_verdict_without_a_usable_strength_counts_as_plain_better(strength) -> None:
    records = [verdict("p", "ab", "B", strength)]
    assert judge_margins(records, "j1") == {"p": -2.0}
