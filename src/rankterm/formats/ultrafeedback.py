"""UltraFeedback, raw and binarized.

**Raw** (``openbmb/UltraFeedback``): ``{instruction, completions: [{model, response,
annotations: {aspect: {Rating}}, fine-grained_score, overall_score}]}``, four completions per
prompt. The rule that turns them into pairs is an option (``ReadOptions``):

* score ``fine-grained`` (default): ``fine-grained_score``, or the mean of the numeric
  ``annotations.*.Rating`` values when absent — the score HuggingFaceH4's binarized set uses,
  because the critique's ``overall_score`` is known to be noisy; ``overall`` uses that 1-10 score.
* pairing ``best-worst`` (default): one pair per prompt, highest against lowest score (the first
  completion in file order wins a tie for either place); ``all``: every two completions.
* pairing ``ranking``: one K-way ranking task per prompt (``ufr-<sha1>``) with every scored
  completion in file order (models kept), the source's order by score (equal scores tied) as
  its label, the scores in ``metadata.scores``; fewer than three scored completions is skipped.
* a pair needs a score gap > 0 and >= ``uf_min_gap`` (default 0); prompts with no such pair
  are reported as skipped, with the reason.

The higher-scored response is the prior label, placed as A or B by a stable hash of the id
(``uf-<sha1>``); models go to model_a/model_b and both scores to ``metadata``.

**Binarized** (``HuggingFaceH4/ultrafeedback_binarized``): ``{prompt, prompt_id, chosen,
rejected, messages, score_chosen, score_rejected}`` with chosen/rejected as whole conversations
(or strings); read like TRL (id ``ufb-<sha1>``), scores and prompt_id kept in ``metadata``.
Neither form is written; export to ``trl`` / ``trl-conversational`` for the binarized shape.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from typing import Any

import orjson
from pydantic import ValidationError

from rankterm.core.errors import describe_validation_error
from rankterm.core.model import MAX_K, MIN_K, Message, RankTask
from rankterm.formats.base import (
    SOURCE_STRENGTH,
    Imported,
    ReadOptions,
    RecordError,
    SourceLabel,
    as_text,
    build_pair,
    content_id,
    place,
)
from rankterm.formats.trl import convert_preference

NAME = "ultrafeedback"
DESCRIPTION = "UltraFeedback raw completions -> pairs, or K-way rankings (--uf-pairing)"
BINARIZED = "ultrafeedback-binarized"
BINARIZED_DESCRIPTION = "UltraFeedback binarized (chosen/rejected with scores)"


def detect(record: dict[str, Any]) -> bool:
    return "instruction" in record and isinstance(record.get("completions"), list)


def detect_binarized(record: dict[str, Any]) -> bool:
    return "chosen" in record and "rejected" in record and "score_chosen" in record


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def score(completion: dict[str, Any], rule: str) -> float | None:
    """The completion's score under the rule, None when it has none."""
    if rule == "overall":
        return _number(completion.get("overall_score"))
    direct = _number(completion.get("fine-grained_score"))
    if direct is not None:
        return direct
    annotations = completion.get("annotations")
    if not isinstance(annotations, dict):
        return None
    ratings = [
        r
        for aspect in annotations.values()
        if isinstance(aspect, dict) and (r := _number(aspect.get("Rating"))) is not None
    ]
    return sum(ratings) / len(ratings) if ratings else None


