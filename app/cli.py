"""The `findings` command: serve, migrate, load the demo record, manage tokens and users."""

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from app.vocab import Role

cli = typer.Typer(help="Findings Tracker: regulator decisions and compliance.", no_args_is_help=True)
token_cli = typer.Typer(help="API tokens.", no_args_is_help=True)
cli.add_typer(token_cli, name="token")
user_cli = typer.Typer(help="Accounts for the browser pages.", no_args_is_help=True)
cli.add_typer(user_cli, name="user")


@cli.command()
def migrate() -> None:
    """Bring the database (DATABASE_URL) up to the latest schema."""
    from app import migrate as migrations

    migrations.upgrade()
    typer.echo("Database is at the latest schema.")


@cli.command()
def demo() -> None:
    """Load the demo record (the Clearview AI decisions). Running it again changes nothing."""
    from app.db import Database
    from app.services import demo as demo_data

    db = Database()
    try:
        with db.transaction(actor="cli:demo") as session:
            created = demo_data.load(session)
    finally:
        db.dispose()
    typer.echo(
        f"Demo record loaded: {created} new decision(s)."
        if created
        else "Demo record already present; nothing changed."
    )


@cli.command("rebuild-read-model")
def rebuild_read_model() -> None:
    """Make every decision's stored read document again from the record (after rows were
    written past the app, as the benchmark's generator does)."""
    import time

    from app.db import Database
    from app.services import documents

    db = Database()
    try:
        started = time.perf_counter()
        with db.transaction(actor="cli:rebuild-read-model") as session:
            written = documents.rebuild(session)
        seconds = time.perf_counter() - started
    finally:
        db.dispose()
    typer.echo(f"Read model rebuilt: {written} decision document(s) in {seconds:.1f} s.")


@cli.command("export")
def export_(
    file: Annotated[Path, typer.Argument(help="Where to write the JSON record (`-` for standard output).")],
) -> None:
    """Write the whole record as JSON (format findings-tracker-record, version 1)."""
    from app.db import Database
    from app.services import exchange

    db = Database()
    try:
        with db.transaction(write=False, actor="cli:export") as session:
            exchange.consistent_read(session)
            if str(file) == "-":
                for chunk in exchange.export_record(session):
                    sys.stdout.write(chunk)
                return
            partial = file.with_name(file.name + ".partial")
            with partial.open("w", encoding="utf-8", newline="\n") as out:
                for chunk in exchange.export_record(session):
                    out.write(chunk)
            partial.replace(file)
    finally:
        db.dispose()
    typer.echo(f"Record written to {file}.", err=True)


