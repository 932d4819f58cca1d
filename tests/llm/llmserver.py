"""A real OpenAI-compatible server (``transformers serve``) on a tiny model built offline.

torch and transformers live in their own venv (``.ci/.llm-venv``, made by .ci/run; or the python
named by ``RANKTERM_LLM_PYTHON``), so the ordinary install stays light. Without it the
``llm`` tests skip locally and fail under ``CI=true``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.serverproc import free_port

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(__file__).with_name("build_tiny_model.py")


def llm_python() -> Path | None:
    """The python with torch and transformers[serving], or None."""
    named = os.environ.get("RANKTERM_LLM_PYTHON")
    candidates = [Path(named)] if named else []
    candidates.append(ROOT / ".ci" / ".llm-venv" / "bin" / "python")
    return next((c for c in candidates if c.is_file()), None)


def require_llm_python() -> Path:
    """The llm python, or skip (locally) / fail (CI=true) naming what to install."""
    python = llm_python()
    if python is None:
        message = (
            "no torch+transformers venv: run .ci/run, or make .ci/.llm-venv "
            "(see .ci/run), or set RANKTERM_LLM_PYTHON"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return python


def build_model(python: Path, out: Path) -> Path:
    """Build the tiny model into ``out`` with ``python``; returns ``out``."""
    subprocess.run([str(python), str(BUILD), str(out)], check=True, capture_output=True,
                   timeout=600, env={**os.environ, "HF_HUB_OFFLINE": "1"})  # fmt: skip
    return out


@dataclass
class ModelServer:
    """A running ``transformers serve`` process pinned to one model directory."""

    proc: subprocess.Popen
    port: int
    model_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spec(self, name: str) -> str:
        """A ``--model`` value naming this server under ``name``."""
        return f"{name}={self.base_url}#{self.model_dir}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_server(python: Path, model_dir: Path, log: Path, timeout: float = 300.0) -> ModelServer:
    """Start ``transformers serve`` and wait until it answers a chat completion."""
    port = free_port()
    serve = python.parent / "transformers"
    proc = subprocess.Popen(
        [str(serve), "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"},
    )  # fmt: skip
    server = ModelServer(proc, port, model_dir)
    deadline = time.monotonic() + timeout
    body = {"model": str(model_dir), "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 2}  # fmt: skip
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"transformers serve exited: {log.read_text()[-2000:]}")
        try:
            url = f"{server.base_url}/v1/chat/completions"
            if httpx.post(url, json=body, timeout=60).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    raise AssertionError(f"transformers serve did not answer: {log.read_text()[-2000:]}")
