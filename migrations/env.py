"""Alembic environment: the app's models and its engine settings (SQLite pragmas included)."""

from alembic import context

from app.db import make_engine
from app.migrate import compare_options
from app.models import Base

config = context.config
# Key of the PostgreSQL advisory lock held while migrating ("findings" in ASCII).
MIGRATION_LOCK = 0x66696E64696E6773
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        **compare_options(),
    )
    if sqlite:
        # SQLite changes a table by copying it, dropping the old one and renaming the copy
        # (Alembic's batch mode). With foreign keys enforced, the DROP deletes the old rows
        # first and with them, ON DELETE CASCADE, the rows of every table referring to it (a
        # rebuilt `users` took every session and e-mailed link along). So the migrations run
        # with them off, as SQLite's own procedure for schema changes says, and every
        # reference is checked before the commit. (The pragma is a no-op inside a
        # transaction: it goes to the driver's connection, before the first BEGIN.)
        _sqlite_foreign_keys(connection, False)
        # A table rebuilt by copying starts its AUTOINCREMENT counter again at its highest id
        # (the ids of rows deleted above it would be given again): the counters are kept.
        counters = _sqlite_counters(connection)
    try:
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Several hosts may run `findings migrate` at once: the first takes this lock for
                # its transaction, the others wait for it and then find nothing left to do.
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            context.run_migrations()
            if sqlite:
                _keep_sqlite_counters(connection, counters)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migrations left rows referring to nothing: {broken[:10]}")
                connection.commit()
    finally:
        if sqlite:
            # Alembic runs each SQLite migration in a transaction of its own and commits it;
            # what is open now holds the check's read alone.
            if connection.in_transaction():
                connection.rollback()
            _sqlite_foreign_keys(connection, True)


def _sqlite_counters(connection, raw: bool = True) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The AUTOINCREMENT counters (`sqlite_sequence`); `raw`: read on the driver's connection,
    outside any transaction."""
    execute = connection.connection.driver_connection.execute if raw else connection.exec_driver_sql
    if not execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchall():
        return {}
    return {name: int(seq) for name, seq in execute("SELECT name, seq FROM sqlite_sequence")}


def _keep_sqlite_counters(connection, counters: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """No counter of a table still there goes back below what it was before the migrations."""
    now = _sqlite_counters(connection, raw=False)
    tables = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master")}
    for name, seq in counters.items():
        if name in tables and now.get(name, -1) < seq:
            connection.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
            connection.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))


def _sqlite_foreign_keys(connection, on: bool) -> None:  # type: ignore[no-untyped-def]
    if connection.in_transaction():
        raise RuntimeError("SQLite's foreign keys can only be switched outside a transaction")
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run them against a database.")
run_migrations()
