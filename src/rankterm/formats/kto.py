"""TRL KTO (unpaired preference): ``{prompt, completion, label: bool}``, export only.

Each labelled pair gives two rows: the chosen response with ``label: true`` and the rejected one
with ``label: false``, both with the pair's ``id`` and a ``rankterm`` metadata block. ``kto``
writes the conversational form when the pairs have message turns, strings otherwise;
``kto-standard`` always writes strings (single-turn contexts only, the completion beginning with
a space, see ``base.token_boundary``); ``kto-conversational`` writes the prompt as messages and
the completion as one assistant turn. Ties and both_bad cannot be said. There is no reader:
unpaired rows do not say which two responses were compared.
"""

from __future__ import annotations

from typing import Any

from rankterm.core.model import Pair
from rankterm.formats.base import (
    META_KEY,
    JsonlWriter,
    chosen_rejected,
    label_meta,
    messages_json,
    single_prompt,
    token_boundary,
)
from rankterm.labels import Label

NAME = "kto"
DESCRIPTION = "TRL KTO unpaired (prompt, completion, label), two rows a pair; chat as messages"
STANDARD = NAME + "-standard"
STANDARD_DESCRIPTION = "TRL KTO unpaired, strings always"
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
        rows = []
        for text, desirable in ((good, True), (bad, False)):
            meta = label_meta(pair, label)
            row_prompt: Any = prompt
            completion: Any
            if self.conversational:
                completion = [{"role": "assistant", "content": text}]
            else:
                row_prompt, completion, moved, added = token_boundary(prompt, text)
                meta["prompt_tail"] = moved
                meta["separators"] = [added]
            rows.append(
                {
                    "prompt": row_prompt,
                    "completion": completion,
                    "label": desirable,
                    "id": pair.id,
                    META_KEY: meta,
                }
            )
        return rows


class ConversationalWriter(Writer):
    conversational = True
