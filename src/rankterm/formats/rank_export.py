"""Export K-way rankings for training: implied pairs, best-vs-worst, KTO, and the full order.

**Orders of record.** A task's order of record is, under ``--policy adjudicated`` (the
default), the adjudicator's order when a resolution set one (``Resolution.order``, as a
resolution's choice is for a pair), else each annotator's standing ranking; ``all`` ignores
resolutions and exports every standing ranking; ``mean-rank`` gives one order per task by the
candidates' mean rank across annotators (equal means tie), the resolution still winning.
Flagged rankings are dropped unless ``--flagged keep``.

**Formats** (``--to``), every row with the task ``id`` and a ``rankterm`` metadata block whose
keys and types are the same in every row (Arrow-based readers infer one schema per file):

* ``ranking-pairs`` -- InstructGPT style: every one of the K(K-1)/2 pairs the order implies,
  TRL-shaped (``prompt``, ``chosen``, ``rejected``), with ``direct: true`` for the pairs the
  annotator actually compared (in ``Ranking.comparisons``) and ``false`` for pairs the order
  implies; ``--direct-only`` writes only the compared ones. Tied pairs have no chosen response
  and are counted as dropped.
* ``ranking-dpo`` -- one pair per order for DPO: the best against the worst (the first
  candidate, by letter, of the top and the bottom tier).
* ``ranking-kto`` -- TRL KTO rows: every candidate of the top tier ``label: true``, every one
  of the bottom tier ``label: false``; the middle says nothing.
* ``ranking-full`` -- the full order, Argilla ranking-question style: the task (``prompt`` or
  ``messages``, ``responses``) plus ``ranking: [{"value": "response-1", "rank": 1}, ...]``
  (rank 1 best, ties share a rank) and the ``order`` as tiers of 0-based indices. The row is
  also a valid ranking task for a pairs file, and ``rankterm import --from ranking-full`` reads
  it back with the order as a prior ranking.

Prompts are strings when every exported task's context is one user turn, else message lists
for every row (a file mixing both has no single schema).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO, Protocol

import orjson

from rankterm.core.model import (
    Choice,
    Comparison,
    Order,
    RankTask,
    candidate_name,
    format_order,
    implied_pairs,
    ranks,
)
from rankterm.formats.base import META_KEY, messages_json, token_boundary
from rankterm.formats.rank_data import RankRecords, fits


class RankPolicy(StrEnum):
    ADJUDICATED = "adjudicated"
    ALL = "all"
    MEAN_RANK = "mean-rank"


@dataclass(frozen=True)
class RankLabel:
    """One order of record for one task, with where it came from."""

    task: RankTask
    order: Order
    #: "resolution", "annotator" or "mean-rank".
    source: str
    annotators: tuple[str, ...]
    #: The pairs compared directly (``(low, high)`` index -> the comparison, for its strength).
    direct: dict[tuple[int, int], Comparison] = field(default_factory=dict)
    ranking_id: str = ""
    typed: bool = False
    flagged: bool = False


def rank_labels(
    tasks: dict[str, RankTask],
    records: RankRecords,
    policy: RankPolicy = RankPolicy.ADJUDICATED,
    *,
    keep_flagged: bool = False,
    dropped: Counter[str] | None = None,
) -> Iterator[RankLabel]:
    """The orders of record of the tasks, in file order; reasons for what is left out."""
    dropped = dropped if dropped is not None else Counter()
    standing = records.standing()
    for task_id in standing.keys() - tasks.keys():
        dropped["ranking of a task not in the pairs file"] += len(standing[task_id])
    for task_id, task in tasks.items():
        resolution = records.resolutions.get(task_id)
        if policy is not RankPolicy.ALL and resolution is not None:
            if resolution.order is not None and fits(resolution.order, task):
                yield RankLabel(task, resolution.order, "resolution", (resolution.adjudicator,))
                continue
            dropped["order of record does not fit the task"] += 1
        usable = []
        for r in standing.get(task_id, []):
            if r.k != task.k or not fits(r.order, task):
                dropped["ranking does not fit the task"] += 1
            elif r.flagged and not keep_flagged:
                dropped["flagged"] += 1
            else:
                usable.append(r)
        if not usable:
            continue
        if policy is RankPolicy.MEAN_RANK:
            direct: dict[tuple[int, int], Comparison] = {}
            for r in usable:
                direct.update(records.direct_pairs(r))
            yield RankLabel(
                task,
                mean_rank_order([r.order for r in usable], task.k),
                "mean-rank",
                tuple(r.annotator for r in usable),
                direct,
            )
            continue
        for r in usable:
            yield RankLabel(
                task,
                r.order,
                "annotator",
                (r.annotator,),
                records.direct_pairs(r),
                str(r.ranking_id),
                r.typed,
                r.flagged,
            )


def mean_rank_order(orders: list[Order], k: int) -> Order:
    """One order from several: candidates by mean rank (1 = best), equal means tied."""
    totals = [0.0] * k
    for order in orders:
        for i, rank in ranks(order).items():
            totals[i] += rank
    means = sorted((round(totals[i] / len(orders), 9), i) for i in range(k))
    out: Order = []
    last: float | None = None
    for mean, i in means:
        if mean == last:
            out[-1].append(i)
        else:
            out.append([i])
        last = mean
    return out


# -- writers ------------------------------------------------------------------------------------


class RankWriter(Protocol):
    def write(self, label: RankLabel) -> tuple[int, Counter[str]]: ...

    def close(self) -> None: ...


class _Rows:
    """Shared row parts: the prompt in the file's one form, and the metadata block."""

    def __init__(self, out: BinaryIO, conversational: bool, direct_only: bool = False) -> None:
        self.out = out
        self.conversational = conversational
        self.direct_only = direct_only

    def emit(self, rows: list[dict[str, Any]]) -> int:
        for row in rows:
            self.out.write(orjson.dumps(row) + b"\n")
        return len(rows)

    def close(self) -> None:
        self.out.flush()

    def prompt(self, task: RankTask) -> Any:
        if self.conversational:
            return messages_json(task.conversation)
        return task.conversation[0].content

    def response(self, prompt: Any, text: str) -> tuple[Any, Any, dict[str, Any]]:
        """``(prompt, response, boundary)`` as TRL reads them (see ``base.token_boundary``)."""
        if self.conversational:
            return prompt, [{"role": "assistant", "content": text}], {}
        core, text, moved, added = token_boundary(prompt, text)
        return core, text, {"prompt_tail": moved, "separators": [added]}

    def candidate(self, label: RankLabel, prompt: Any, i: int) -> tuple[Any, Any, dict[str, Any]]:
        """:meth:`response` for candidate ``i``, computed once per label (it recurs K-1 times)."""
        if self._cands_for is not label:
            self._cands_for, self._cands = label, {}
        if i not in self._cands:
            self._cands[i] = self.response(prompt, label.task.responses[i].content)
        return self._cands[i]

    _cands_for: RankLabel | None = None
    _cands: dict[int, tuple[Any, Any, dict[str, Any]]] = {}

    def meta(self, label: RankLabel, **extra: Any) -> dict[str, Any]:
        """The block for one row: the label's part is built once per label (K(K-1)/2 rows)."""
        if self._meta_for is not label:
            self._meta_for, self._meta = label, self._label_meta(label)
        return {**self._meta, **extra}

    _meta_for: RankLabel | None = None
    _meta: dict[str, Any] = {}

    @staticmethod
    def _label_meta(label: RankLabel) -> dict[str, Any]:
        task = label.task
        return {
            "task_id": task.id,
            "k": task.k,
            "order": format_order(label.order),
            "label_source": label.source,
            "annotators": list(label.annotators),
            "ranking_id": label.ranking_id,
            "typed": label.typed,
            "flagged": label.flagged,
            "models": [c.model or "" for c in task.responses],
            "metadata": orjson.dumps(task.metadata).decode(),
            "tags": orjson.dumps(list(task.tags)).decode(),
        }


