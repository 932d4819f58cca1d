"""HTTP client for the task server: :class:`TaskClient`.

Connection errors, 5xx and 429 are retried with exponential backoff and full jitter (and
``Retry-After`` when the server sends one); 4xx never is. Submitting is safe to retry
because the server is idempotent on each record's UUID; leasing is, because each lease
request carries an ``Idempotency-Key`` that its retries repeat. Errors are :class:`TaskServerError`
subclasses whose messages name the server and what went wrong, never the token.

Needs only httpx and pydantic: annotators install this without the ``server`` extra.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from pydantic import BaseModel

from rankterm import __version__
from rankterm.core import wire
from rankterm.core.errors import RanktermError
from rankterm.core.model import Ack, Comment, Judgment, Resolution, Retraction, Task

# --- errors --------------------------------------------------------------------------------


class TaskServerError(RanktermError):
    """The task server refused a request or could not be reached."""

    status: int | None = None

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(TaskServerError):
    """401: the token is missing, wrong or revoked."""


class PermissionDenied(TaskServerError):
    """403: the token's user lacks the role for this."""


class NotFoundError(TaskServerError):
    """404: no such project, pair or endpoint."""


class RequestRejected(TaskServerError):
    """Another 4xx: invalid input (422), too large (413), conflict (409)."""

    exit_code = 2


class ServerUnavailable(TaskServerError):
    """Connection failures, 5xx or 429 that outlasted every retry."""


#: Records are sent in requests of about this size at most (the server's limit is 32 MiB by
#: default; a smaller request also costs it less to parse while others wait).
MAX_REQUEST_BYTES = 4 * 1024 * 1024
#: Priorities per request (the server's limit: rankterm.server.priority.MAX_ITEMS).
PRIORITY_BATCH = 2000

_BY_STATUS = {401: AuthError, 403: PermissionDenied, 404: NotFoundError}


# --- results -------------------------------------------------------------------------------


class LeasedItem(wire.LeasedPair):
    """One pair to judge; show B on the left when ``shown_swapped``, and record it."""

    #: A pair, or a K-way ranking task (it has ``responses``): the server leases both.
    pair: Task  # type: ignore[assignment]  # the server's pair dict, read as the model


class LeaseBatch(wire.LeaseResponse):
    leases: list[LeasedItem]  # type: ignore[assignment]


