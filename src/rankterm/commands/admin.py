"""``rankterm admin ...``: manage the task server's database directly.

The admin commands talk to the database directly (``--db`` or ``$RANKTERM_DB``; by default the
SQLite file ``serve`` uses), so a team lead never writes curl. Server libraries are imported
inside the command functions: the annotator's install does not have them.

Exit codes: 0 ok, 1 failure, 2 usage error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rankterm.commands.server import DB_HELP, open_db
from rankterm.core.errors import UsageError
from rankterm.core.exits import ExitCode
from rankterm.core.sanitize import inert
from rankterm.rejudge import Requeue

admin_app = typer.Typer(no_args_is_help=True, help="Manage the task server's database directly.")
project_app = typer.Typer(no_args_is_help=True, help="Create, list, show and change projects.")
admin_app.add_typer(project_app, name="project")
user_app = typer.Typer(no_args_is_help=True, help="Add, list and change users and their roles.")
admin_app.add_typer(user_app, name="user")
REQUIRE_HELP = (
    "Annotator pool (repeatable): pairs of a slice need a profile attribute, e.g. "
    "metadata.language=de:languages=de or metadata.domain=medical:expertise=medical."
)
ATTR_HELP = "Pool attribute (repeatable): languages=de,en  expertise=medical  region=EU."
AttrOption = Annotated[
    list[str] | None, typer.Option("--attr", metavar="NAME=V[,V...]", help=ATTR_HELP)
]
token_app = typer.Typer(no_args_is_help=True, help="Create (shown once) and revoke tokens.")
admin_app.add_typer(token_app, name="token")


@admin_app.command("migrate")
def migrate(db: str | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Bring the database schema up to date (serve does this on start too)."""
    from rankterm.server.migrate import current_revision
    from rankterm.server.settings import redact_url

    database = open_db(db)
    typer.echo(f"{redact_url(database.url)}: schema at revision {current_revision(database)}")
    database.dispose()