class PairsWriter(_Rows):
    """``ranking-pairs``: every implied pair, ``direct`` when it was compared."""

    def write(self, label: RankLabel) -> tuple[int, Counter[str]]:
        task = label.task
        prompt = self.prompt(task)
        rows = []
        skipped: Counter[str] = Counter()
        for i, j, choice in implied_pairs(label.order):
            compared = label.direct.get((i, j))
            if self.direct_only and compared is None:
                skipped["implied pair (--direct-only)"] += 1
                continue
            if choice is Choice.TIE:
                skipped["tied pair (no chosen response)"] += 1
                continue
            good, bad = (i, j) if choice is Choice.A else (j, i)
            rows.append(self.pair_row(label, prompt, good, bad, compared))
        return self.emit(rows), skipped

    def pair_row(
        self,
        label: RankLabel,
        prompt: Any,
        good: int,
        bad: int,
        compared: Comparison | None,
    ) -> dict[str, Any]:
        core, chosen, boundary = self.candidate(label, prompt, good)
        _, rejected, bad_boundary = self.candidate(label, prompt, bad)
        if boundary:
            boundary = {
                **boundary,
                "separators": boundary["separators"] + bad_boundary["separators"],
            }
        strength = (compared.strength or 0) if compared is not None else 0
        return {
            "prompt": core,
            "chosen": chosen,
            "rejected": rejected,
            "id": label.task.id,
            "direct": compared is not None,
            META_KEY: self.meta(
                label,
                chosen=candidate_name(good),
                rejected=candidate_name(bad),
                strength=strength,
                prompt_tail=boundary.get("prompt_tail", ""),
                separators=boundary.get("separators", []),
            ),
        }


