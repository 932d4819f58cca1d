"""What a request body may cost before anyone has said who sent it, and what it may become.

Three guards, in the order a request meets them:

- :class:`BodyGuard` (ASGI middleware) refuses a body over the byte limit, by Content-Length up
  front or while it streams, and looks the bearer token up *before* the application reads a
  body larger than :data:`AUTH_FIRST_BYTES` (or of unknown length): a stranger's 32 MB costs a
  header lookup, not a parse. Smaller bodies are read first and their token checked inside the
  endpoint's own transaction as before, so the one-judgment submit pays no extra lookup; such a
  body is at most 64 KiB, which parses in well under a millisecond into a few MB at worst.
- :class:`BoundedRequest` (through :class:`BoundedRoute`, the routers' route class) reads a
  JSON body while counting the bytes that open a JSON value or member (``{ [ , :``): a body
  with more than ``max_json_values`` of them is refused with 413 as soon as the count is
  passed, before anything is parsed. That bound is what keeps parsing memory bounded: Python
  objects cost 20-30 times the JSON text of ``[{},{},...]``, and the byte limit alone allows
  32 MB of it (1.8 GB of dicts). A route may also bound the bytes between two string
  boundaries (a quote not after a backslash): no field of its records takes a longer JSON
  string, and one 32 MB string cost three times its size to parse (the body, orjson's
  buffer, the str).
  The bound is checked on each chunk as it arrives, by searches in C, so a body of escapes
  or quotes costs no Python work per byte.
- On a route that needs a role above annotator (admin, adjudicator), :class:`BoundedRoute`
  checks token, role and project membership *before* the body is read (FastAPI would read
  and parse it before its dependencies run): an annotator's valid token buys no parsing on
  the admin routes, whose strings are otherwise unbounded. Such routes may also carry a byte
  budget (:func:`body_budget`: the biggest honest body, every field at its limit, escaped),
  enforced by Content-Length up front or while the body streams.
- Bodies beyond :data:`INLINE_PARSE_BYTES` are parsed in the thread pool, not on the event
  loop: tens of milliseconds of orjson there held up every other request meanwhile.
- :func:`decode` parses with orjson, which refuses lone surrogates, and falls back to the
  standard library only to say *where* the problem is: a string holding a lone surrogate or a
  NUL (PostgreSQL text cannot store either), an integer beyond 64 bits or a non-finite number
  is named by its field. Inside an item list (``judgments``, ``retractions``, ``resolutions``)
  only that item is refused, with a per-item receipt, so one bad record never blocks the
  client's outbox; anywhere else the request gets 422.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any, cast

import orjson
from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rankterm.server.ingest import Unreadable, raw_id

log = logging.getLogger("rankterm.server")

#: Bodies up to this size are read before their token is checked (see the module docstring).
AUTH_FIRST_BYTES = 64 * 1024
#: Top-level lists whose items are answered one by one (a receipt each).
ITEM_LISTS = ("judgments", "retractions", "resolutions")
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
#: Bodies up to this size are parsed on the event loop (well under a millisecond); larger
#: ones in the thread pool.
INLINE_PARSE_BYTES = 256 * 1024


def _json_error(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> Any:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"request body larger than the limit of {limit} bytes")


class FieldErrors(HTTPException):
    """422 naming each field (raised while the body is read, where FastAPI would turn a
    RequestValidationError into a 400)."""

    def __init__(self, fields: list[dict[str, str]]) -> None:
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:3])
        super().__init__(422, detail=summary)
        self.fields = fields


def token_digest(header: str) -> str | None:
    """The SHA-256 (hex) of a ``Bearer`` token header, or None when there is no usable one."""
    import hashlib

    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        return None
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class BodyGuard:
    """Byte limit on every body; the token checked before a large body is read."""

    def __init__(self, app: ASGIApp, limit: int, known_token: Callable[[str], bool]) -> None:
        self.app = app
        self.limit = limit
        self.known_token = known_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length: int | None = None
        chunked = False
        authorization = ""
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        if length is not None and length > self.limit:
            response = _json_error(413, "too_large", BodyTooLarge(self.limit).detail)
            await response(scope, receive, send)
            return
        if chunked or (length or 0) > AUTH_FIRST_BYTES:
            refusal = await self._refuse_token(authorization)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)

    async def _refuse_token(self, authorization: str) -> Any:
        """None when the token belongs to an active user, else the response to send."""
        challenge = {"WWW-Authenticate": "Bearer"}
        digest = token_digest(authorization)
        if digest is None:
            detail = "missing token: send 'Authorization: Bearer <token>'"
            if authorization.partition(" ")[2].strip():
                detail = "invalid or revoked token"
            return _json_error(401, "unauthorized", detail, challenge)
        try:
            known = await run_in_threadpool(self.known_token, digest)
        except Exception as exc:  # the database is down or busy: the caller can retry
            log.warning("token check before the body failed: %s", type(exc).__name__)
            return _json_error(
                503, "error", "the database is busy or unavailable; retry", {"Retry-After": "1"}
            )
        if not known:
            return _json_error(401, "unauthorized", "invalid or revoked token", challenge)
        return None


def _value_marks(chunk: bytes) -> int:
    """Bytes that open a JSON value or member: an upper bound on what parsing creates."""
    return chunk.count(b"{") + chunk.count(b"[") + chunk.count(b",") + chunk.count(b":")


_NUL = b"\\u0000"


class StringRuns:
    """The longest run of body bytes between two string boundaries, fed chunk by chunk: an
    upper bound on the length of every JSON string in the body (its escaped form).

    Only runs across chunks are tracked (each chunk is cut to at most :data:`PIECE` bytes,
    far below any limit, so a run inside one piece never matters): per piece, the first and
    the last boundary, found in C (``replace``, ``find``, ``rfind``), never byte by byte in
    Python whatever the body holds.
    """

    PIECE = 64 * 1024

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.run = 0
        self._last = b""

    def feed(self, chunk: bytes) -> bool:
        """False as soon as a run is longer than the limit."""
        for start in range(0, len(chunk), self.PIECE):
            piece = chunk[start : start + self.PIECE]
            # With the byte before (an escape split between chunks), escaped quotes masked:
            # what is left are boundaries (a quote after an escaped backslash is masked too,
            # which only makes a run look longer than it is).
            seen = (self._last + piece).replace(b'\\"', b"\\_")
            skip = len(self._last)
            first = seen.find(b'"', skip)
            if first < 0:
                self.run += len(piece)
            else:
                if self.run + first - skip > self.limit:
                    return False
                self.run = len(seen) - seen.rfind(b'"') - 1
            if self.run > self.limit:
                return False
            self._last = piece[-1:]
        return True


class BoundedRequest(Request):
    """A request whose JSON body is counted while it is read and parsed by :func:`decode`."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            budget = self.app.state.settings.max_json_values
            limit = getattr(self, "max_string_bytes", None)
            max_bytes = getattr(self, "max_body_bytes", None)
            length = self.headers.get("content-length", "")
            if max_bytes is not None and length.isdigit() and int(length) > max_bytes:
                raise BodyTooLarge(max_bytes)
            received = 0
            if limit is not None and length.isdigit() and int(length) <= limit:
                limit = None  # no string is longer than the whole body: nothing to scan
            runs = StringRuns(limit) if limit is not None else None
            buf = bytearray()
            marks = 0
            tail = b""
            self._maybe_nul = False
            async for chunk in self.stream():
                received += len(chunk)
                if max_bytes is not None and received > max_bytes:
                    raise BodyTooLarge(max_bytes)
                marks += _value_marks(chunk)
                if marks > budget:
                    raise HTTPException(
                        413, detail=f"request body holds more than {budget} JSON values"
                    )
                if runs is not None and not runs.feed(chunk):
                    raise HTTPException(
                        413,
                        detail=f"request body holds a JSON string (or a stretch without one)"
                        f" longer than {limit} bytes, more than any of its fields takes",
                    )
                # Looked for as the body arrives, not in one pass over 32 MB at the end
                # (with the previous chunk's last bytes, for an escape split between two).
                seen = tail + chunk
                self._maybe_nul = self._maybe_nul or _NUL in seen
                tail = seen[-(len(_NUL) - 1) :]
                buf += chunk
            # The bytearray itself, not a bytes copy of it (which would double the peak).
            self._body = cast(bytes, buf)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            maybe_nul = getattr(self, "_maybe_nul", None)
            if len(body) <= INLINE_PARSE_BYTES:
                self._json = decode(body, maybe_nul)
            else:
                self._json = await run_in_threadpool(decode, body, maybe_nul)
        return self._json


