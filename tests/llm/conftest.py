"""Fixtures: the real tiny-model server (session-wide: building and loading take a while)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm.llmserver import ModelServer, build_model, require_llm_python, start_server


@pytest.fixture(scope="session")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelServer]:
    """``transformers serve`` on a random two-layer GPT-2 built offline by the test."""
    python = require_llm_python()
    root = tmp_path_factory.mktemp("llm")
    model_dir = build_model(python, root / "tiny-gpt2")
    server = start_server(python, model_dir, root / "serve.log")
    yield server
    server.stop()
