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
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        **compare_options(),
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several hosts may run `findings migrate` at once: the first takes this lock for
            # its transaction, the others wait for it and then find nothing left to do.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run them against a database.")
run_migrations()
