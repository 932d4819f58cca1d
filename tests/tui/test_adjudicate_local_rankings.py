"""Local adjudication of K-way rankings (issue #16): ``rankterm adjudicate ana.jsonl ben.jsonl
--pairs file.jsonl`` builds a case for every ranking task whose annotators' standing orders
differ, the expert types the order of record with ``o``, it is journaled (fsynced) to the
adjudications journal and is what ``--policy adjudicated`` exports."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import orjson

from rankterm.config import Settings
from rankterm.core.model import Choice, Judgment, Ranking, Resolution, Retraction
from rankterm.formats.rank_data import read_rank_records, read_rank_tasks
from rankterm.formats.rank_export import META_KEY, RankPolicy, run_rank_export
from rankterm.guidelines import EMPTY
from rankterm.sources.adjudication import build_cases, open_local_desk
from rankterm.storage.index import index_pairs
from rankterm.storage.journal import Journal, load_journals, read_journal
from rankterm.tui.app import make_adjudicate_app


def _task(task_id: str, k: int) -> dict:
    return {
        "id": task_id,
        "prompt": f"Question {task_id}?",
        "responses": [
            {"content": f"Answer {chr(65 + i)} to {task_id}.", "model": f"model-{i}"}
            for i in range(k)
        ],
    }


PAIR = {"id": "pair-1", "prompt": "Hi?", "response_a": "Hello.", "response_b": "Hey."}


def _ranking(who: str, task_id: str, order: list[list[int]], **extra) -> Ranking:
    return Ranking(
        pair_id=task_id,
        annotator=who,
        ranking_id=uuid.uuid4(),
        k=sum(map(len, order)),
        order=order,
        duration_ms=30_000,
        **extra,
    )


def write_files(tmp: Path) -> tuple[Path, list[Path]]:
    """A pairs file with one pair and four ranking tasks, and two annotators' journals:

    - rank-split: ana A>B>C>D, ben B>A>C=D            -> a case
    - rank-same: both A>B>C                            -> no case
    - rank-redo: ben first agreed, then re-ranked      -> a case (his latest order counts)
    - rank-gone: ben's differing order retracted       -> no case
    """
    pairs = tmp / "mixed.jsonl"
    rows = [PAIR, _task("rank-split", 4), _task("rank-same", 3), _task("rank-redo", 3)]
    rows.append(_task("rank-gone", 3))
    pairs.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    ana, ben = tmp / "ana.jsonl", tmp / "ben.jsonl"
    with Journal.open(ana) as j:
        j.append(Judgment(pair_id="pair-1", annotator="ana", choice=Choice.A, strength=2))
        j.append(_ranking("ana", "rank-split", [[0], [1], [2], [3]]))
        j.append(_ranking("ana", "rank-same", [[0], [1], [2]]))
        j.append(_ranking("ana", "rank-redo", [[0], [1], [2]]))
        j.append(_ranking("ana", "rank-gone", [[0], [1], [2]]))
    with Journal.open(ben) as j:
        j.append(Judgment(pair_id="pair-1", annotator="ben", choice=Choice.A, strength=2))
        j.append(_ranking("ben", "rank-split", [[1], [0], [2, 3]], rationale="B is exact."))
        j.append(_ranking("ben", "rank-same", [[0], [1], [2]]))
        j.append(_ranking("ben", "rank-redo", [[0], [1], [2]]))
        j.append(_ranking("ben", "rank-redo", [[2], [1], [0]]))
        gone = _ranking("ben", "rank-gone", [[2], [0], [1]])
        j.append(gone)
        j.append(Retraction(pair_id="rank-gone", annotator="ben", retracts=gone.id))
    return pairs, [ana, ben]


def test_cases_are_the_tasks_whose_standing_orders_differ(tmp_path: Path) -> None:
    pairs, journals = write_files(tmp_path)
    desk = open_local_desk(pairs, journals, adjudicator="judy")
    try:
        cases = desk.cases()
    finally:
        desk.close()
    by_id = {c.pair.id: c for c in cases}
    assert set(by_id) == {"rank-split", "rank-redo"}
    # rank-redo: A>B>C against C>B>A is further apart than one swap and a tie.
    assert [c.pair.id for c in cases] == ["rank-redo", "rank-split"]
    redo = by_id["rank-redo"]
    assert redo.is_ranking and redo.judgments == []
    assert sorted(r.annotator for r in redo.rankings) == ["ana", "ben"]
    assert [[2], [1], [0]] in [r.order for r in redo.rankings]


def test_flagged_agreed_ranking_joins_and_misfits_are_left_out(tmp_path: Path) -> None:
    pairs, _ = write_files(tmp_path)
    ana = tmp_path / "ana2.jsonl"
    with Journal.open(ana) as j:
        j.append(_ranking("ana", "rank-same", [[0], [1], [2]], flagged=True))
        j.append(_ranking("ana", "pair-1", [[0], [1], [2]]))  # a ranking on a pair's id
        j.append(_ranking("ana", "rank-split", [[0], [1], [2]]))  # K=3 on a 4-way task
        j.append(_ranking("ana", "no-such-task", [[0], [1], [2]]))
    ben = tmp_path / "ben2.jsonl"
    with Journal.open(ben) as j:
        j.append(_ranking("ben", "rank-split", [[0], [1], [2], [3]]))
    state = load_journals([ana, ben], [])
    with index_pairs(pairs) as index:

        def task_for(pid: str):
            return index.by_id(pid) if pid in index else None

        cases = build_cases(state, task_for)
        assert [c.pair.id for c in cases] == ["rank-same"]
        assert build_cases(state, task_for, flagged_too=False) == []


def _orders_of_record(path: Path) -> list[Resolution]:
    return [e for e in read_journal(path) if isinstance(e, Resolution)]


async def _ready(app, pilot) -> None:
    for _ in range(200):
        if getattr(app.screen, "cases", None):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.6)  # past the verdict gate's paint guard


async def _type_order(pilot, text: str) -> None:
    await pilot.press("o")
    await pilot.pause(0.2)
    for key in text:
        await pilot.press({"=": "equals_sign", ">": "greater_than_sign"}.get(key, key))
    await pilot.press("ctrl+s")


async def test_o_sets_the_order_of_record_journaled_and_exported(tmp_path: Path) -> None:
    pairs, journals = write_files(tmp_path)
    desk = open_local_desk(pairs, journals, adjudicator="judy")
    out = desk.out.path
    app = make_adjudicate_app(desk, Settings(annotator="judy"), EMPTY)
    async with app.run_test(size=(160, 50)) as pilot:
        await _ready(app, pilot)
        screen = app.screen
        assert screen.case.pair.id == "rank-redo"
        text = screen.query_one("#verdicts").text
        assert "A>B>C" in text and "C>B>A" in text
        for i in range(3):
            assert f"model-{i}" not in text  # letters, never the models
        # The pair's verdict keys do nothing to a ranking task.
        await pilot.press("1")
        await pilot.pause(0.2)
        assert _orders_of_record(out) == []
        await _type_order(pilot, "b>a=c")
        for _ in range(60):
            if screen.case is not None and screen.case.pair.id == "rank-split":
                break
            await pilot.pause(0.05)
        # Journaled (fsynced) before the next case shows.
        (resolution,) = _orders_of_record(out)
        assert resolution.pair_id == "rank-redo" and resolution.order == [[1], [0, 2]]
        assert resolution.adjudicator == "judy" and resolution.choice is None
        await _type_order(pilot, "bacd")
        for _ in range(60):
            if len(_orders_of_record(out)) == 2:
                break
            await pilot.pause(0.05)
    desk.close()
    # The resolutions are the orders of record for the exports.
    tasks = read_rank_tasks(pairs).tasks
    records = read_rank_records([*journals, out])
    buf = io.BytesIO()
    summary = run_rank_export("ranking-full", tasks, records, buf, policy=RankPolicy.ADJUDICATED)
    rows = [orjson.loads(line) for line in buf.getvalue().splitlines()]
    # Two resolutions; rank-same and rank-gone keep 2 + 1 annotators' standing orders.
    assert summary.labels == 5
    of_record = {r["id"]: r["order"] for r in rows if r[META_KEY]["label_source"] == "resolution"}
    assert of_record == {"rank-redo": [[1], [0, 2]], "rank-split": [[1], [0], [2], [3]]}
    # A restart of the desk does not bring the settled cases back.
    again = open_local_desk(pairs, journals, adjudicator="judy", out=out)
    try:
        assert again.cases() == []
        assert {c.pair.id for c in again.cases(include_resolved=True)} == {
            "rank-redo",
            "rank-split",
        }
    finally:
        again.close()
