"""Run the Alembic migrations from code (the `findings migrate` command and the tests)."""

from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from app.config import PROJECT_ROOT, get_settings


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


# Tables the migrations manage by hand, outside the models: the full-text index (with, on
# SQLite, the FTS5 shadow tables search_index_data, _idx, _content, _docsize and _config;
# likewise search_names).
UNMODELLED_PREFIXES = ("search_index", "search_names")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave out of autogenerate (and of the schema comparison) what has no model."""
    if type_ == "table" and name is not None:
        return not name.startswith(UNMODELLED_PREFIXES)
    return True


def compare_options() -> dict[str, Any]:
    """How the migrated schema is compared with the models, by autogenerate and by the tests."""
    return {"compare_type": True, "include_name": include_name}


def upgrade(
    url: str | None = None, revision: str = "head", progress: Callable[[int, int], None] | None = None
) -> int:
    """Migrate to `revision`; at the head, then rewrite the stored read documents that are
    missing or stale (built with another read schema) with the code of the head; return how
    many were written."""
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        return refresh_read_model(url, progress)
    return 0


def refresh_read_model(url: str | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    """Rewrite the missing and stale read documents (`read_store.refresh_stale`) and compute the
    suspected duplicates again (`suspicions.rebuild`: a new rule, or a record migrated from
    before they were stored), in one transaction."""
    from app.db import Database
    from app.services.dedupe import suspicions
    from app.services.readmodel import store as read_store

    db = Database(url or get_settings().database_url)
    try:
        with db.transaction(actor="migrate") as session:
            written = read_store.refresh_stale(session, progress)
            suspicions.rebuild(session)
            return written
    finally:
        db.dispose()


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