class BoundedRoute(APIRoute):
    """Routes with a body read it through :class:`BoundedRequest`; on a route that needs a
    role above annotator, the caller's token, role and membership are checked first."""

    #: The longest JSON string (escaped, in bytes) a body may hold; None: no bound but the
    #: body's. See :func:`bounded_route`.
    max_string_bytes: int | None = None

    def pre_body_role(self) -> str | None:
        """The role (admin, adjudicator) a dependency of this route requires, if any: see
        ``require`` in api/deps.py, which marks its checks with it."""
        for dependency in self.dependant.dependencies:
            role = getattr(dependency.call, "role", None)
            if role in ("admin", "adjudicator"):
                return role
        return None

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()
        if self.body_field is None:
            # FastAPI reads no body for such a route: its dependencies (the role check among
            # them) run before the endpoint, which reads the stream itself if at all.
            return handler
        limit = self.max_string_bytes
        max_bytes: int | None = getattr(self.endpoint, "max_body_bytes", None)
        role = self.pre_body_role()

        async def bounded(request: Request) -> Response:
            if role is not None:
                from rankterm.server.api.deps import check_before_body

                await check_before_body(request, role)
            send = getattr(request, "_send", None)
            wrapped = (
                BoundedRequest(request.scope, request.receive)
                if send is None
                else BoundedRequest(request.scope, request.receive, send)
            )
            wrapped.max_string_bytes = limit
            wrapped.max_body_bytes = max_bytes
            return await handler(wrapped)

        return bounded


