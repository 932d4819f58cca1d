"""``--by judgment.FIELD`` slices judgments (not pairs) by a field of the judgment, and an
unknown ``--by`` key is a usage error instead of a silent ``(none)`` slice."""

from __future__ import annotations

import orjson

from rankterm.core.model import Judgment

from .factory import judge
from .test_cli import cli, write_journal  # noqa: F401  (fixture)


def _stamped(j: Judgment, version: str) -> Judgment:
    return j.model_copy(update={"guideline_version": version})


def _pairs(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": f"p{i}", "prompt": "q", "response_a": "a", "response_b": "b",
         "metadata": {"domain": "code"}}
        for i in range(4)
    ]  # fmt: skip
    pairs.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    return pairs


def _journal(tmp_path):
    # v1: p0, p1 judged by x and y, both agree. v2: p2, p3; they disagree on p3.
    # p1 has one verdict under each version: it is a unit of neither version's table.
    records = [
        _stamped(judge("p0", "x", "A"), "v1"),
        _stamped(judge("p0", "y", "A"), "v1"),
        _stamped(judge("p1", "x", "B"), "v1"),
        _stamped(judge("p1", "y", "A"), "v2"),
        _stamped(judge("p2", "x", "B"), "v2"),
        _stamped(judge("p2", "y", "B"), "v2"),
        _stamped(judge("p3", "x", "A"), "v2"),
        _stamped(judge("p3", "y", "B"), "v2"),
    ]
    return write_journal(tmp_path / "j.jsonl", records)


def test_by_guideline_version_slices_judgments(cli, tmp_path) -> None:  # noqa: F811
    journal = _journal(tmp_path)
    ran = cli("agreement", journal, "--json", "--by", "judgment.guideline_version")
    assert ran.exit_code == 0, ran.stderr
    out = orjson.loads(ran.stdout)["slices"]["judgment.guideline_version"]
    slices = {s["value"]: s for s in out}
    assert set(slices) == {"v1", "v2"}
    assert slices["v1"]["units"] == 1 and slices["v1"]["percent_agreement"] == 1.0
    assert slices["v2"]["units"] == 2 and slices["v2"]["percent_agreement"] == 0.5
    assert slices["v1"]["judgments"] == 3 and slices["v2"]["judgments"] == 5


def test_unknown_by_key_is_an_error(cli, tmp_path) -> None:  # noqa: F811
    journal, pairs = _journal(tmp_path), _pairs(tmp_path)
    for key in ("judgment.nonsense", "metadata.domian", "domian"):
        ran = cli("agreement", journal, "--pairs", pairs, "--json", "--by", key)
        assert ran.exit_code == 2, (key, ran.stdout)
        assert key in ran.stderr and ran.stdout == ""
    ran = cli("report", journal, "--pairs", pairs, "-o", "r.md", "--by", "judgment.nonsense")
    assert ran.exit_code == 2 and "judgment.nonsense" in ran.stderr
    ran = cli("agreement", journal, "--pairs", pairs, "--json", "--by", "metadata.domain")
    assert ran.exit_code == 0, ran.stderr