class BestWorstWriter(PairsWriter):
    """``ranking-dpo``: the best candidate against the worst, one row per order."""

    def write(self, label: RankLabel) -> tuple[int, Counter[str]]:
        if len(label.order) < 2:
            return 0, Counter({"all candidates tied (no best or worst)": 1})
        best, worst = min(label.order[0]), min(label.order[-1])
        compared = label.direct.get((min(best, worst), max(best, worst)))
        row = self.pair_row(label, self.prompt(label.task), best, worst, compared)
        return self.emit([row]), Counter()


class KtoWriter(_Rows):
    """``ranking-kto``: the top tier desirable, the bottom tier undesirable."""

    def write(self, label: RankLabel) -> tuple[int, Counter[str]]:
        if len(label.order) < 2:
            return 0, Counter({"all candidates tied (no best or worst)": 1})
        task = label.task
        prompt = self.prompt(task)
        rows = []
        for tier, desirable in ((label.order[0], True), (label.order[-1], False)):
            for i in sorted(tier):
                core, completion, boundary = self.candidate(label, prompt, i)
                rows.append(
                    {
                        "prompt": core,
                        "completion": completion,
                        "label": desirable,
                        "id": task.id,
                        META_KEY: self.meta(
                            label,
                            candidate=candidate_name(i),
                            prompt_tail=boundary.get("prompt_tail", ""),
                            separators=boundary.get("separators", []),
                        ),
                    }
                )
        return self.emit(rows), Counter()


class FullWriter(_Rows):
    """``ranking-full``: the task and its whole order (Argilla ranking-question values)."""

    def write(self, label: RankLabel) -> tuple[int, Counter[str]]:
        task = label.task
        rank = full_ranks(label.order)
        context: dict[str, Any] = (
            {"messages": self.prompt(task)}
            if self.conversational
            else {"prompt": self.prompt(task)}
        )
        row = {
            "id": task.id,
            **context,
            "responses": [{"content": c.content, "model": c.model or ""} for c in task.responses],
            "ranking": [{"value": f"response-{i + 1}", "rank": rank[i]} for i in range(task.k)],
            "order": label.order,
            META_KEY: self.meta(label, direct=sorted([a, b] for a, b in label.direct)),
        }
        return self.emit([row]), Counter()


def full_ranks(order: Order) -> dict[int, int]:
    """Competition ranks (1 = best; tied candidates share the rank of their tier's first place)."""
    out: dict[int, int] = {}
    place = 1
    for tier in order:
        for i in tier:
            out[i] = place
        place += len(tier)
    return out


#: ``--to`` name -> (writer class, description).
RANK_FORMATS: dict[str, tuple[type, str]] = {
    "ranking-pairs": (PairsWriter, "rankings as every implied pair, direct flagged (TRL shape)"),
    "ranking-dpo": (BestWorstWriter, "rankings as best vs worst, one pair each (TRL/DPO)"),
    "ranking-kto": (KtoWriter, "rankings as best desirable, worst undesirable (TRL KTO)"),
    "ranking-full": (FullWriter, "rankings as the full order (Argilla ranking style)"),
}


@dataclass
class RankExportSummary:
    format: str
    tasks: int = 0
    labels: int = 0
    records: int = 0
    dropped: Counter[str] = field(default_factory=Counter)


def run_rank_export(
    name: str,
    tasks: dict[str, RankTask],
    records: RankRecords,
    out: BinaryIO,
    *,
    policy: RankPolicy = RankPolicy.ADJUDICATED,
    keep_flagged: bool = False,
    direct_only: bool = False,
) -> RankExportSummary:
    """Write the orders of record of ``tasks`` in format ``name`` (see :data:`RANK_FORMATS`)."""
    writer_class, _ = RANK_FORMATS[name]
    conversational = any(
        len(t.conversation) != 1 or t.conversation[0].role != "user" for t in tasks.values()
    )
    writer = writer_class(out, conversational, direct_only)
    summary = RankExportSummary(name, tasks=len(tasks))
    for label in rank_labels(
        tasks, records, policy, keep_flagged=keep_flagged, dropped=summary.dropped
    ):
        written, skipped = writer.write(label)
        if written:
            summary.labels += 1
            summary.records += written
        summary.dropped.update(skipped)
    writer.close()
    return summary