class ConflictItem(wire.ConflictItem):
    pair: Task  # type: ignore[assignment]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base: float = 0.25
    cap: float = 8.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)], at least Retry-After."""
        wait = random.uniform(0, min(self.cap, self.base * (2**attempt)))
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap))
        return wait


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    body: Any = None
    #: Extra headers, sent unchanged with every retry (e.g. an Idempotency-Key).
    headers: tuple[tuple[str, str], ...] = ()


def display_url(url: str) -> str:
    """``url`` fit to print: any user name and password in it shown as ``***``.

    Error messages, reprs and status lines name the server; a password written into its URL
    (``https://alice:secret@tasks``) must never reach a terminal, a log or a bug report.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    netloc, tail = (rest, "") if end < 0 else (rest[:end], rest[end:])
    if "@" not in netloc:
        return url
    return f"{scheme}://***@{netloc.rpartition('@')[2]}{tail}"


def _dump(records: Iterable[BaseModel]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in records]


def _acks(data: Any) -> list[Ack]:
    return [Ack.model_validate(item) for item in data["results"]]


class _Base:
    """Request building and response checking (kept apart from the transport in TaskClient)."""

    def __init__(
        self,
        server: str,
        project: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        batch_size: int = 500,
    ) -> None:
        if not server.startswith(("http://", "https://")):
            raise RanktermError(
                f"server URL must start with http:// or https://, got {display_url(server)!r}"
            )
        self.server = server.rstrip("/")
        #: The server as messages name it (no password).
        self.shown = display_url(self.server)
        self.project = project
        self.retry = retry or RetryPolicy()
        self.batch_size = batch_size
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._headers = {"User-Agent": f"rankterm/{__version__}", "Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:  # never shows the token or a password
        return f"{type(self).__name__}({self.shown!r}, project={self.project!r})"

    def _p(self, suffix: str = "") -> str:
        if not self.project:
            raise RanktermError("no project set: pass --project or set 'project' in the config")
        return f"/v1/projects/{self.project}{suffix}"

    def _error(self, response: httpx.Response) -> TaskServerError:
        try:
            data = response.json()
            detail = data.get("detail") if isinstance(data, dict) else None
        except ValueError:
            detail = None
        detail = detail or response.reason_phrase or "error"
        if not isinstance(detail, str):
            detail = orjson.dumps(detail).decode()[:500]
        cls = _BY_STATUS.get(response.status_code)
        if cls is None:
            cls = ServerUnavailable if response.status_code >= 500 else RequestRejected
        return cls(
            f"task server {self.shown}: {detail} (HTTP {response.status_code})",
            response.status_code,
        )

    @staticmethod
    def _retryable(response: httpx.Response) -> bool:
        return response.status_code >= 500 or response.status_code == 429

    @staticmethod
    def _retry_after(response: httpx.Response | None) -> float | None:
        if response is None:
            return None
        value = response.headers.get("retry-after")
        try:
            return float(value) if value else None
        except ValueError:
            return None

    def _unreachable(self, exc: Exception) -> ServerUnavailable:
        kind = type(exc).__name__
        return ServerUnavailable(
            f"task server {self.shown} unreachable after {self.retry.attempts} attempts ({kind})"
        )

    def _parse(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise self._error(response)
        if not response.content:
            return None
        return orjson.loads(response.content)

    def _request(self, call: _Call) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"headers": self._headers}
        if call.body is not None:
            kwargs["content"] = orjson.dumps(call.body)
            kwargs["headers"] = {**self._headers, "Content-Type": "application/json"}
        if call.headers:
            kwargs["headers"] = {**kwargs["headers"], **dict(call.headers)}
        return kwargs

    def _lease_call(self, n: int, key: str | uuid.UUID | None) -> _Call:
        """A lease request with an Idempotency-Key: its retries (here, or a caller's with the
        same ``key``) get the same leases back rather than taking more pairs."""
        key = str(key or uuid.uuid4())
        return _Call("POST", self._p("/leases"), {"n": n}, (("Idempotency-Key", key),))

    # -- calls ------------------------------------------------------------------------------

    def _batches(self, records: Sequence[BaseModel]) -> list[list[dict[str, Any]]]:
        """Requests of at most ``batch_size`` records and about MAX_REQUEST_BYTES each (a
        record larger than that goes alone), so long ideal answers never make a batch the
        server refuses as too large, which would hold the outbox back for good."""
        batches: list[list[dict[str, Any]]] = []
        current: list[dict[str, Any]] = []
        size = 0
        for item in _dump(records):
            n = len(orjson.dumps(item)) + 2
            if current and (len(current) >= self.batch_size or size + n > MAX_REQUEST_BYTES):
                batches.append(current)
                current, size = [], 0
            current.append(item)
            size += n
        if current:
            batches.append(current)
        return batches


class TaskClient(_Base):
    """Blocking client (the CLI's ``sync`` and scripts); one connection pool per instance."""

    def __init__(
        self, server: str, project: str | None = None, token: str | None = None, **kw: Any
    ):
        super().__init__(server, project, token, **kw)
        self._http = httpx.Client(base_url=self.server, timeout=self.timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TaskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _do(self, call: _Call) -> Any:
        last: Exception | None = None
        for attempt in range(self.retry.attempts):
            response = None
            try:
                response = self._http.request(call.method, call.path, **self._request(call))
                if not self._retryable(response):
                    return self._parse(response)
                last = self._error(response)
            except httpx.TransportError as exc:
                last = exc
            if attempt < self.retry.attempts - 1:
                time.sleep(self.retry.delay(attempt, self._retry_after(response)))
        if isinstance(last, TaskServerError):
            raise last
        raise self._unreachable(last or RuntimeError("no attempt"))

    def health(self) -> dict[str, Any]:
        return self._do(_Call("GET", "/v1/health"))

    def me(self) -> dict[str, Any]:
        return self._do(_Call("GET", "/v1/me"))

    def project_info(self) -> dict[str, Any]:
        return self._do(_Call("GET", self._p()))

    def guidelines(self, version: str | None = None) -> dict[str, Any]:
        suffix = f"/guidelines?version={version}" if version else "/guidelines"
        return self._do(_Call("GET", self._p(suffix)))

    def lease(self, n: int = 20, key: str | uuid.UUID | None = None) -> LeaseBatch:
        """Lease up to ``n`` pairs. Pass the same ``key`` to retry a request that failed
        (its leases may exist): the server answers with those instead of new ones."""
        return LeaseBatch.model_validate(self._do(self._lease_call(n, key)))

    def renew(self, lease_ids: Sequence[uuid.UUID | str]) -> list[wire.LeaseStatus]:
        body = {"lease_ids": [str(i) for i in lease_ids]}
        data = self._do(_Call("POST", self._p("/leases/renew"), body))
        return wire.LeaseStatuses.model_validate(data).leases

    def release(self, lease_ids: Sequence[uuid.UUID | str]) -> list[wire.LeaseStatus]:
        body = {"lease_ids": [str(i) for i in lease_ids]}
        data = self._do(_Call("POST", self._p("/leases/release"), body))
        return wire.LeaseStatuses.model_validate(data).leases

    def submit(self, judgments: Sequence[Judgment]) -> list[Ack]:
        """One Ack per judgment, in order; sent in batches of ``batch_size``."""
        acks: list[Ack] = []
        for batch in self._batches(judgments):
            acks += _acks(self._do(_Call("POST", self._p("/judgments"), {"judgments": batch})))
        return acks

    def submit_rankings(self, rankings: Sequence[wire.RankingSubmission]) -> list[Ack]:
        """One Ack per complete ranking (with its comparisons), in order."""
        acks: list[Ack] = []
        for batch in self._batches(rankings):
            acks += _acks(self._do(_Call("POST", self._p("/rankings"), {"rankings": batch})))
        return acks

    def retract(self, retractions: Sequence[Retraction]) -> list[Ack]:
        acks: list[Ack] = []
        for batch in self._batches(retractions):
            body = {"retractions": batch}
            acks += _acks(self._do(_Call("POST", self._p("/retractions"), body)))
        return acks

    def import_pairs(self, pairs: Sequence[BaseModel]) -> dict[str, Any]:
        """Add pairs to the project (admin): the endpoint ``rankterm admin import`` feeds from a
        database, over HTTP. Ids already present are skipped, so a rerun adds nothing twice.
        Returns the summed ``added`` / ``existing`` / ``invalid`` counts and the issues."""
        total: dict[str, Any] = {"added": 0, "existing": 0, "invalid": 0, "issues": []}
        for batch in self._batches(pairs):
            part = self._do(_Call("POST", self._p("/pairs"), batch))
            for key in ("added", "existing", "invalid"):
                total[key] += int(part.get(key, 0))
            total["issues"] += list(part.get("issues", []))
        return total

    def progress(self) -> dict[str, Any]:
        return self._do(_Call("GET", self._p("/me/progress")))

    def project_progress(self) -> dict[str, Any]:
        return self._do(_Call("GET", self._p("/progress")))

    def stats(self) -> dict[str, Any]:
        return self._do(_Call("GET", self._p("/stats")))

    def set_priorities(self, items: Sequence[tuple[str, float]]) -> dict[str, Any]:
        """Change pair priorities by id (admin token), in requests of 2000: the summed
        counts, and the first unknown ids."""
        total: dict[str, Any] = {"updated": 0, "unchanged": 0, "unknown_count": 0, "unknown": []}
        for start in range(0, len(items), PRIORITY_BATCH):
            body = {
                "priorities": [
                    {"id": pair_id, "priority": value}
                    for pair_id, value in items[start : start + PRIORITY_BATCH]
                ]
            }
            part = self._do(_Call("PATCH", self._p("/priorities"), body))
            for key in ("updated", "unchanged", "unknown_count"):
                total[key] += part[key]
            total["unknown"] = (total["unknown"] + part["unknown"])[:50]
        return total

    def conflicts(self, limit: int = 50, include_resolved: bool = False) -> list[ConflictItem]:
        query = f"/conflicts?limit={limit}&include_resolved={str(include_resolved).lower()}"
        data = self._do(_Call("GET", self._p(query)))
        return [ConflictItem.model_validate(item) for item in data["items"]]

    def resolve(self, resolutions: Sequence[Resolution]) -> list[Ack]:
        acks: list[Ack] = []
        for batch in self._batches(resolutions):
            body = {"resolutions": batch}
            acks += _acks(self._do(_Call("POST", self._p("/resolutions"), body)))
        return acks

    def refer(self, items: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Offer LLM judges' verdicts to adjudication (adjudicator role): the server refers
        the pairs where the human majority differs; returns its counts."""
        totals = dict.fromkeys(wire.REFERRAL_OUTCOMES, 0)
        for start in range(0, len(items), 1000):
            body = {"items": list(items[start : start + 1000])}
            data = self._do(_Call("POST", self._p("/referrals"), body))
            for key in totals:
                totals[key] += int(data.get(key, 0))
        return totals

    def comments(self, pair_id: str) -> list[Comment]:
        data = self._do(_Call("GET", self._p(f"/pairs/{_quote(pair_id)}/comments")))
        return [Comment.model_validate(c) for c in data["comments"]]

    def add_comment(self, pair_id: str, text: str, comment_id: uuid.UUID | None = None) -> Comment:
        body = {"text": text, "id": str(comment_id or uuid.uuid4())}
        data = self._do(_Call("POST", self._p(f"/pairs/{_quote(pair_id)}/comments"), body))
        return Comment.model_validate(data["comments"][0])


def _quote(pair_id: str) -> str:
    from urllib.parse import quote

    return quote(pair_id, safe="")


def token_from_settings() -> str | None:
    """RANKTERM_TOKEN or the config file's token; never a command-line flag."""
    from rankterm.config import load_settings

    secret = load_settings().token
    return secret.get_secret_value() if secret is not None else None