@cli.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A JSON record made by `findings export`.", exists=True)],
) -> None:
    """Load a whole-record export into this (empty) instance; all or nothing."""
    from app.db import Database
    from app.errors import DomainError
    from app.services import exchange

    db = Database()
    try:
        with db.transaction(actor="import:cli") as session, file.open(encoding="utf-8") as fp:
            counts = exchange.import_record(session, fp)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        for error in exc.errors:
            typer.echo(f"  {error.field}: {error.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo("Imported " + ", ".join(f"{n} {section}" for section, n in counts.items()) + ".")


@cli.command("import-csv")
def import_csv(
    mapping_file: Annotated[Path, typer.Argument(help="A TOML mapping (see mappings/).", exists=True)],
    csv_file: Annotated[Path, typer.Argument(help="The CSV file to import.", exists=True)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would happen; change nothing.")
    ] = False,
    show: Annotated[int, typer.Option(help="How many rejected rows to list.")] = 50,
    batch: Annotated[int, typer.Option(help="Commit every this many decisions.")] = 200,
) -> None:
    """Import decisions and recommendations from a CSV file as a mapping file says.

    Rows that cannot be used are rejected with their row number and reason and the others go
    on; each decision is written whole or not at all. Importing the same file again creates
    nothing new.
    """
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from app.db import Database
    from app.errors import DomainError
    from app.services import csv_import, mapping

    started = time.perf_counter()
    db = Database()
    session = db.session(write=True)
    session.info["actor"] = f"import-csv:{mapping_file.name}"
    try:
        spec = mapping.load(mapping_file)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
            disable=not sys.stderr.isatty(),
            console=None,
        ) as bar:
            task = bar.add_task(f"{csv_file.name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            def checkpoint() -> None:
                session.commit()
                session.connection(execution_options={"findings_write": True})

            report = csv_import.import_csv_file(
                session,
                spec,
                csv_file,
                checkpoint=None if dry_run else checkpoint,
                progress=progress,
                batch=batch,
            )
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except DomainError as exc:
        session.rollback()
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        session.close()
        db.dispose()
    seconds = time.perf_counter() - started
    _print_report(report.as_dict(), dry_run=dry_run, show=show, seconds=seconds)


def _print_report(report: dict[str, Any], *, dry_run: bool, show: int, seconds: float) -> None:
    verb = "would be" if dry_run else "were"
    typer.echo(
        f"{report['rows']} rows: {report['created']} created, {report['matched']} matched, "
        f"{report['rejected']} rejected ({'dry run, nothing changed; ' if dry_run else ''}{seconds:.1f} s)."
    )
    for kind, counts in report["counts"].items():
        typer.echo(f"  {kind}: {counts['created']} {verb} created, {counts['matched']} matched")
    if report["counts"]["assessments"]["created"]:
        typer.echo(
            "  statuses of the assessments created: "
            + ", ".join(f"{status} {n}" for status, n in report["statuses"].items())
        )
    for duplicate in report["duplicates"][:show]:
        typer.echo(f"  row {duplicate['row']}: {duplicate['reason']}")
    for rejection in report["rejections"][:show]:
        typer.echo(f"  row {rejection['row']}: {rejection['reason']}")
    if report["rejected"] > show:
        typer.echo(f"  ... and {report['rejected'] - show} more rejected rows (use --show).")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the web pages and the REST API."""
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
    )


@cli.command()
def worker(
    once: Annotated[bool, typer.Option(help="Deliver what is due now, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between rounds when idle.")] = 2.0,
) -> None:
    """Deliver alerts: turn new events into deliveries and send the webhooks and e-mails due.

    Runs until stopped (Ctrl-C or SIGTERM). Several workers may run against PostgreSQL; on
    SQLite run one.
    """
    import logging
    import signal
    import threading

    from app.db import Database
    from app.services import worker as delivery

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db = Database()
    try:
        if once:
            result = delivery.run_once(db)
            typer.echo(
                f"{result.events} event(s) fanned out, {result.queued} delivery(ies) queued, "
                f"{result.delivered} delivered, {result.retried} to retry, {result.failed} given up."
            )
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        typer.echo("Worker delivering alerts; stop with Ctrl-C.")
        delivery.run(db, stop=stop, interval=interval)
    finally:
        db.dispose()


DEFAULT_TOKEN_DAYS = 90


@token_cli.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="A name to recognise the token by.")],
    role: Annotated[Role, typer.Option(help="What the token may do.")] = Role.reader,
    expires_in_days: Annotated[
        int, typer.Option(min=1, help="Days until it expires (by default 90).")
    ] = DEFAULT_TOKEN_DAYS,
    no_expiry: Annotated[bool, typer.Option("--no-expiry", help="A token that never expires.")] = False,
) -> None:
    """Create an API token and print it once (only its hash is stored). It expires after 90
    days unless `--expires-in-days` or `--no-expiry` says otherwise."""
    from app.db import Database
    from app.errors import DomainError
    from app.services import tokens

    expires_at = None if no_expiry else dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_in_days)
    db = Database()
    try:
        with db.transaction(actor="cli") as session:
            token, secret = tokens.create(session, name=name, role=role, expires_at=expires_at)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(secret)
    typer.echo(
        f"Token {token.name!r} ({token.role.value}) created; this is the only time it is shown.", err=True
    )


@user_cli.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The address the user signs in with.")],
    name: Annotated[str, typer.Option(help="The name shown on the pages.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")] = Role.reader,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a browser account; the password is asked for (hidden) or read from stdin."""
    from app.db import Database
    from app.errors import DomainError
    from app.services import users

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = Database()
    try:
        with db.transaction(actor="cli") as session:
            user = users.create(session, email=email, name=name, role=role, password=password)
            summary = f"User {user.email} ({user.role.value}) created."
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(summary)


def _user_command(change: Callable[[Any], str]) -> None:
    """Run `change(session)` in one transaction; print its summary, or the error (exit 1)."""
    from app.db import Database
    from app.errors import DomainError

    db = Database()
    try:
        with db.transaction(actor="cli") as session:
            summary = change(session)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(summary)


@user_cli.command("list")
def user_list() -> None:
    """List the accounts: e-mail, role, two-factor, state."""
    from app.services import users

    def show(session: Any) -> str:
        rows = users.list_users(session)
        lines = [f"{'email':40} {'role':7} {'2fa':4} state"]
        for u in rows:
            state = "disabled" if u.disabled_at else "active"
            lines.append(f"{u.email:40} {u.role.value:7} {'yes' if u.totp_enabled_at else 'no':4} {state}")
        return "\n".join(lines)

    _user_command(show)


@user_cli.command("disable")
def user_disable(email: Annotated[str, typer.Argument(help="The account's e-mail address.")]) -> None:
    """Disable an account: it cannot sign in, and its open sessions end now."""
    from app.services import users

    _user_command(lambda s: f"User {users.set_disabled(s, email=email, disabled=True).email} disabled.")


@user_cli.command("enable")
def user_enable(email: Annotated[str, typer.Argument(help="The account's e-mail address.")]) -> None:
    """Enable a disabled account again."""
    from app.services import users

    _user_command(lambda s: f"User {users.set_disabled(s, email=email, disabled=False).email} enabled.")


@user_cli.command("set-role")
def user_set_role(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    role: Annotated[Role, typer.Argument(help="reader, editor or admin.")],
) -> None:
    """Change an account's role (its open sessions end; the new role applies at the next sign-in)."""
    from app.services import users

    def change(session: Any) -> str:
        user = users.set_role(session, email=email, role=role)
        return f"User {user.email} is now {user.role.value}."

    _user_command(change)


@token_cli.command("list")
def token_list() -> None:
    """List the tokens, without their secrets."""
    from app.db import Database
    from app.services import tokens

    db = Database()
    try:
        with db.transaction(write=False) as session:
            rows = tokens.all_(session)
    finally:
        db.dispose()

    def when(value: dt.datetime | None) -> str:
        return value.strftime("%Y-%m-%dT%H:%MZ") if value else "-"

    header = ("NAME", "ROLE", "PREFIX", "CREATED", "EXPIRES", "REVOKED", "LAST USED")
    table = [header] + [
        (
            t.name,
            t.role.value,
            t.prefix,
            when(t.created_at),
            when(t.expires_at),
            when(t.revoked_at),
            when(t.last_used_at),
        )
        for t in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@token_cli.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token: it stops working at once (it stays listed)."""
    from app.db import Database
    from app.errors import DomainError
    from app.services import tokens

    db = Database()
    try:
        with db.transaction(actor="cli") as session:
            tokens.revoke(session, token=tokens.by_name(session, name=name))
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(f"Token {name!r} revoked.")


@cli.command()
def backup(file: Annotated[Path, typer.Argument(help="Where to write the copy.")]) -> None:
    """Copy the database, consistently, while the app keeps running (SQLite online backup).

    Restore by stopping the app and copying the file back over the database file. For
    PostgreSQL this prints the pg_dump command to use instead.
    """
    from app.db import Database
    from app.services import backup as backups

    db = Database()
    try:
        if not db.is_sqlite:
            typer.echo(backups.pg_dump_command(db.engine.url, file))
            typer.echo("PostgreSQL: run the command above (restore with pg_restore).", err=True)
            raise typer.Exit(2)
        pages = backups.sqlite_backup(db.engine, file)
    finally:
        db.dispose()
    typer.echo(f"Backed up {pages} page(s) to {file}.")


def main() -> None:
    cli()
