"""TRL KTO (unpaired preference): ``{prompt, completion, label: bool}``, export only.

Each labelled pair gives two rows: the chosen response with ``label: true`` and the rejected one
with ``label: false``, both with the pair's ``id`` and a ``rankterm`` metadata block. ``kto``
writes strings (single-turn contexts only); ``kto-conversational`` writes the prompt as messages
and the completion as one assistant turn. Ties and both_bad cannot be said. There is no reader:
unpaired rows do not say which two responses were compared.
"""

from __future__ import annotations

from typing import Any

from rankterm.formats.base import (
    META_KEY,
    JsonlWriter,
    chosen_rejected,
    label_meta,
    messages_json,
    single_prompt,
)
from rankterm.labels import Label
from rankterm.model import Pair

NAME = "kto"
DESCRIPTION = "TRL KTO unpaired (prompt, completion, label), two rows a pair"
CONVERSATIONAL = "kto-conversational"
CONVERSATIONAL_DESCRIPTION = "TRL KTO unpaired, as message lists"


class Writer(JsonlWriter):
    conversational = False

    def records(self, pair: Pair, label: Label) -> list[dict[str, Any]] | str:
        picked = chosen_rejected(pair, label)
        if isinstance(picked, str):
            return picked
        good, bad, _ = picked
        prompt: Any
        if self.conversational:
            prompt = messages_json(pair.conversation)
        else:
            prompt = single_prompt(pair)
            if prompt is None:
                return "multi-turn context (use kto-conversational)"
        meta = label_meta(pair, label)
        rows = []
        for completion, desirable in ((good, True), (bad, False)):
            if self.conversational:
                completion = [{"role": "assistant", "content": completion}]
            rows.append(
                {
                    "prompt": prompt,
                    "completion": completion,
                    "label": desirable,
                    "id": pair.id,
                    META_KEY: meta,
                }
            )
        return rows


class ConversationalWriter(Writer):
    conversational = True
