"""Build a tiny randomly initialised GPT-2 chat model in a directory, offline.

Run by the tests with the python that has torch and transformers (the ``llm-test`` venv that
.ci/run makes), so nothing is downloaded at test time: the tokenizer is trained here on a few
lines of text with the ``tokenizers`` package, the weights are random, the chat template is
a short Jinja string. Usage: python build_tiny_model.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Choice: A. Strength: 2. Rationale: the first answer is clearer.",
    '{"choice": "B", "strength": 1, "rationale": "shorter"}',
    "I am a helpful assistant. Paris is the capital of France.",
    "Write a haiku about the sea. Explain recursion to a child.",
] * 20


def build(out: Path) -> None:
    """Write config, random weights, tokenizer and chat template to ``out``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    torch.manual_seed(0)
    specials = ["<|endoftext|>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|end|>", bos_token="<|endoftext|>",
        pad_token="<|endoftext|>", unk_token="<|endoftext|>",
    )  # fmt: skip
    fast.chat_template = CHAT_TEMPLATE
    config = GPT2Config(
        vocab_size=len(fast), n_positions=1024, n_embd=64, n_layer=2, n_head=2,
        bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )  # fmt: skip
    model = GPT2LMHeadModel(config)
    model.generation_config.max_new_tokens = 32
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    fast.save_pretrained(out)


if __name__ == "__main__":
    build(Path(sys.argv[1]))
