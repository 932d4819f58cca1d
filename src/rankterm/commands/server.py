"""``rankterm serve``, ``rankterm admin ...`` and ``rankterm sync``.

The admin commands talk to the database directly (``--db`` or ``$RANKTERM_DB``; by default the
SQLite file ``serve`` uses), so a team lead never writes curl. Server libraries are imported
inside the command functions: the annotator's install does not have them.

Exit codes: 0 ok, 1 failure, 2 usage error, 4 ``sync`` finished but the server rejected some
records (they stay in the journal with a rejected receipt and are listed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from rankterm.errors import RanktermError, UsageError

DB_HELP = "Database URL or SQLite path (default: $RANKTERM_DB, else the local SQLite file)."
SYNC_REJECTED_EXIT = 4


def _open_db(db: str | None, *, migrate: bool = True, in_child: bool = False) -> Any:
    """A Database with its schema up to date, or a readable error."""
    try:
        from sqlalchemy.exc import OperationalError

        from rankterm.server.db import Database
        from rankterm.server.migrate import migrate_in_child, run_migrations
        from rankterm.server.settings import redact_url, resolve_db_url
    except ImportError as exc:
        raise RanktermError(
            f"the task server needs the 'server' extra ({exc.name} is missing): "
            "pip install 'rankterm[server]'"
        ) from None
    url = resolve_db_url(db)
    database = Database(url)
    if migrate:
        try:
            (migrate_in_child if in_child else run_migrations)(database)
        except OperationalError as exc:
            database.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "connection failed"
            raise RanktermError(f"cannot use database {redact_url(url)}: {reason}") from None
    return database


def _run(db: str | None, work: Any) -> Any:
    database = _open_db(db)
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


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name or "": it may resolve to anything, so it counts as the network


def _tls(host: str, certfile: Path | None, keyfile: Path | None, insecure: bool) -> dict[str, str]:
    """uvicorn's TLS arguments, after checking that the files load; refuse plain HTTP beyond
    loopback unless ``--insecure-http`` says someone else encrypts (see README)."""
    import ssl

    if keyfile is not None and certfile is None:
        raise UsageError("--ssl-keyfile needs --ssl-certfile")
    if certfile is None:
        if not _is_loopback(host) and not insecure:
            raise UsageError(
                f"refusing to serve plain HTTP on {host or 'every interface'}: tokens and "
                "labels would cross the network unencrypted. Give --ssl-certfile and "
                "--ssl-keyfile, or keep the default --host 127.0.0.1 and let annotators reach "
                "it through an SSH tunnel, or pass --insecure-http if a proxy in front of this "
                "terminates TLS."
            )
        return {}
    for flag, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if path is not None and not path.is_file():
            raise UsageError(f"{flag} {path}: no such file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(
            f"cannot use {certfile}{f' and {keyfile}' if keyfile else ''} for TLS: "
            f"{getattr(exc, 'reason', None) or exc}"
        ) from None
    tls = {"ssl_certfile": str(certfile)}
    if keyfile is not None:
        tls["ssl_keyfile"] = str(keyfile)
    return tls


def _serve(
    db: str | None,
    host: str,
    port: int,
    workers: int,
    max_body_mb: int,
    log: str,
    tls: dict[str, str],
) -> None:
    import os

    import uvicorn

    from rankterm.server.app import create_app
    from rankterm.server.settings import ServerSettings, redact_url

    if log not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise UsageError(f"--log-level must be debug, info, warning or error, not {log!r}")
    database = _open_db(db, in_child=True)
    url = database.url
    database.dispose()
    settings = ServerSettings(db_url=url, migrate=False, max_body_bytes=max_body_mb * 1024 * 1024)
    if workers > 1 and url.startswith("sqlite") and ":memory:" in url:
        raise UsageError("several workers need a database file, not :memory:")
    scheme = "https" if tls else "http"
    typer.echo(
        f"rankterm task server on {scheme}://{host}:{port} (database {redact_url(url)})", err=True
    )
    common = {"host": host, "port": port, "log_level": log, "server_header": False, **tls}
    if workers > 1:
        os.environ["RANKTERM_SERVER_SETTINGS"] = settings.model_dump_json()
        uvicorn.run("rankterm.server.app:app_from_env", factory=True, workers=workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        db: str | None = typer.Option(None, "--db", help=DB_HELP),
        host: str = typer.Option(
            "127.0.0.1", "--host", help="Interface to listen on (beyond loopback: TLS)."
        ),
        port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port."),
        workers: int = typer.Option(1, "--workers", min=1, max=64, help="Server processes."),
        max_body_mb: int = typer.Option(32, "--max-body-mb", min=1, help="Request size limit."),
        log_level: str = typer.Option("info", "--log-level", help="debug|info|warning|error"),
        ssl_certfile: Path | None = typer.Option(
            None, "--ssl-certfile", help="Serve HTTPS with this certificate (PEM)."
        ),
        ssl_keyfile: Path | None = typer.Option(
            None, "--ssl-keyfile", help="The certificate's private key (PEM)."
        ),
        insecure_http: bool = typer.Option(
            False,
            "--insecure-http",
            help="Allow plain HTTP beyond loopback (only behind a proxy that terminates TLS).",
        ),
    ) -> None:
        """Run the task server (migrates the database first). Ctrl-C stops it.

        Beyond 127.0.0.1 it needs TLS (--ssl-certfile/--ssl-keyfile) or --insecure-http.
        """
        tls = _tls(host, ssl_certfile, ssl_keyfile, insecure_http)
        _serve(db, host, port, workers, max_body_mb, log_level, tls)

    admin = typer.Typer(no_args_is_help=True, help="Manage the task server's database directly.")
    app.add_typer(admin, name="admin")
    project = typer.Typer(no_args_is_help=True, help="Create, list, show and change projects.")
    admin.add_typer(project, name="project")
    user = typer.Typer(no_args_is_help=True, help="Add, list and change users and their roles.")
    admin.add_typer(user, name="user")
    token = typer.Typer(no_args_is_help=True, help="Create (shown once) and revoke tokens.")
    admin.add_typer(token, name="token")

    @admin.command("migrate")
    def migrate(db: str | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
        """Bring the database schema up to date (serve does this on start too)."""
        from rankterm.server.migrate import current_revision
        from rankterm.server.settings import redact_url

        database = _open_db(db)
        typer.echo(f"{redact_url(database.url)}: schema at revision {current_revision(database)}")
        database.dispose()

    @project.command("create")
    def project_create(
        name: str = typer.Argument(..., help="Project name (letters, digits, . _ -)."),
        overlap: int = typer.Option(3, "--overlap", help="Distinct annotators per pair."),
        lease_ttl: int = typer.Option(1800, "--lease-ttl", help="Lease lifetime in seconds."),
        gold_rate: float = typer.Option(0.0, "--gold-rate", help="Share of gold items, 0-1."),
        repeat_rate: float = typer.Option(0.0, "--repeat-rate", help="Share of blind repeats."),
        repeat_gap: int = typer.Option(
            20, "--repeat-gap", help="Judgments between a pair and its blind repeat."
        ),
        max_leases: int = typer.Option(
            50, "--max-leases", help="Live leases one annotator may hold."
        ),
        lease_max_age: int = typer.Option(
            14400, "--lease-max-age", help="A lease's lifetime with renewals (s)."
        ),
        conflict_rule: str = typer.Option(
            "any_disagreement",
            "--conflict-rule",
            help="any_disagreement | opposite_sides | ordinal_spread>=N",
        ),
        tag: list[str] = typer.Option([], "--tag", help="Error-type tag (repeatable)."),
        criterion: list[str] = typer.Option([], "--criterion", help="Criterion (repeatable)."),
        guidelines: Path | None = typer.Option(None, "--guidelines", help="Guidelines file."),
        db: str | None = typer.Option(None, "--db", help=DB_HELP),
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
            tags=tag,
            criteria=criterion,
            guidelines=_read_text(guidelines) if guidelines else None,
        )
        _run(db, lambda conn: svc.create_project(conn, spec))
        typer.echo(f"created project {name}")

    @project.command("list")
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

    @project.command("show")
    def project_show(
        name: str = typer.Argument(..., help="Project name."),
        db: str | None = typer.Option(None, "--db", help=DB_HELP),
    ) -> None:
        """Show a project's settings and progress."""
        from rankterm.server import projects as svc
        from rankterm.server import reports
        from rankterm.server.core import get_project

        def work(conn: Any) -> tuple[Any, Any]:
            p = get_project(conn, name)
            return svc.project_public(conn, p), reports.project_progress(conn, p)

        public, progress = _run(db, work)
        for key, value in public.model_dump(mode="json").items():
            typer.echo(f"{key} = {value}")
        for key, value in progress.items():
            typer.echo(f"progress.{key} = {value}")

    @project.command("set")
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
        tag: list[str] | None = typer.Option(None, "--tag", help="Replace the tag list."),
        criterion: list[str] | None = typer.Option(None, "--criterion", help="Replace criteria."),
        db: str | None = typer.Option(None, "--db", help=DB_HELP),
    ) -> None:
        """Change a project's settings (only the options given)."""
        from rankterm.server import projects as svc
        from rankterm.server.schemas import ProjectUpdate

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
            tags=tag or None,
            criteria=criterion or None,
        )
        _run(db, lambda conn: svc.update_project(conn, name, changes))
        typer.echo(f"updated project {name}")

    @project.command("add-member")
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

    @project.command("remove-member")
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

    @project.command("members")
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

    @user.command("add")
    def user_add(
        name: str = typer.Argument(..., help="User name (stamped on their judgments)."),
        role: str = typer.Option("annotator", "--role", help="annotator | adjudicator | admin"),
        profile: Path | None = typer.Option(
            None, "--profile", help="JSON file of self-described attributes given with consent."
        ),
        db: str | None = typer.Option(None, "--db", help=DB_HELP),
    ) -> None:
        """Add a user. Then give them a token with 'admin token create'."""
        from rankterm.server import users

        data = _read_json_file(profile, "profile") if profile else None
        if data is not None and not isinstance(data, dict):
            raise UsageError(f"{profile}: the profile must be a JSON object")
        _run(db, lambda conn: users.add_user(conn, name, role, data))
        typer.echo(f"added {role} {name}")

    @user.command("list")
    def user_list(db: str | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
        """List users and roles."""
        from rankterm.server import users

        for row in _run(db, users.list_users) or []:
            state = "" if row["active"] else "\t(inactive)"
            typer.echo(f"{row['name']}\t{row['role']}{state}")

    @user.command("set")
    def user_set(
        name: str = typer.Argument(..., help="User name."),
        role: str | None = typer.Option(None, "--role", help="New role."),
        active: bool | None = typer.Option(None, "--active/--inactive", help="Allow or block."),
        db: str | None = typer.Option(None, "--db", help=DB_HELP),
    ) -> None:
        """Change a user's role or block them (their tokens stop working)."""
        from rankterm.server import users

        _run(db, lambda conn: users.set_user(conn, name, role=role, active=active))
        typer.echo(f"updated {name}")

    @token.command("create")
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

    @token.command("revoke")
    def token_revoke(
        name: str = typer.Argument(..., help="User whose tokens to revoke."),
        db: str | None = typer.Option(None, "--db", help=DB_HELP),
    ) -> None:
        """Revoke every token of a user."""
        from rankterm.server import users

        count = _run(db, lambda conn: users.revoke_tokens(conn, name))
        typer.echo(f"revoked {count} token(s) of {name}")

    @admin.command("import")
    def import_cmd(
        project_name: str = typer.Argument(..., metavar="PROJECT", help="Project name."),
        path: Path = typer.Argument(..., metavar="PAIRS.jsonl", help="Pairs file (JSONL)."),
        db: str | None = typer.Option(None, "--db", help=DB_HELP),
    ) -> None:
        """Import pairs; ids already in the project are skipped, bad lines reported."""
        from rankterm.server.admin_io import import_file

        result, issues = import_file(_open_db(db), project_name, path)
        for issue in issues:
            typer.echo(str(issue), err=True)
        typer.echo(
            f"{result.added} added, {result.existing} already present, {result.invalid} invalid"
        )

    @admin.command("export")
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

        lines = export_file(_open_db(db), project_name, out)
        if str(out) != "-":
            typer.echo(f"wrote {lines} records to {out}", err=True)

    @admin.command("guidelines")
    def guidelines_cmd(
        project_name: str = typer.Argument(..., metavar="PROJECT", help="Project name."),
        path: Path = typer.Argument(..., metavar="FILE.md", help="Guidelines (Markdown)."),
        db: str | None = typer.Option(None, "--db", help=DB_HELP),
    ) -> None:
        """Upload guidelines; a changed text becomes the new version."""
        from rankterm.server import projects as svc
        from rankterm.server.core import get_project

        content = _read_text(path)
        result = _run(
            db, lambda conn: svc.add_guidelines(conn, get_project(conn, project_name), content)
        )
        typer.echo(f"guidelines version {result.version}")

    @app.command("sync")
    def sync(
        journal: Path = typer.Argument(..., help="Journal file to push."),
        server: str | None = typer.Option(None, "--server", help="Task server URL (or config)."),
        project_name: str | None = typer.Option(
            None, "--project", help="Project on the server (or config)."
        ),
        batch: int = typer.Option(500, "--batch", min=1, max=10_000, help="Records per request."),
    ) -> None:
        """Push a journal made offline; the server's receipts are appended to it as acks.

        The token comes from RANKTERM_TOKEN or the config file, never from a flag.

        Exit code 4: the server rejected some records (listed; their receipts say why).
        """
        code = _push_journal(journal, server, project_name, batch)
        if code:
            raise typer.Exit(code)


def _validated(model: Any, **values: Any) -> Any:
    from pydantic import ValidationError

    from rankterm.errors import describe_validation_error

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


def _push_journal(path: Path, server: str | None, project: str | None, batch: int) -> int:
    """Send unacked judgments, then retractions; journal each batch's receipts at once.

    Receipts are appended right after each batch, so an interrupted sync resumes where it
    stopped; resending is harmless anyway because the server is idempotent on record ids.
    """
    from rankterm.config import load_settings
    from rankterm.errors import LoadIssue, display_path
    from rankterm.journal import Journal, read_journal, replay
    from rankterm.model import Judgment, Retraction
    from rankterm.sources.client import TaskClient, token_from_settings

    settings = load_settings({"server": server, "project": project})
    if not settings.server:
        raise UsageError("no server: pass --server URL or set 'server' in the config")
    if not settings.project:
        raise UsageError("no project: pass --project NAME or set 'project' in the config")
    token = token_from_settings()
    if not token:
        raise UsageError("no token: set RANKTERM_TOKEN (or 'token' in the config file)")
    if not path.exists():
        raise UsageError(f"{display_path(path)}: no such journal")
    issues: list[LoadIssue] = []
    with Journal.open(path) as journal:
        state = replay(read_journal(path, issues))
        for issue in issues:
            typer.echo(f"warning: {issue}", err=True)
        pending = state.unacked()
        judgments = [e for e in pending if isinstance(e, Judgment)]
        retractions = [e for e in pending if isinstance(e, Retraction)]
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        rejected = []
        with TaskClient(settings.server, settings.project, token, batch_size=batch) as client:
            for records, send in ((judgments, client.submit), (retractions, client.retract)):
                for start in range(0, len(records), batch):
                    acks = send(records[start : start + batch])
                    journal.append_many(acks)
                    for ack in acks:
                        counts[ack.status] += 1
                        if ack.status == "rejected":
                            rejected.append(ack)
    for ack in rejected:
        typer.echo(f"rejected {ack.judgment_id}: {ack.reason}", err=True)
    typer.echo(
        f"{len(judgments)} judgments and {len(retractions)} retractions sent: "
        f"{counts['accepted']} accepted, {counts['duplicate']} already there, "
        f"{counts['rejected']} rejected"
    )
    return SYNC_REJECTED_EXIT if rejected else 0