@project_app.command("create")
def project_create(
    name: str = typer.Argument(..., help="Project name (letters, digits, . _ -)."),
    overlap: int = typer.Option(3, "--overlap", help="Distinct annotators per pair."),
    lease_ttl: int = typer.Option(1800, "--lease-ttl", help="Lease lifetime in seconds."),
    gold_rate: float = typer.Option(0.0, "--gold-rate", help="Share of gold items, 0-1."),
    repeat_rate: float = typer.Option(0.0, "--repeat-rate", help="Share of blind repeats."),
    repeat_gap: int = typer.Option(
        20, "--repeat-gap", help="Judgments between a pair and its blind repeat."
    ),
    max_leases: int = typer.Option(50, "--max-leases", help="Live leases one annotator may hold."),
    lease_max_age: int = typer.Option(
        14400, "--lease-max-age", help="A lease's lifetime with renewals (s)."
    ),
    conflict_rule: str = typer.Option(
        "any_disagreement",
        "--conflict-rule",
        help="any_disagreement | opposite_sides | ordinal_spread>=N",
    ),
    order: str = typer.Option(
        "priority", "--order", help="priority | informative (the labels that teach the most)."
    ),
    extra_on_conflict: int = typer.Option(
        0, "--extra-on-conflict", help="Extra annotators for a pair whose first verdicts conflict."
    ),
    tag: list[str] = typer.Option([], "--tag", help="Error-type tag (repeatable)."),
    criterion: list[str] = typer.Option([], "--criterion", help="Criterion (repeatable)."),
    guidelines: Path | None = typer.Option(None, "--guidelines", help="Guidelines file."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    require: Annotated[
        list[str] | None,
        typer.Option("--require", metavar="SLICE=V:ATTR=V", help=REQUIRE_HELP),
    ] = None,
) -> None:
    """Create a project."""
    from rankterm.server import projects as svc
    from rankterm.server.schemas import ProjectCreate

    spec = _validated(
        ProjectCreate,
        name=name,
        overlap=overlap,
        lease_ttl=lease_ttl,
        gold_rate=gold_rate,
        repeat_rate=repeat_rate,
        repeat_gap=repeat_gap,
        max_leases=max_leases,
        lease_max_age=lease_max_age,
        conflict_rule=conflict_rule,
        ordering=order,
        extra_on_conflict=extra_on_conflict,
        tags=tag,
        criteria=criterion,
        guidelines=_read_text(guidelines) if guidelines else None,
        requirements=_requirements(require or []),
    )
    _run(db, lambda conn: svc.create_project(conn, spec))
    typer.echo(f"created project {name}")


@project_app.command("list")
def project_list(db: str | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """List projects with their progress."""
    from rankterm.server import projects as svc
    from rankterm.server import reports

    def work(conn: Any) -> list[str]:
        lines = []
        for p in svc.list_projects(conn):
            prog = reports.project_progress(conn, p)
            lines.append(
                f"{p.name}\toverlap={p.overlap}\tpairs={prog['total_pairs']}"
                f"\tcomplete={prog['complete']}\tconflicts={prog['conflicts_open']}"
            )
        return lines

    for line in _run(db, work) or ["(no projects)"]:
        typer.echo(line)


@project_app.command("show")
def project_show(
    name: str = typer.Argument(..., help="Project name."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Show a project's settings and progress (and its pools, with requirements)."""
    from rankterm.server import adaptive, informative, pools, reports
    from rankterm.server import projects as svc
    from rankterm.server.core import get_project

    def work(conn: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
        p = get_project(conn, name)
        explained = informative.score_pairs(conn, p)[1] if p.ordering == "informative" else None
        saved = adaptive.project_savings(conn, p) if p.extra_on_conflict > 0 else None
        versions = reports.guideline_versions(conn, p)
        pooled = pools.report(conn, p) if p.requirements else None
        return (
            svc.project_public(conn, p),
            reports.project_progress(conn, p),
            explained,
            saved,
            versions,
            pooled,
        )

    public, progress, explained, saved, versions, pooled = _run(db, work)
    for key, value in public.model_dump(mode="json").items():
        typer.echo(f"{key} = {value}")
    for key, value in progress.items():
        typer.echo(f"progress.{key} = {value}")
    for line in _version_lines(versions):
        typer.echo(inert(line))
    if saved is not None:
        for key, value in saved.to_json().items():
            typer.echo(f"adaptive.{key} = {value}")
    if explained is not None:
        for line in explained.lines():
            typer.echo(inert(line))
    if pooled is not None:
        for line in pools.report_lines(pooled):
            typer.echo(inert(line))


@project_app.command("pools")
def project_pools(
    name: str = typer.Argument(..., help="Project name."),
    as_json: bool = typer.Option(False, "--json", help="The report as JSON."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Pool composition per slice: which active members qualify for each requirement, the
    judgments made by qualified annotators, and pools no member can serve (UNCOVERED)."""
    from rankterm.server import pools
    from rankterm.server.core import get_project

    data = _run(db, lambda conn: pools.report(conn, get_project(conn, name)))
    if as_json:
        import orjson

        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    for line in pools.report_lines(data):
        typer.echo(inert(line))


def _version_lines(figures: dict[str, Any]) -> list[str]:
    """``admin project show``'s lines for reports.guideline_versions."""
    lines = []
    for v in figures["versions"]:
        agreement, gold = v["agreement"], v["gold"]
        lines.append(
            f"version {v['version']} = {v['judgments']} judgments by {v['annotators']}, "
            f"agreement {agreement['percent']} on {agreement['units']} pairs, "
            f"gold {gold['rate']} (n={gold['n']}), tagged {v['tagged_rate']}"
        )
    r = figures["rejudges"]
    if r["queued"] or r["judged"]:
        lines.append(
            f"rejudges = {r['queued']} queued, {r['open']} open, {r['judged']} re-judged, "
            f"{r['changed']} changed verdict (rate {r['changed_rate']})"
        )
    return lines


@project_app.command("set")
def project_set(
    name: str = typer.Argument(..., help="Project name."),
    overlap: int | None = typer.Option(None, "--overlap", help="Distinct annotators per pair."),
    lease_ttl: int | None = typer.Option(None, "--lease-ttl", help="Lease lifetime (s)."),
    gold_rate: float | None = typer.Option(None, "--gold-rate", help="Share of gold items."),
    repeat_rate: float | None = typer.Option(None, "--repeat-rate", help="Blind repeats."),
    repeat_gap: int | None = typer.Option(
        None, "--repeat-gap", help="Judgments between a pair and its blind repeat."
    ),
    max_leases: int | None = typer.Option(
        None, "--max-leases", help="Live leases one annotator may hold."
    ),
    lease_max_age: int | None = typer.Option(
        None, "--lease-max-age", help="A lease's lifetime with renewals (s)."
    ),
    conflict_rule: str | None = typer.Option(None, "--conflict-rule", help="Conflict rule."),
    order: str | None = typer.Option(None, "--order", help="priority | informative."),
    extra_on_conflict: int | None = typer.Option(
        None, "--extra-on-conflict", help="Extra annotators for a pair whose verdicts conflict."
    ),
    tag: list[str] | None = typer.Option(None, "--tag", help="Replace the tag list."),
    criterion: list[str] | None = typer.Option(None, "--criterion", help="Replace criteria."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    require: Annotated[
        list[str] | None,
        typer.Option(
            "--require",
            metavar="SLICE=V:ATTR=V",
            help="Replace the annotator-pool requirements (repeatable), e.g. "
            "metadata.language=de:languages=de.",
        ),
    ] = None,
    no_requirements: Annotated[
        bool,
        typer.Option(
            "--no-requirements", help="Clear the requirements: every member judges every pair."
        ),
    ] = False,
) -> None:
    """Change a project's settings (only the options given). New requirements take effect
    on the next lease; leases already out stay valid."""
    from rankterm.server import projects as svc
    from rankterm.server.schemas import ProjectUpdate

    if no_requirements and require:
        raise UsageError("give --require or --no-requirements, not both")
    changes = _validated(
        ProjectUpdate,
        overlap=overlap,
        lease_ttl=lease_ttl,
        gold_rate=gold_rate,
        repeat_rate=repeat_rate,
        repeat_gap=repeat_gap,
        max_leases=max_leases,
        lease_max_age=lease_max_age,
        conflict_rule=conflict_rule,
        ordering=order,
        extra_on_conflict=extra_on_conflict,
        tags=tag or None,
        criteria=criterion or None,
        requirements=[] if no_requirements else (_requirements(require) if require else None),
    )

    def work(conn: Any) -> Any:
        project = svc.update_project(conn, name, changes)
        return pools_mod().report(conn, project) if changes.requirements else None

    pooled = _run(db, work)
    typer.echo(f"updated project {name}")
    for item in pooled["slices"] if pooled else []:
        if not item["pairs"]:
            typer.echo(
                inert(f"warning: {item['requirement']} matches no pair of the project yet"),
                err=True,
            )


@project_app.command("add-member")
def project_add_member(
    name: str = typer.Argument(..., help="Project name."),
    user_name: str = typer.Argument(..., metavar="USER", help="User to add."),
    role: str | None = typer.Option(
        None, "--role", help="annotator | adjudicator (default: the user's own role)."
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Let a user work in a project (or change their role there). Non-members get 404."""
    from rankterm.server import members
    from rankterm.server.core import get_project, get_user

    given = _run(
        db,
        lambda conn: members.add_member(
            conn, get_project(conn, name), get_user(conn, user_name), role
        ),
    )
    typer.echo(f"{user_name} is a member of {name} ({given})")


@project_app.command("remove-member")
def project_remove_member(
    name: str = typer.Argument(..., help="Project name."),
    user_name: str = typer.Argument(..., metavar="USER", help="User to remove."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Take a user out of a project: their leases there are given back, and their next
    request there gets 404. Their judgments stay."""
    from rankterm.server import members
    from rankterm.server.core import get_project, get_user

    _run(
        db,
        lambda conn: members.remove_member(
            conn, get_project(conn, name), get_user(conn, user_name)
        ),
    )
    typer.echo(f"removed {user_name} from {name}")


@project_app.command("members")
def project_members(
    name: str = typer.Argument(..., help="Project name."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """List a project's members and their role in it (admins reach every project)."""
    from rankterm.server import members
    from rankterm.server.core import get_project

    rows = _run(db, lambda conn: members.list_members(conn, get_project(conn, name)))
    for row in rows or []:
        typer.echo(f"{row['name']}\t{row['role']}")
    if not rows:
        typer.echo("(no members)")


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name (stamped on their judgments)."),
    role: str = typer.Option("annotator", "--role", help="annotator | adjudicator | admin"),
    profile: Path | None = typer.Option(
        None, "--profile", help="JSON file of self-described attributes given with consent."
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    attr: AttrOption = None,
) -> None:
    """Add a user. Then give them a token with 'admin token create'."""
    from rankterm.server import users

    data = _read_json_file(profile, "profile") if profile else None
    if data is not None and not isinstance(data, dict):
        raise UsageError(f"{profile}: the profile must be a JSON object")
    if attr:
        data = {**(data or {}), **_attributes(attr)}
    _run(db, lambda conn: users.add_user(conn, name, role, data))
    typer.echo(f"added {role} {name}")


@user_app.command("list")
def user_list(db: str | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """List users and roles."""
    from rankterm.server import users

    for row in _run(db, users.list_users) or []:
        state = "" if row["active"] else "\t(inactive)"
        attrs = " ".join(
            f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in sorted((row["profile"] or {}).items())
        )
        typer.echo(inert(f"{row['name']}\t{row['role']}{state}" + (f"\t{attrs}" if attrs else "")))


@user_app.command("set")
def user_set(
    name: str = typer.Argument(..., help="User name."),
    role: str | None = typer.Option(None, "--role", help="New role."),
    active: bool | None = typer.Option(None, "--active/--inactive", help="Allow or block."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    attr: AttrOption = None,
    unset_attr: Annotated[
        list[str] | None,
        typer.Option(
            "--unset-attr", metavar="NAME", help="Remove a profile attribute (repeatable)."
        ),
    ] = None,
) -> None:
    """Change a user's role, pool attributes, or block them (their tokens stop working).
    New attributes take effect on their next lease; leases they hold stay theirs."""
    from rankterm.server import users

    attrs = _attributes(attr or [])
    unset_attr = unset_attr or []
    for key in unset_attr:
        _pool_checked(lambda key=key: pools_mod().check_attr_name(key, "--unset-attr"))

    def work(conn: Any) -> Any:
        if attrs or unset_attr:
            users.set_attributes(conn, name, attrs, unset_attr)
        return users.set_user(conn, name, role=role, active=active)

    _run(db, work)
    typer.echo(f"updated {name}")


@token_app.command("create")
def token_create(
    name: str = typer.Argument(..., help="User the token is for."),
    label: str = typer.Option("", "--label", help="A note, e.g. the laptop it is for."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from rankterm.server import users

    secret = _run(db, lambda conn: users.create_token(conn, name, label))
    typer.echo(secret)
    typer.echo(
        "Shown once. Give it to the user; they set RANKTERM_TOKEN (or 'token' in config).",
        err=True,
    )


@token_app.command("revoke")
def token_revoke(
    name: str = typer.Argument(..., help="User whose tokens to revoke."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Revoke every token of a user."""
    from rankterm.server import users

    count = _run(db, lambda conn: users.revoke_tokens(conn, name))
    typer.echo(f"revoked {count} token(s) of {name}")


@admin_app.command("import")
def import_cmd(
    project_name: str = typer.Argument(..., metavar="PROJECT", help="Project name."),
    path: Path = typer.Argument(..., metavar="PAIRS.jsonl", help="Pairs file (JSONL)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Import pairs; ids already in the project are skipped, bad lines reported.

    Exit code 4 when some lines were invalid (each named as file:line: field on stderr; the
    valid lines were imported).
    """
    from rankterm.server.admin_io import import_file

    result, issues = import_file(open_db(db), project_name, path)
    for issue in issues:
        typer.echo(str(issue), err=True)
    typer.echo(f"{result.added} added, {result.existing} already present, {result.invalid} invalid")
    if result.invalid:  # the valid lines are in; a script must still notice the others
        raise typer.Exit(ExitCode.INCOMPLETE)


@admin_app.command("export")
def export_cmd(
    project_name: str = typer.Argument(..., metavar="PROJECT", help="Project name."),
    out: Path = typer.Option(..., "-o", "--out", help="Output NDJSON file ('-': stdout)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    force: bool = typer.Option(False, "--force", "-f", help="Replace the file if it exists."),
) -> None:
    """Export pairs, judgments, retractions, resolutions and comments as NDJSON."""
    from rankterm.formats.transfer import refuse_overwrite
    from rankterm.server.admin_io import export_file

    refuse_overwrite(out, force)

    lines = export_file(open_db(db), project_name, out)
    if str(out) != "-":
        typer.echo(f"wrote {lines} records to {out}", err=True)


@admin_app.command("guidelines")
def guidelines_cmd(
    project_name: str = typer.Argument(..., metavar="PROJECT", help="Project name."),
    path: Path = typer.Argument(..., metavar="FILE.md", help="Guidelines (Markdown)."),
    requeue: Requeue = typer.Option(
        Requeue.NONE,
        "--requeue",
        help="Queue blind re-judgments under the new version: changed: judged pairs whose tags "
        "meet a changed section, plus guideline-unclear ones; unclear: only those; none.",
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Upload guidelines; a changed text becomes the new version. Prints which sections were
    added (+), removed (-) or changed (~) since the current version, and with --requeue what
    was queued for re-judging and why (re-running queues nothing twice)."""
    from rankterm.core.sanitize import inert
    from rankterm.server import rejudge
    from rankterm.server.core import get_project

    mode = requeue
    content = _read_text(path)

    def work(conn: Any) -> Any:
        return rejudge.upload(conn, get_project(conn, project_name), content, mode)

    result = _run(db, work)
    typer.echo(f"guidelines version {result.version}")
    if result.diff is not None:
        if not result.diff.any:
            typer.echo(f"no section changed since {result.previous}")
        for line in result.diff.lines():
            typer.echo(inert(line))
    if mode is not Requeue.NONE:
        for line in result.requeued.lines():
            typer.echo(inert(line))


@admin_app.command("priority")
def priority_cmd(
    project_name: str = typer.Argument(..., metavar="PROJECT", help="Project name."),
    path: Path | None = typer.Argument(
        None, metavar="FILE", help="JSONL ({id, priority} a line) or CSV (id,priority header)."
    ),
    rule: str | None = typer.Option(
        None,
        "--rule",
        help="Set priorities from a signal instead: informative | margin | disagreement"
        " | overlap (open pairs that have it).",
    ),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Change pair priorities after import (re-importing skips existing ids)."""
    from rankterm.server import priority
    from rankterm.server.core import get_project

    if (path is None) == (rule is None):
        raise UsageError("give a FILE of priorities or --rule (exactly one of them)")
    if rule is not None and rule not in priority.RULES:
        raise UsageError(f"unknown rule {rule!r}; known rules: {', '.join(priority.RULES)}")
    if path is not None:
        try:
            items = priority.read_file(path)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

        def work(conn: Any) -> Any:
            return priority.set_priorities(conn, get_project(conn, project_name), items)

    else:

        def work(conn: Any) -> Any:
            return priority.by_rule(conn, get_project(conn, project_name), str(rule))

    result = _run(db, work)
    for pair_id in result.unknown:
        typer.echo(inert(f"unknown pair id: {pair_id}"), err=True)
    more = result.unknown_count - len(result.unknown)
    if more > 0:
        typer.echo(f"... and {more} more unknown ids", err=True)
    typer.echo(
        f"{result.updated} updated, {result.unchanged} unchanged, {result.unknown_count} unknown"
    )


def pools_mod() -> Any:
    from rankterm.server import pools

    return pools


def _pool_checked(check: Any) -> Any:
    """Run a pool check; its error becomes a usage error (exit 2) naming what was wrong."""
    try:
        return check()
    except pools_mod().PoolError as exc:
        raise UsageError(str(exc)) from None


def _requirements(texts: list[str]) -> list[str]:
    return _pool_checked(lambda: pools_mod().canonical_requirements(texts))


def _attributes(texts: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for text in texts:
        name, values = _pool_checked(lambda text=text: pools_mod().parse_attr(text))
        out[name] = values
    return out


def register(app: typer.Typer) -> None:
    """Add the ``admin`` group to the ``rankterm`` app (see :mod:`rankterm.commands`)."""
    app.add_typer(admin_app, name="admin")


def _run(db: str | None, work: Any) -> Any:
    database = open_db(db)
    try:
        return database.write(work)
    finally:
        database.dispose()


def _read_json_file(path: Path, what: str) -> Any:
    import orjson

    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"{path}: cannot read {what} ({exc.strerror})") from None
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{path}: invalid JSON ({exc.msg})") from None


def _validated(model: Any, **values: Any) -> Any:
    from pydantic import ValidationError

    from rankterm.core.errors import describe_validation_error

    try:
        return model.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise UsageError(describe_validation_error(exc).replace("_", "-")) from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
