"""Project endpoints: create and configure (admin), read, guidelines, import, export, progress."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from rankterm.server import priority, reports, users
from rankterm.server import projects as svc
from rankterm.server.api.deps import DB, Adjudicator, Admin, Annotator, Json
from rankterm.server.bodies import ESCAPED_CHAR_BYTES, BoundedRoute, body_budget
from rankterm.server.core import get_project, project_for
from rankterm.server.pools import MAX_REQUIREMENT_TEXT, MAX_REQUIREMENTS
from rankterm.server.schemas import (
    MAX_DESCRIPTION,
    MAX_GUIDELINES,
    MAX_PROJECT_CRITERIA,
    MAX_PROJECT_TAGS,
    GuidelinesIn,
    GuidelinesPublic,
    GuidelinesUploaded,
    ImportResult,
    ProjectCreate,
    ProjectProgress,
    ProjectPublic,
    ProjectStats,
    ProjectUpdate,
    UserAdmin,
    UserAttributes,
)

router = APIRouter(prefix="/v1", route_class=BoundedRoute)

IMPORT_CHUNK = 1000

#: Body budgets (bytes): every field at its limit, each character escaped at its longest
#: (``\\uXXXX\\uXXXX``), plus room for the short settings, names and whitespace. A bigger
#: body is refused with 413 while it streams (after the caller's role is checked).
_SLACK = 64 * 1024
_WORDS = (MAX_PROJECT_TAGS + MAX_PROJECT_CRITERIA) * (
    200 * ESCAPED_CHAR_BYTES + 4
) + MAX_REQUIREMENTS * (MAX_REQUIREMENT_TEXT * ESCAPED_CHAR_BYTES + 4)
UPDATE_BUDGET = MAX_DESCRIPTION * ESCAPED_CHAR_BYTES + _WORDS + _SLACK
CREATE_BUDGET = UPDATE_BUDGET + MAX_GUIDELINES * ESCAPED_CHAR_BYTES
GUIDELINES_BUDGET = MAX_GUIDELINES * ESCAPED_CHAR_BYTES + _SLACK


@router.post("/projects", response_model=ProjectPublic, status_code=201)
@body_budget(CREATE_BUDGET)
def create_project(body: ProjectCreate, _: Admin, db: DB) -> Any:
    """Create a project (admin)."""

    def work(conn: Any) -> ProjectPublic:
        return svc.project_public(conn, svc.create_project(conn, body))

    return db.write(work)


@router.get("/projects", response_model=list[ProjectPublic])
def list_projects(user: Annotator, db: DB) -> Any:
    """The projects the caller is a member of (admins: all)."""
    with db.read() as conn:
        return [svc.project_public(conn, p) for p in svc.list_projects(conn, user)]


@router.get("/projects/{project}", response_model=ProjectPublic)
def show_project(project: str, user: Annotator, db: DB) -> Any:
    """Settings an annotator's client needs: tags, criteria, guideline version."""
    with db.read() as conn:
        return svc.project_public(conn, project_for(conn, project, user))


@router.patch("/projects/{project}", response_model=ProjectPublic)
@body_budget(UPDATE_BUDGET)
def update_project(project: str, body: ProjectUpdate, _: Admin, db: DB) -> Any:
    def work(conn: Any) -> ProjectPublic:
        return svc.project_public(conn, svc.update_project(conn, project, body))

    return db.write(work)


@router.patch("/users/{name}/attributes", response_model=UserAdmin)
def set_user_attributes(name: str, body: UserAttributes, _: Admin, db: DB) -> Any:
    """Set or remove a user's pool attributes (``languages``, ``expertise``, ``region``...):
    their next lease is matched against the new profile; leases they hold stay theirs."""

    def work(conn: Any) -> UserAdmin:
        user = users.set_attributes(conn, name, body.set, body.remove)
        row = next(r for r in users.list_users(conn) if r["name"] == user.name)
        return UserAdmin(**row)

    return db.write(work)


