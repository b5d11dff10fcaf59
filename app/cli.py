"""The `findings` command: serve, migrate, load the demo record, manage tokens."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from app.vocab import Role

cli = typer.Typer(help="Findings Tracker: regulator decisions and compliance.", no_args_is_help=True)
token_cli = typer.Typer(help="API tokens.", no_args_is_help=True)
cli.add_typer(token_cli, name="token")


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


@token_cli.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="A name to recognise the token by.")],
    role: Annotated[Role, typer.Option(help="What the token may do.")] = Role.reader,
    expires_in_days: Annotated[int | None, typer.Option(help="Days until it expires.")] = None,
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    from app.db import Database
    from app.errors import DomainError
    from app.services import tokens

    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_in_days) if expires_in_days else None
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
