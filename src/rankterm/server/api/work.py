"""An annotator's loop: lease pairs, submit judgments, retract, see own progress."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from rankterm.guidelines import normalize_version
from rankterm.server import informative, ingest, reports, scheduling
from rankterm.server.api.deps import DB, Annotator, AnnotatorCaller, AnyUser, Config, Json
from rankterm.server.bodies import bounded_route
from rankterm.server.core import current_guideline, project_for
from rankterm.server.db import BUSY, Database
from rankterm.server.records import MAX_IDEAL
from rankterm.server.schemas import (
    JudgmentBatch,
    LeaseIds,
    LeaseRequest,
    LeaseResponse,
    LeaseStatuses,
    MyProgress,
    RankingBatch,
    RetractionBatch,
    SubmitResults,
    UserPublic,
)
from rankterm.server.settings import ServerSettings

#: No field of a judgment or retraction takes a longer string than an ideal answer.
router = APIRouter(prefix="/v1", route_class=bounded_route(MAX_IDEAL))


def _acks(results: list[ingest.Receipt]) -> Json:
    return Json(
        {
            "results": [
                {"judgment_id": str(a.judgment_id), "status": a.status, "reason": a.reason}
                for a in results
            ]
        }
    )


@router.get("/me", response_model=UserPublic)
def me(user: AnyUser) -> Any:
    """Who the token belongs to: a client stamps this name on its judgments."""
    return {"name": user.name, "role": user.role, "profile": user.profile}


def _request_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200 or not key.isprintable():
        raise HTTPException(422, detail="Idempotency-Key: 1-200 printable characters")
    return key


#: Requests up to this many items may run on the event loop (SQLite, lock free: see
#: Database.write_now); larger ones would hold up every other request meanwhile.
INLINE_MAX = 50


async def _write(db: Database, work: Any, size: int) -> Any:
    """``db.write(work)``: inline when small and uncontended, else in the thread pool."""
    if size <= INLINE_MAX:
        result = db.write_now(work)
        if result is not BUSY:
            return result
    return await run_in_threadpool(db.write, work)


@router.post("/projects/{project}/leases", response_model=LeaseResponse)
async def lease(project: str, body: LeaseRequest, caller: AnnotatorCaller, request: Request) -> Any:
    """Lease up to n pairs. Use each item's shown_swapped for the side order.

    Send an ``Idempotency-Key`` header (e.g. a fresh UUID per lease request, kept across its
    retries): a resend of the same request then gets the same leases back, still live ones
    only, instead of taking more pairs, so a lost response never leaves orphan leases.
    """
    db: Database = request.app.state.db
    n = min(body.n, request.app.state.settings.max_lease)
    key = _request_key(request)
    if not db.is_sqlite:
        # Its own short transaction: reclaiming waits for pair locks, leasing never does.
        def reclaim(conn: Any) -> None:
            _, proj = caller.member(conn, project)
            if scheduling.has_expired(conn, proj, scheduling.now()):
                scheduling.reclaim_expired(conn, proj)

        await run_in_threadpool(db.write, reclaim)

    served: list[Any] = []

    def work(conn: Any) -> dict[str, Any]:
        # The caller's live leases come with the token check (no statement of their own).
        user, proj, live = caller.leaser(conn, project)
        served[:] = [proj]
        again = None if key is None else scheduling.replay(conn, proj, user, key, n)
        if again is not None:
            items = again
        else:
            expired = db.is_sqlite and scheduling.has_expired(conn, proj, scheduling.now())
            if expired and scheduling.reclaim_expired(conn, proj):
                live = scheduling.live_leases(conn, proj, user)  # some may have been theirs
            items = scheduling.lease(conn, proj, user, n, key=key, live=live)
        guideline = current_guideline(conn, proj.id)
        return {
            "leases": items,
            "guideline_version": normalize_version(guideline.version) if guideline else None,
            # A replay whose leases were all used up since is not the end of the queue, and
            # neither is an annotator at the project's cap on live leases (an empty lease
            # made none, so ``live`` is still their count).
            "exhausted": not items and again is None and live < proj.max_leases,
        }

    result = await _write(db, work, n)
    # Informative projects: their scores are refreshed in the background, never in a lease.
    informative.maybe_refresh(db, served[0] if served else None)
    for item in result["leases"]:
        item["lease_id"] = str(item["lease_id"])
        item["expires_at"] = item["expires_at"].isoformat()
    return Json(result)


@router.post("/projects/{project}/leases/renew", response_model=LeaseStatuses)
def renew(project: str, body: LeaseIds, caller: AnnotatorCaller, db: DB) -> Any:
    """Extend leases still being worked on (a lease already reclaimed stays expired)."""

    def work(conn: Any) -> list[dict[str, Any]]:
        user, proj = caller.member(conn, project)
        return scheduling.renew(conn, proj, user, body.lease_ids)

    return {"leases": db.write(work)}


@router.post("/projects/{project}/leases/release", response_model=LeaseStatuses)
def release(project: str, body: LeaseIds, caller: AnnotatorCaller, db: DB) -> Any:
    """Give leases back (skip, or end of session) so others get those pairs now."""

    def work(conn: Any) -> list[dict[str, Any]]:
        user, proj = caller.member(conn, project)
        return scheduling.release(conn, proj, user, body.lease_ids)

    return {"leases": db.write(work)}


def _check_size(items: list[Any], settings: ServerSettings, field: str) -> None:
    if len(items) > settings.max_batch:
        raise HTTPException(
            422, detail=f"{field}: at most {settings.max_batch} items per request, got {len(items)}"
        )


@router.post("/projects/{project}/judgments", response_model=SubmitResults)
async def submit(
    project: str, body: JudgmentBatch, caller: AnnotatorCaller, request: Request
) -> Any:
    """Submit judgments; one Ack per item in order. Resending is harmless (idempotent on id)."""
    db: Database = request.app.state.db
    _check_size(body.judgments, request.app.state.settings, "judgments")
    path: ingest.SubmitPath = request.app.state.submit_path

    def work(conn: Any) -> list[ingest.Receipt]:
        user, proj = caller.member(conn, project)
        return ingest.submit_judgments(conn, proj, user, body.judgments, path)

    return _acks(await _write(db, work, len(body.judgments)))


@router.post("/projects/{project}/rankings", response_model=SubmitResults)
async def submit_rankings(
    project: str, body: RankingBatch, caller: AnnotatorCaller, request: Request
) -> Any:
    """Submit complete rankings of ranking tasks, each with the comparisons it was built from;
    one Ack per item in order. Same rules as judgments: a lease is needed, resending is
    harmless, a retraction (of the ranking's id) withdraws it."""
    db: Database = request.app.state.db
    _check_size(body.rankings, request.app.state.settings, "rankings")
    path: ingest.SubmitPath = request.app.state.submit_path

    def work(conn: Any) -> list[ingest.Receipt]:
        user, proj = caller.member(conn, project)
        return ingest.submit_rankings(conn, proj, user, body.rankings, path)

    return _acks(await _write(db, work, len(body.rankings)))


@router.post("/projects/{project}/retractions", response_model=SubmitResults)
def retract(
    project: str,
    body: RetractionBatch,
    caller: AnnotatorCaller,
    db: DB,
    settings: Config,
) -> Any:
    """Undo judgments (idempotent on the retraction's id)."""
    _check_size(body.retractions, settings, "retractions")

    def work(conn: Any) -> list[ingest.Receipt]:
        user, proj = caller.member(conn, project)
        return ingest.submit_retractions(conn, proj, user, body.retractions)

    return _acks(db.write(work))


@router.get("/projects/{project}/me/progress", response_model=MyProgress)
def my_progress(project: str, user: Annotator, db: DB) -> Any:
    with db.read() as conn:
        return Json(reports.my_progress(conn, project_for(conn, project, user), user))


@router.get("/projects/{project}/me/judgments")
def my_judgments(project: str, user: Annotator, db: DB) -> Any:
    """The caller's own judgments (standing and retracted), as journal records: without the
    server's gold/repeat mark, which would unblind the annotator."""
    from sqlalchemy import select

    from rankterm.server import tables as t

    with db.read() as conn:
        proj = project_for(conn, project, user)
        rows = conn.execute(
            select(t.judgments.c.data, t.judgments.c.retracted)
            .where(t.judgments.c.project_id == proj.id, t.judgments.c.user_id == user.id)
            .order_by(t.judgments.c.received_at)
        ).all()
    return Json({"judgments": [reports.own_record(row.data, row.retracted) for row in rows]})