def body_budget(max_bytes: int) -> Callable[[Any], Any]:
    """Mark an endpoint with the biggest body it honestly takes (in bytes, its fields at their
    limits, escaped): a bigger one is refused with 413 by Content-Length, or while it streams,
    before it is parsed. Put it under the ``@router`` decorator."""

    def mark(endpoint: Any) -> Any:
        endpoint.max_body_bytes = max_bytes
        return endpoint

    return mark


#: Bytes a character may take in a JSON string: a ``\uXXXX\uXXXX`` escaped surrogate pair.
ESCAPED_CHAR_BYTES = 12


def bounded_route(max_chars: int) -> type[BoundedRoute]:
    """A route class whose bodies hold no JSON string longer than ``max_chars`` characters
    could be, escaped (the longest any field of the router's records takes), plus slack."""
    limit = max_chars * ESCAPED_CHAR_BYTES + 4096
    return type(f"BoundedRoute{max_chars}", (BoundedRoute,), {"max_string_bytes": limit})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def decode(body: bytes, maybe_nul: bool | None = None) -> Any:
    """The JSON body; a value that cannot be stored is named (see the module docstring).

    ``maybe_nul``: whether the text holds a ``\\u0000`` escape, if the caller already knows.
    """
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            value = json.loads(body, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise exc from None
    else:
        if not (_NUL in body if maybe_nul is None else maybe_nul):
            return value
    problems = unstorable(value)
    if problems:
        value = _refuse(value, problems)
    return value


def _name(part: Any) -> str:
    """A path element fit for a message (and for a PostgreSQL text column)."""
    if isinstance(part, int):
        return str(part)
    text = part.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return text if len(text) <= 80 else text[:77] + "..."


def _problem(value: Any) -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (not valid Unicode)"
        if "\x00" in value:
            return "contains a NUL character"
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            return "integer out of range (more than 64 bits)"
    elif isinstance(value, float) and not math.isfinite(value):
        return "not a finite number"
    return None


def unstorable(value: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(path, reason) of every string, key or number in ``value`` that cannot be stored."""
    found: list[tuple[tuple[Any, ...], str]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                reason = _problem(key)
                if reason is not None:
                    found.append(((*path, key), f"field name {reason}"))
                stack.append(((*path, key), child))
        elif isinstance(node, list):
            stack.extend(((*path, i), child) for i, child in enumerate(node))
        else:
            reason = _problem(node)
            if reason is not None:
                found.append((path, reason))
    return found


def describe_unstorable(problems: list[tuple[tuple[Any, ...], str]], *, limit: int = 3) -> str:
    """One line naming the fields :func:`unstorable` found, e.g. ``prompt: contains a NUL
    character`` (for a file line's report)."""
    ordered = sorted(problems, key=lambda p: [str(x) for x in p[0]])
    parts = [f"{'.'.join(_name(p) for p in path) or 'record'}: {why}" for path, why in ordered]
    more = len(parts) - limit
    return "; ".join(parts[:limit]) + (f" (+{more} more)" if more > 0 else "")


def _refuse(value: Any, problems: list[tuple[tuple[Any, ...], str]]) -> Any:
    """Items of an item list with a problem become :class:`Unreadable` (a receipt each);
    a problem anywhere else fails the request with 422 naming the field."""
    elsewhere = []
    bad_items: dict[tuple[str, int], str] = {}
    for path, reason in sorted(problems, key=lambda p: [str(x) for x in p[0]]):
        if (
            isinstance(value, dict)
            and len(path) >= 2
            and path[0] in ITEM_LISTS
            and isinstance(value[path[0]], list)
            and isinstance(path[1], int)
        ):
            field = ".".join(_name(p) for p in path[2:]) or "record"
            bad_items.setdefault((path[0], path[1]), f"{field}: {reason}")
        else:
            elsewhere.append((path, reason))
    if elsewhere:
        raise FieldErrors(
            [
                {"field": ".".join(_name(p) for p in path) or "body", "message": reason}
                for path, reason in elsewhere[:20]
            ]
        )
    for (key, index), reason in bad_items.items():
        items = value[key]
        items[index] = Unreadable(raw_id(items[index]), reason)
    return value
