"""Projects, their versioned guidelines, and importing pairs (idempotent on pair id)."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, func, insert, select, update

from rankterm.core.errors import describe_validation_error
from rankterm.core.model import RankTask, Task, parse_task
from rankterm.guidelines import normalize_version, text_version
from rankterm.server import adaptive, informative, pools
from rankterm.server import tables as t
from rankterm.server.core import (
    Conflict,
    NotFound,
    Project,
    User,
    current_guideline,
    forget_project,
    get_project,
    now,
    to_datetime,
)
from rankterm.server.db import chunks
from rankterm.server.schemas import (
    GuidelinesPublic,
    ImportResult,
    ProjectCreate,
    ProjectPublic,
    ProjectUpdate,
)

MAX_REPORTED_ISSUES = 50


def create_project(conn: Connection, spec: ProjectCreate) -> Project:
    if conn.execute(select(t.projects.c.id).where(t.projects.c.name == spec.name)).first():
        raise Conflict(f"a project named {spec.name!r} already exists")
    values = spec.model_dump(exclude={"name", "guidelines"})
    conn.execute(
        insert(t.projects).values(
            name=spec.name, created_at=now(), side_key=secrets.token_hex(32), **values
        )
    )
    project = get_project(conn, spec.name)
    if spec.guidelines:
        add_guidelines(conn, project, spec.guidelines)
    return project


def update_project(conn: Connection, name: str, changes: ProjectUpdate) -> Project:
    project = get_project(conn, name)
    forget_project(conn, name)
    values = changes.model_dump(exclude_none=True)
    if values:
        conn.execute(update(t.projects).where(t.projects.c.id == project.id).values(**values))
    adaptive_before = project.extra_on_conflict > 0
    if "overlap" in values and values["overlap"] != project.overlap and not adaptive_before:
        # The "done" flag depends on the overlap; conflicts are re-checked as pairs fill.
        conn.execute(
            update(t.pairs)
            .where(t.pairs.c.project_id == project.id)
            .values(done=t.pairs.c.n_judged >= values["overlap"])
        )
    forget_project(conn, name)
    updated = get_project(conn, name)
    settings = ("overlap", "extra_on_conflict", "conflict_rule")
    if (adaptive_before or updated.extra_on_conflict > 0) and any(
        getattr(updated, k) != getattr(project, k) for k in settings
    ):
        # With extra slots, done and conflict depend on the verdicts themselves.
        adaptive.recheck(conn, updated)
    if updated.ordering == "informative" and project.ordering != "informative":
        informative.refresh(conn, updated)
    if "requirements" in values:
        # Every pair's pool anew; leases already out stay valid (the next lease sees this).
        pools.recompute(conn, project.id)
        forget_project(conn, name)
        updated = get_project(conn, name)
    return updated


def list_projects(conn: Connection, user: User | None = None) -> list[Project]:
    """Every project, or those ``user`` may see (admins: all; others: where they are members)."""
    stmt = select(t.projects).order_by(t.projects.c.name)
    if user is not None and user.role != "admin":
        stmt = stmt.where(
            t.projects.c.id.in_(
                select(t.project_members.c.project_id).where(t.project_members.c.user_id == user.id)
            )
        )
    return [Project.from_row(r) for r in conn.execute(stmt).all()]


def project_public(conn: Connection, project: Project) -> ProjectPublic:
    guideline = current_guideline(conn, project.id)
    return ProjectPublic(
        name=project.name,
        overlap=project.overlap,
        lease_ttl=project.lease_ttl,
        gold_rate=project.gold_rate,
        repeat_rate=project.repeat_rate,
        repeat_gap=project.repeat_gap,
        max_leases=project.max_leases,
        lease_max_age=project.lease_max_age,
        conflict_rule=project.conflict_rule,
        ordering=project.ordering,
        extra_on_conflict=project.extra_on_conflict,
        tags=project.tags,
        criteria=project.criteria,
        description=project.description,
        requirements=project.requirements,
        guideline_version=normalize_version(guideline.version) if guideline else None,
        created_at=to_datetime(project.created_at),
    )


def guideline_version(content: str) -> str:
    """The stamp a local run gives the same text (``rankterm.guidelines.content_version``)."""
    return text_version(content)


def _rows_of_version(conn: Connection, project: Project, version: str) -> list[Any]:
    """Guideline rows of ``project`` that are ``version``, in either form: an older server
    stored the full 64 hex digits, so rows are matched by their normalized stamp."""
    wanted = normalize_version(version)
    rows = conn.execute(
        select(t.guidelines)
        .where(t.guidelines.c.project_id == project.id)
        .order_by(t.guidelines.c.id)
    ).all()
    return [row for row in rows if normalize_version(row.version) == wanted]


def add_guidelines(conn: Connection, project: Project, content: str) -> GuidelinesPublic:
    """Store a new version; uploading the current content again changes nothing."""
    version = guideline_version(content)
    latest = current_guideline(conn, project.id)
    if latest is not None and normalize_version(latest.version) == version:
        return GuidelinesPublic(
            version=version, content=latest.content, created_at=to_datetime(latest.created_at)
        )
    created = now()
    # Going back to an older text: it becomes the newest again.
    for existing in _rows_of_version(conn, project, version):
        conn.execute(t.guidelines.delete().where(t.guidelines.c.id == existing.id))
    conn.execute(
        insert(t.guidelines).values(
            project_id=project.id, version=version, content=content, created_at=created
        )
    )
    return GuidelinesPublic(version=version, content=content, created_at=to_datetime(created))


def get_guidelines(conn: Connection, project: Project, version: str | None) -> GuidelinesPublic:
    if version is None:
        row = current_guideline(conn, project.id)
    else:
        rows = _rows_of_version(conn, project, version)
        row = rows[-1] if rows else None
    if row is None:
        raise NotFound(
            "this project has no guidelines yet" if version is None else f"no version {version}"
        )
    return GuidelinesPublic(
        version=normalize_version(row.version) or row.version,
        content=row.content,
        created_at=to_datetime(row.created_at),
    )


def parse_pair(data: Any) -> Task:
    """Validate one record, a pair or a K-way ranking task; ValueError with a one-line reason
    naming the field."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    try:
        return parse_task(data)
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc)) from None
    except RecursionError:
        raise ValueError("record is nested too deeply") from None