def convert(
    record: dict[str, Any], line: int, options: ReadOptions | None = None
) -> list[Imported]:
    opts = options or ReadOptions()
    instruction = as_text(record.get("instruction"), "instruction")
    scored: list[tuple[float, str, str | None]] = []
    completions = record.get("completions")
    if not isinstance(completions, list):
        raise RecordError("completions: expected a list")
    for i, completion in enumerate(completions):
        if not isinstance(completion, dict):
            raise RecordError(f"completions[{i}]: expected an object")
        value = score(completion, opts.uf_score)
        response = completion.get("response")
        if value is None or not isinstance(response, str):
            continue  # unscored or empty completions are not compared
        model = completion.get("model")
        scored.append((value, response, model if isinstance(model, str) else None))
    if opts.uf_pairing == "ranking":
        return _ranking(record, line, instruction, scored, opts)
    if len(scored) < 2:
        raise RecordError(f"fewer than two completions with {_a(opts.uf_score)} score")
    if opts.uf_pairing == "all":
        candidates = [
            (x, y) if x[0] >= y[0] else (y, x) for x, y in itertools.combinations(scored, 2)
        ]
    else:
        best = max(scored, key=lambda c: c[0])
        worst = min(scored, key=lambda c: c[0])
        candidates = [(best, worst)]
    context = [Message(role="user", content=instruction)]
    extra = {k: record[k] for k in ("source", "id") if isinstance(record.get(k), str | int)}
    imported = []
    for good, bad in candidates:
        gap = good[0] - bad[0]
        if gap <= 0 or gap < opts.uf_min_gap or good[1] == bad[1]:
            continue
        pair_id = content_id("uf", context, good[1], bad[1])
        response_a, response_b, choice = place(pair_id, good[1], bad[1])
        a, b = (good, bad) if choice.value == "A" else (bad, good)
        fields: dict[str, Any] = {
            "id": pair_id,
            "prompt": instruction,
            "response_a": response_a,
            "response_b": response_b,
            "metadata": {**extra, "score_a": a[0], "score_b": b[0], "score": opts.uf_score},
        }
        if a[2] is not None:
            fields["model_a"] = a[2]
        if b[2] is not None:
            fields["model_b"] = b[2]
        imported.append(Imported(build_pair(fields), SourceLabel(choice, SOURCE_STRENGTH), line))
    if not imported:
        raise RecordError(
            f"no two completions differ by {_a(opts.uf_score)} score gap > 0"
            + (f" and >= {opts.uf_min_gap:g}" if opts.uf_min_gap > 0 else "")
        )
    return imported


def _ranking(
    record: dict[str, Any],
    line: int,
    instruction: str,
    scored: list[tuple[float, str, str | None]],
    opts: ReadOptions,
) -> Imported:
    """One K-way ranking task of the scored completions (file order kept: A is the first).

    The source's order -- by score, best first, equal scores tied -- is the record's label (a
    prior ranking with ``import --labels``); the scores go to ``metadata.scores``.
    """
    if len(scored) < MIN_K:
        raise RecordError(
            f"{len(scored)} completions with {_a(opts.uf_score)} score: a ranking needs "
            f"{MIN_K} (--uf-pairing best-worst makes pairs)"
        )
    scored = scored[:MAX_K]
    texts = [text for _, text, _ in scored]
    if len(set(texts)) < len(texts):
        raise RecordError("two completions have the same text")
    context = [Message(role="user", content=instruction)]
    body = orjson.dumps([[[m.role, m.content] for m in context], sorted(texts)])
    task_id = f"ufr-{hashlib.sha1(body).hexdigest()[:16]}"
    tiers: dict[float, list[int]] = {}
    for i, (value, _, _) in enumerate(scored):
        tiers.setdefault(value, []).append(i)
    order = [tiers[v] for v in sorted(tiers, reverse=True)]
    extra = {k: record[k] for k in ("source", "id") if isinstance(record.get(k), str | int)}
    responses = [
        {"content": text, **({"model": model} if model is not None else {})}
        for _, text, model in scored
    ]
    try:
        task = RankTask.model_validate(
            {
                "id": task_id,
                "prompt": instruction,
                "responses": responses,
                "metadata": {**extra, "scores": [v for v, _, _ in scored], "score": opts.uf_score},
            }
        )
    except ValidationError as exc:
        raise RecordError(describe_validation_error(exc)) from None
    return Imported(task, None, line, order=order)


def convert_binarized(
    record: dict[str, Any], line: int, options: ReadOptions | None = None
) -> Imported:
    return convert_preference(record, line, "ufb", ignore=frozenset({"messages"}))


def _a(word: str) -> str:
    """The word with its indefinite article ("an overall", "a fine-grained")."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
