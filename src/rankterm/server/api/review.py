"""Adjudication endpoints: the conflict queue, resolutions, comment threads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from rankterm.server import review
from rankterm.server.api.deps import DB, Adjudicator, Annotator, Config, Json
from rankterm.server.api.work import _acks, _check_size
from rankterm.server.bodies import bounded_route
from rankterm.server.core import project_as, project_for
from rankterm.server.records import MAX_TEXT
from rankterm.server.schemas import (
    CommentIn,
    CommentList,
    ConflictQueue,
    ReferralBatch,
    ReferralResult,
    ResolutionBatch,
    SubmitResults,
)

#: No field of a resolution or a comment takes a longer string than a rationale or note.
router = APIRouter(prefix="/v1", route_class=bounded_route(MAX_TEXT))


@router.get("/projects/{project}/conflicts", response_model=ConflictQueue)
def conflicts(
    project: str,
    user: Adjudicator,
    db: DB,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    include_resolved: bool = False,
) -> Any:
    """Pairs whose verdicts conflict under the project's rule, with every judgment on each."""
    with db.read() as conn:
        proj = project_for(conn, project, user, "adjudicator")
        queue = review.conflict_queue(conn, proj, limit, include_resolved)
    return Json(
        {
            "items": [
                {
                    "pair": item["pair"],
                    "judgments": [j.model_dump(mode="json") for j in item["judgments"]],
                    "resolutions": [r.model_dump(mode="json") for r in item["resolutions"]],
                    "rankings": [r.model_dump(mode="json") for r in item["rankings"]],
                    "model_verdicts": [c.model_dump(mode="json") for c in item["model_verdicts"]],
                }
                for item in queue["items"]
            ],
            "remaining": queue["remaining"],
        }
    )


@router.post("/projects/{project}/resolutions", response_model=SubmitResults)
def resolve(
    project: str,
    body: ResolutionBatch,
    user: Adjudicator,
    db: DB,
    settings: Config,
) -> Any:
    """Record adjudicated verdicts (idempotent on the resolution's id)."""
    _check_size(body.resolutions, settings, "resolutions")
    return _acks(
        db.write(
            lambda conn: review.submit_resolutions(
                conn, project_for(conn, project, user, "adjudicator"), user, body.resolutions
            )
        )
    )


@router.post("/projects/{project}/referrals", response_model=ReferralResult)
def referrals(project: str, body: ReferralBatch, user: Adjudicator, db: DB) -> Any:
    """LLM judges' verdicts (`rankterm judge --to-adjudication`): pairs where the judge and
    the human majority disagree join the conflict queue, the verdict shown as a model's."""
    return db.write(
        lambda conn: review.refer(
            conn, project_for(conn, project, user, "adjudicator"), user, body.items
        )
    )


@router.get("/projects/{project}/pairs/{pair_id:path}/comments", response_model=CommentList)
def comments(project: str, pair_id: str, user: Annotator, db: DB) -> Any:
    """A pair's thread: for annotators who judged it, adjudicators on conflicts, admins."""
    with db.read() as conn:
        proj, member = project_as(conn, project, user)
        items = review.list_comments(conn, proj, member, pair_id)
    return Json({"comments": [c.model_dump(mode="json") for c in items]})


@router.post(
    "/projects/{project}/pairs/{pair_id:path}/comments", response_model=CommentList, status_code=201
)
def add_comment(
    project: str,
    pair_id: str,
    body: CommentIn,
    user: Annotator,
    db: DB,
) -> Any:
    def work(conn: Any) -> Any:
        proj, member = project_as(conn, project, user)
        return review.add_comment(conn, proj, member, pair_id, body.text, body.id)

    comment = db.write(work)
    return Json({"comments": [comment.model_dump(mode="json")]}, status_code=201)
