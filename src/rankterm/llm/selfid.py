"""Does a response name its model or its maker? (Chatbot Arena drops such votes.)

A vote on a response that says "As ChatGPT, made by OpenAI..." is a vote on a brand, not on the
answer. We flag it in the pair's metadata; the TUI can warn and the leaderboard can exclude it
(``--exclude-self-identified``). The rule errs on the side of flagging: a missed identity
leaks a label, a false flag only costs one vote when excluded.
"""

from __future__ import annotations

import re

#: Model families and makers. Ambiguous words ("meta", "gemma" alone is fine) need context.
KNOWN_NAMES = (
    "openai", "chatgpt", "gpt-3.5", "gpt-4", "gpt-4o", "gpt-5", "anthropic", "claude",
    "google deepmind", "deepmind", "gemini", "bard", "gemma", "meta ai", "llama", "mistral ai",
    "mixtral", "qwen", "alibaba cloud", "tongyi", "deepseek", "microsoft", "phi-3", "phi-4",
    "cohere", "command r", "xai", "grok", "01.ai", "yi-34b", "falcon", "vicuna", "lmsys",
    "zhipu", "chatglm", "baichuan", "moonshot", "kimi", "ernie", "baidu", "ollama",
)  # fmt: skip


def _pattern(names: list[str]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(n.lower()) for n in names if len(n) >= 3}, key=len)
    return re.compile(r"(?<![\w-])(" + "|".join(reversed(alternatives)) + r")(?![\w])", re.I)


_DEFAULT = _pattern(list(KNOWN_NAMES))


def self_identifies(text: str, own_names: list[str] | None = None) -> list[str]:
    """Names of models or makers that ``text`` mentions (lower case, unique, in order).

    ``own_names`` adds the endpoint's own name and model id (e.g. a fine-tune called
    ``acme-7b``), so a model is caught naming itself even when we never heard of it.
    """
    pattern = _pattern([*KNOWN_NAMES, *own_names]) if own_names else _DEFAULT
    found: list[str] = []
    for match in pattern.finditer(text):
        name = match.group(1).lower()
        if name not in found:
            found.append(name)
    return found
