"""The `findings` command: serve, migrate, load the demo record, import and export, back up;
its `token` and `user` commands (API tokens, browser accounts) are in app/cli_accounts.py."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from app.cli_accounts import token_cli, user_cli

cli = typer.Typer(help="Findings Tracker: regulator decisions and compliance.", no_args_is_help=True)
cli.add_typer(token_cli, name="token")
cli.add_typer(user_cli, name="user")
documents_cli = typer.Typer(help="Archived documents.", no_args_is_help=True)
cli.add_typer(documents_cli, name="documents")


@documents_cli.command("verify")
def verify_documents() -> None:
    """Recompute the SHA-256 of every archived document (and WARC record) and report any whose
    bytes are missing or changed; exit 1 when there is one."""
    from app.db import Database
    from app.services.evidence import storage

    db = Database()
    try:
        with db.transaction(write=False, actor="cli:documents-verify") as session:
            problems = list(storage.verify(session))
    finally:
        db.dispose()
    for p in problems:
        state = "missing" if p.found is None else f"changed (now {p.found})"
        typer.echo(f"document {p.document_id}: {p.sha256} {state}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("Every archived document's bytes match their SHA-256.")


@cli.callback()
def _every_command() -> None:
    # Every command's writes keep the read model and the alert outbox in step.
    from app.services import hooks

    hooks.install()


@cli.command()
def migrate() -> None:
    """Bring the database (DATABASE_URL) up to the latest schema, and rewrite the stored read
    documents that are missing or were built with another read schema."""
    from app import migrate as migrations

    with progress_bar("Read documents") as progress:
        written = migrations.upgrade(progress=progress)
    typer.echo("Database is at the latest schema.")
    if written:
        typer.echo(f"Read documents written again: {written}.")


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on a terminal (nothing elsewhere), told how far with `(done, total)`."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task(description, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


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
    from app.services.readmodel import store as read_store

    db = Database()
    try:
        started = time.perf_counter()
        with db.transaction(actor="cli:rebuild-read-model") as session:
            written = read_store.rebuild(session)
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
    from app.services.exchange import record_import as exchange

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
    from app.services.exchange import record_import as exchange

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

    from app.db import Database
    from app.errors import DomainError
    from app.services.exchange.csv import importer as csv_import
    from app.services.exchange.csv import mapping

    started = time.perf_counter()
    db = Database()
    session = db.session(write=True)
    session.info["actor"] = f"import-csv:{mapping_file.name}"
    try:
        spec = mapping.load(mapping_file)
        with progress_bar(csv_file.name) as progress:

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
    if report.get("split"):
        typer.echo(f"  rows made to several parties, one recommendation for each: {report['split']}")
    if report.get("folded"):
        typer.echo(f"  rows folded into the recommendation listed before them: {report['folded']}")
    if report["counts"]["assessments"]["created"]:
        typer.echo(
            "  statuses of the assessments created: "
            + ", ".join(f"{status} {n}" for status, n in report["statuses"].items())
        )
        if suggested := sum(report["suggested"].values()):
            typer.echo(
                f"  of which suggestions (below the mapping's accept_at, awaiting review): {suggested}: "
                + ", ".join(f"{status} {n}" for status, n in report["suggested"].items() if n)
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
    """Deliver alerts: turn new events into deliveries and send the webhooks and e-mails due;
    archive the links given, read the text of archived documents, check archived links again.

    Runs until stopped (Ctrl-C or SIGTERM). Several workers may run against PostgreSQL; on
    SQLite run one.
    """
    import logging
    import signal
    import threading

    from app.db import Database
    from app.services.alerts import worker as delivery
    from app.services.evidence import extract, fetch

    # Archive the links given, read the text of what is kept, and check archived links again.
    chores = [fetch.fetch_pending, extract.process_pending, fetch.check_links]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    db = Database()
    try:
        if once:
            result = delivery.run_once(db)
            read = sum(chore(db) for chore in chores)
            typer.echo(
                f"{result.events} event(s) fanned out, {result.queued} delivery(ies) queued, "
                f"{result.delivered} delivered, {result.retried} to retry, {result.failed} given up; "
                f"{read} document(s) fetched, read or checked."
            )
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        typer.echo("Worker delivering alerts; stop with Ctrl-C.")
        delivery.run(db, stop=stop, interval=interval, chores=chores)
    finally:
        db.dispose()


@cli.command()
def backup(file: Annotated[Path, typer.Argument(help="Where to write the copy.")]) -> None:
    """Copy the database, consistently, while the app keeps running (SQLite online backup).

    Restore by stopping the app and copying the file back over the database file. For
    PostgreSQL this prints the pg_dump command to use instead.
    """
    from app.db import Database
    from app.services.exchange import backup as backups

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
