"""SFT records from rewritten answers, export only.

When an annotator judged both responses bad (or simply wrote a better one), the answer they wrote
(:attr:`~rankterm.core.model.Judgment.ideal_response`) is supervised fine-tuning data:
``{"messages": [...context, {"role": "assistant", "content": ideal}], "id", "rankterm": {...}}``.
One record per distinct rewritten answer behind the label of record (an adjudicated label uses
the answers of the judgments that agree with it). Labels without one are skipped ("no
ideal_response"). Ties and both_bad are kept by default for this format.
"""

from __future__ import annotations

from typing import Any

from rankterm.core.model import Message, Pair
from rankterm.formats.base import META_KEY, JsonlWriter, label_meta, messages_json
from rankterm.labels import Label

NAME = "sft"
DESCRIPTION = "SFT messages from rewritten answers (ideal_response)"


class Writer(JsonlWriter):
    def records(self, pair: Pair, label: Label) -> list[dict[str, Any]] | str:
        if not label.ideal_responses:
            return "no ideal_response"
        meta = label_meta(pair, label)
        return [
            {
                "messages": messages_json(
                    [*pair.conversation, Message(role="assistant", content=ideal)]
                ),
                "id": pair.id,
                META_KEY: meta,
            }
            for ideal in label.ideal_responses
        ]
