"""Engine and sessions.

SQLite is configured for a web server: WAL, foreign keys on, a busy timeout, and write
transactions begun with ``BEGIN IMMEDIATE`` so that concurrent read-then-write transactions
queue for the lock instead of failing with "database is locked".
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings

# Execution option asking for a write transaction (BEGIN IMMEDIATE on SQLite).
WRITE = {"findings_write": True}


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    settings = get_settings()
    url = url or settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=settings.sql_echo,
            connect_args={"timeout": settings.sqlite_busy_timeout, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine, settings.sqlite_busy_timeout, settings.sqlite_journal_size_limit)
        return engine
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
        "pool_recycle": settings.db_pool_recycle,
    }
    if "poolclass" in kwargs:
        options = {"pool_pre_ping": True}
    return create_engine(url, echo=settings.sql_echo, **(options | kwargs))


def _configure_sqlite(engine: Engine, busy_timeout: float, journal_size_limit: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own is always DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # After a checkpoint the WAL is truncated back to this size (else it keeps its peak).
        cursor.execute(f"PRAGMA journal_size_limit={int(journal_size_limit)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("findings_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str | None = None, **engine_kwargs: Any) -> None:
        # Every change made through a session writes its alert events to the outbox, and
        from app.services.alerts import outbox
        from app.services.readmodel import store as read_store
        # rewrites the stored read documents it changes.
        outbox.install()
        read_store.install()
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # Connections opened beside the pool (app.http_cache's), closed with it.
        self.on_dispose: list[Callable[[], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = False) -> Session:
        session = self.sessionmaker()
        if write:
            # Begin the transaction now, as a write transaction.
            session.connection(execution_options=WRITE)
        return session

    @contextmanager
    def transaction(self, *, write: bool = True, actor: str = "cli") -> Iterator[Session]:
        """A session that commits once at the end, or rolls back on an exception."""
        session = self.session(write=write)
        session.info["actor"] = actor
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        while self.on_dispose:
            self.on_dispose.pop()()
        self.engine.dispose()
