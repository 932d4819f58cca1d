"""A client for OpenAI-compatible ``/v1/chat/completions`` endpoints over plain httpx.

Why not an SDK: the endpoints are many (vLLM, Ollama, llama.cpp, OpenAI) and the one request we
need is small; plain httpx keeps the install light and the failure handling ours. Each endpoint
gets its own semaphore (a slow local server must not starve a fast remote one), transient
failures (429, 5xx, timeouts, cut connections, malformed JSON) are retried with exponential
backoff, and a server's ``Retry-After`` is honoured.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from rankterm.core.errors import UsageError

#: Statuses worth another try: rate limiting and the server's own troubles.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
#: Longest wait we accept from a Retry-After header, so a bad header cannot hang a run.
MAX_RETRY_AFTER_S = 120.0


class EndpointError(Exception):
    """A request that failed for good (after retries, or with a status not worth retrying)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One model behind one URL, as named on the command line (``NAME=BASE_URL#MODEL_ID``)."""

    name: str
    base_url: str
    model_id: str
    api_key: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None

    @property
    def url(self) -> str:
        """The chat-completions URL: BASE_URL may or may not already end in /v1."""
        base = self.base_url.rstrip("/")
        if base.endswith("/chat/completions"):
            return base
        if not re.search(r"/v\d+$", base):
            base += "/v1"
        return base + "/chat/completions"


def env_key_name(name: str) -> str:
    """``RANKTERM_API_KEY_<NAME>``: the per-model environment variable for an API key."""
    return "RANKTERM_API_KEY_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def parse_model_spec(
    spec: str, *, default_name: str | None = None, api_keys: dict[str, str] | None = None
) -> Endpoint:
    """Parse ``NAME=BASE_URL[#MODEL_ID]`` (or ``BASE_URL#MODEL_ID`` with ``default_name``).

    API keys never come from the command line (it ends up in shell history and ``ps``): they are
    looked up by name in the environment (``RANKTERM_API_KEY_<NAME>``, then
    ``RANKTERM_API_KEY``) and then in the config file's ``api_keys`` table (by name or URL).
    """
    name, sep, rest = spec.partition("=")
    if not sep or "://" in name:
        if default_name is None and "://" in spec:
            default_name = spec.partition("#")[2] or spec
        name, rest = default_name or "", spec
    name = name.strip()
    url, _, model_id = rest.partition("#")
    url = url.strip()
    if not name:
        raise UsageError(f"--model {spec!r}: expected NAME=BASE_URL[#MODEL_ID]")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--model {spec!r}: BASE_URL must start with http:// or https://")
    keys = api_keys or {}
    key = (
        os.environ.get(env_key_name(name))
        or os.environ.get("RANKTERM_API_KEY")
        or keys.get(name)
        or keys.get(url)
    )
    return Endpoint(name=name, base_url=url, model_id=model_id.strip() or name, api_key=key)


@dataclass(slots=True)
class Completion:
    """One answer, with what it cost: tokens and wall time, kept in the pair's metadata."""

    text: str
    usage: dict[str, int]
    latency_s: float
    attempts: int
    finish_reason: str | None = None


@dataclass(slots=True)
class RetryPolicy:
    """How hard to try: attempts, backoff base and cap (seconds), per-request timeout."""

    retries: int = 4
    backoff_s: float = 0.5
    backoff_cap_s: float = 30.0
    timeout_s: float = 120.0


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER_S)


@dataclass
class ChatClient:
    """Sends chat requests with at most ``concurrency`` in flight per endpoint URL."""

    concurrency: int = 4
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    _client: httpx.AsyncClient | None = None
    _gates: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    async def __aenter__(self) -> ChatClient:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
        self._client = httpx.AsyncClient(timeout=self.policy.timeout_s, limits=limits)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _gate(self, endpoint: Endpoint) -> asyncio.Semaphore:
        gate = self._gates.get(endpoint.base_url)
        if gate is None:
            gate = self._gates[endpoint.base_url] = asyncio.Semaphore(self.concurrency)
        return gate

    async def complete(
        self,
        endpoint: Endpoint,
        messages: list[dict[str, str]],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> Completion:
        """One chat completion, retried on transient failures; raises :class:`EndpointError`."""
        assert self._client is not None, "use ChatClient as an async context manager"
        body: dict[str, Any] = {"model": endpoint.model_id, "messages": messages}
        temperature = endpoint.temperature if temperature is None else temperature
        max_tokens = endpoint.max_tokens if max_tokens is None else max_tokens
        if temperature is not None:
            body["temperature"] = temperature
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        if seed is not None:
            body["seed"] = seed
        headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
        policy = self.policy
        last = "no attempt"
        for attempt in range(1, policy.retries + 2):
            wait: float | None = None
            async with self._gate(endpoint):
                started = time.perf_counter()
                try:
                    response = await self._client.post(endpoint.url, json=body, headers=headers)
                    latency = time.perf_counter() - started
                    if response.status_code in RETRY_STATUSES:
                        last = f"HTTP {response.status_code}"
                        wait = retry_after_seconds(response.headers.get("retry-after"))
                    elif response.status_code >= 400:
                        raise EndpointError(
                            f"{endpoint.name}: HTTP {response.status_code}: {response.text[:200]}"
                        )
                    else:
                        return _parse(response.content, latency, attempt)
                except httpx.TimeoutException:
                    last = f"timed out after {policy.timeout_s:g} s"
                except httpx.TransportError as exc:  # refused, reset, cut mid-body
                    last = f"{type(exc).__name__}: {exc}"
                except _Malformed as exc:
                    last = f"malformed response: {exc}"
            if attempt > policy.retries:
                break
            if wait is None:
                wait = min(policy.backoff_cap_s, policy.backoff_s * 2 ** (attempt - 1))
                wait *= 0.5 + random.random() / 2  # jitter: retries of many tasks spread out
            await asyncio.sleep(wait)
        raise EndpointError(f"{endpoint.name}: gave up after {policy.retries + 1} tries: {last}")


class _Malformed(Exception):
    """A 2xx body that is not a chat completion."""


def _parse(content: bytes, latency: float, attempt: int) -> Completion:
    import orjson

    try:
        data = orjson.loads(content)
        choice = data["choices"][0]
        text = choice["message"]["content"]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise _Malformed(f"{type(exc).__name__}: {content[:120]!r}") from None
    if not isinstance(text, str):
        raise _Malformed(f"content is {type(text).__name__}, not text")
    usage_raw = data.get("usage") or {}
    usage = {
        key: int(usage_raw[key])
        for key in ("prompt_tokens", "completion_tokens", "total_tokens")
        if isinstance(usage_raw.get(key), int | float)
    }
    return Completion(
        text=text,
        usage=usage,
        latency_s=round(latency, 4),
        attempts=attempt,
        finish_reason=choice.get("finish_reason"),
    )