@router.get("/projects/{project}/guidelines", response_model=GuidelinesPublic)
def get_guidelines(
    project: str,
    user: Annotator,
    db: DB,
    version: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    with db.read() as conn:
        return svc.get_guidelines(conn, project_for(conn, project, user), version)


@router.post("/projects/{project}/guidelines", response_model=GuidelinesUploaded, status_code=201)
@body_budget(GUIDELINES_BUDGET)
def post_guidelines(project: str, body: GuidelinesIn, _: Admin, db: DB) -> Any:
    """Upload guidelines; a changed text becomes a new version (its SHA-256). The answer
    names the sections changed since the version before, and with ``requeue`` (changed |
    unclear | none) what was queued for blind re-judging: ``rankterm admin guidelines``."""
    from rankterm.rejudge import Requeue
    from rankterm.server import rejudge

    def work(conn: Any) -> dict[str, Any]:
        mode = Requeue(body.requeue)
        return rejudge.upload(conn, get_project(conn, project), body.content, mode).to_json()

    return db.write(work)


async def _records(request: Request) -> AsyncIterator[tuple[str, Any]]:
    """(where, record) from an NDJSON stream or a JSON list / {"pairs": [...]} body.

    This route reads its own body, after its role check (see BoundedRoute). NDJSON is taken
    line by line (memory: one line, at most the server's body limit); a JSON list is parsed
    whole, so its values are counted first, as every other JSON body's are (bodies.py), and
    parsed off the event loop.
    """
    settings = request.app.state.settings
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("application/x-ndjson", "application/jsonl", "application/ndjson"):
        buffer = bytearray()
        line_no = 0
        async for chunk in request.stream():
            start = len(buffer)
            buffer += chunk
            if buffer.find(b"\n", start) < 0:
                continue  # no line ends here: nothing copied, however long the line
            *lines, rest = bytes(buffer).split(b"\n")
            buffer = bytearray(rest)
            for line in lines:
                line_no += 1
                if line.strip():
                    yield f"line {line_no}", line
        if buffer.strip():
            yield f"line {line_no + 1}", bytes(buffer)
        return
    budget = settings.max_json_values
    body = bytearray()
    marks = 0
    async for chunk in request.stream():
        marks += sum(chunk.count(c) for c in (b"{", b"[", b",", b":"))
        if marks > budget:
            raise HTTPException(
                413,
                detail=f"request body holds more than {budget} JSON values;"
                " send a large import as NDJSON (one pair per line)",
            )
        body += chunk
    try:
        data = await run_in_threadpool(orjson.loads, body)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(422, detail=f"body: invalid JSON ({exc.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("pairs"), list):
        data = data["pairs"]
    if not isinstance(data, list):
        raise HTTPException(422, detail="body: expected a JSON list of pairs or NDJSON")
    for i, item in enumerate(data):
        yield f"item {i}", item


@router.post(
    "/projects/{project}/pairs",
    response_model=ImportResult,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            }
        }
    },
)
async def import_pairs(project: str, request: Request, _: Admin, db: DB) -> Any:
    """Bulk import (admin): NDJSON streamed or a JSON list. Existing pair ids are skipped."""

    def project_row() -> Any:
        with db.read() as conn:
            return get_project(conn, project)

    proj = await run_in_threadpool(project_row)
    result = ImportResult()
    batch: list[tuple[str, Any]] = []

    async def flush() -> None:
        part = await run_in_threadpool(db.write, lambda conn: svc.import_pairs(conn, proj, batch))
        result.added += part.added
        result.existing += part.existing
        result.invalid += part.invalid
        room = svc.MAX_REPORTED_ISSUES - len(result.issues)
        result.issues += part.issues[: max(room, 0)]
        batch.clear()

    async for where, raw in _records(request):
        try:
            data = orjson.loads(raw) if isinstance(raw, bytes) else raw
            batch.append((where, svc.parse_pair(data)))
        except orjson.JSONDecodeError as exc:
            svc.note_issue(result, where, f"invalid JSON ({exc.msg})")
        except ValueError as exc:
            svc.note_issue(result, where, str(exc))
        if len(batch) >= IMPORT_CHUNK:
            await flush()
    if batch:
        await flush()
    await run_in_threadpool(db.refresh_statistics, "pairs", result.added)
    return Json(result.model_dump())


#: Every id at its longest, escaped, plus the number and the punctuation.
PRIORITY_BUDGET = priority.MAX_ITEMS * (512 * ESCAPED_CHAR_BYTES + 80) + _SLACK


@router.patch("/projects/{project}/priorities", response_model=priority.PriorityResult)
@body_budget(PRIORITY_BUDGET)
def set_priorities(project: str, body: priority.PriorityUpdate, _: Admin, db: DB) -> Any:
    """Change pair priorities by id (admin); ids not in the project are listed, not an error.
    Up to ``MAX_ITEMS`` (2000) a request."""

    def work(conn: Any) -> priority.PriorityResult:
        items = [(item.id, item.priority) for item in body.priorities]
        return priority.set_priorities(conn, get_project(conn, project), items)

    return db.write(work)


@router.get("/projects/{project}/export", response_class=StreamingResponse)
def export(project: str, _: Admin, db: DB) -> Any:
    """Everything about a project as NDJSON (admin): pairs, judgments, retractions,
    resolutions and comments, journal records in journal shape."""
    with db.read() as conn:
        proj = get_project(conn, project)
    return StreamingResponse(reports.export_lines(db, proj), media_type="application/x-ndjson")


@router.get("/projects/{project}/progress", response_model=ProjectProgress)
def progress(project: str, user: Adjudicator, db: DB) -> Any:
    """Project-wide counters (adjudicators and admins). Not for annotators: whether a verdict
    moved them would tell a gold item or a blind repeat from an ordinary pair."""
    with db.read() as conn:
        proj = project_for(conn, project, user, "adjudicator")
        return Json(reports.project_progress(conn, proj))


@router.get("/projects/{project}/stats", response_model=ProjectStats)
def stats(project: str, user: Adjudicator, db: DB) -> Any:
    """Per-annotator figures, gold accuracy included (adjudicators and admins)."""
    with db.read() as conn:
        proj = project_for(conn, project, user, "adjudicator")
        return Json(reports.project_stats(conn, proj, with_pools=True))
