"""The migrations: one head, a full round trip, and no drift between models and schema."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app import migrate
from app.db import Database
from app.models import Base


def test_single_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1


def test_round_trip_and_no_drift(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    cfg = migrate.alembic_config(url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    db = Database(url)
    try:
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    finally:
        db.dispose()
    command.upgrade(cfg, "head")
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        db.dispose()