def import_pairs(
    conn: Connection,
    project: Project,
    records: Iterable[tuple[str, Task]],
    refuse: Callable[[str, str], None] | None = None,
    unit: str = "request",
) -> ImportResult:
    """Insert pairs not yet in the project; existing ids are left as they are.

    ``records`` are (where, pair): the caller's line number or position, for the report. An
    id already present with the same content is counted as ``existing`` (importing a file
    twice changes nothing). With other content it is refused as invalid and named through
    ``refuse(where, reason)`` (default: the result's issues; ``unit`` names what ``where``
    counts in, "request" or "file"): a regenerated file whose ids
    collide would otherwise have its new text dropped in silence while people judge the old
    one under its name.
    """
    result = ImportResult()
    if refuse is None:

        def refuse(where: str, reason: str) -> None:
            note_issue(result, where, reason)

    batch = list(records)
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    # Read now, not from the cached project, under the project row's lock: a change of
    # requirements (which takes that lock first, then recomputes every pair) either comes
    # before this import and is read here, or waits for it and recomputes its pairs too.
    requirements = pools.requirements_of(conn, project.id, lock=True)
    keys: set[str] = set()
    sizes: Counter[str] = Counter()
    for group in chunks(batch, 500):
        ids = [pair.id for _, pair in group]
        known = dict(
            conn.execute(
                select(t.pairs.c.pair_id, t.pairs.c.data).where(
                    t.pairs.c.project_id == project.id, t.pairs.c.pair_id.in_(ids)
                )
            ).all()
        )
        rows = []
        created = now()
        for where, pair in group:
            data = pair.to_json_dict()
            if pair.id in known:
                if _same_content(known[pair.id], data):
                    result.existing += 1
                else:
                    refuse(where, f"id {pair.id!r} is already in the project with other content")
                continue
            if pair.id in seen:
                first, earlier = seen[pair.id]
                if _same_content(earlier, data):
                    result.existing += 1
                else:
                    refuse(
                        where,
                        f"id {pair.id!r} is already in this {unit} ({_place(first)}) "
                        "with other content",
                    )
                continue
            seen[pair.id] = (where, data)
            matched = pools.matching(pair, requirements) if requirements else []
            sizes.update(str(req) for req in matched)
            pool = pools.key_of(matched)
            keys.add(pool)
            rows.append(
                {
                    "project_id": project.id,
                    "pair_id": pair.id,
                    "data": data,
                    "priority": float(pair.priority),
                    "is_gold": pair.gold is not None,
                    "k": pair.k if isinstance(pair, RankTask) else None,
                    "n_judged": 0,
                    "n_leased": 0,
                    "done": False,
                    "conflict": False,
                    "resolved": False,
                    "created_at": created,
                    "pool": pool,
                }
            )
        if rows:
            conn.execute(insert(t.pairs), rows)
            result.added += len(rows)
    pools.add_keys(conn, project, keys, sizes)
    return result


#: Pair fields the server may change after import (``admin priority``): not content.
_MUTABLE = frozenset({"priority"})


def _same_content(stored: Any, new: dict[str, Any]) -> bool:
    if not isinstance(stored, dict):
        return False
    return {k: v for k, v in stored.items() if k not in _MUTABLE} == {
        k: v for k, v in new.items() if k not in _MUTABLE
    }


def _place(where: str | int) -> str:
    """A bare line number reads as "line N"; "line N" and "item N" stay as they are."""
    where = str(where)
    return f"line {where}" if where.isdigit() else where


def count_pairs(conn: Connection, project: Project) -> int:
    return conn.execute(
        select(func.count()).select_from(t.pairs).where(t.pairs.c.project_id == project.id)
    ).scalar_one()


def note_issue(result: ImportResult, where: str, reason: str) -> None:
    result.invalid += 1
    if len(result.issues) < MAX_REPORTED_ISSUES:
        result.issues.append(f"{where}: {reason}")
