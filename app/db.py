"""Engine and sessions, and the one unit of work every caller uses.

SQLite is configured for a web server: WAL, foreign keys on, a busy timeout, and write
transactions begun with ``BEGIN IMMEDIATE`` so that concurrent read-then-write transactions
queue for the lock instead of failing with "database is locked". A process's writers queue
first come first served (`WriteQueue`) before they ask SQLite for its lock: SQLite's own wait
(the busy timeout) is a lottery of sleeping retries, in which some writer among 25 could lose
for the whole timeout while the others went through (6% of writes failed so, 10 s late).

Beside the pool every thread shares, a `Database` keeps one connection for the event loop
(`loop_session`): taken without waiting, or not at all (the caller then reads in a worker
thread). Code on the event loop never waits for a pooled connection: a crowd of requests in
threads holding the whole pool would otherwise freeze every request of the process.

This module knows nothing of the services: the session hooks that keep the read model and the
alert outbox in step are installed by whoever opens sessions (`app.services.hooks.install`,
called by `create_app`, the command line and the tests).
"""

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from app.config import get_settings

# Execution option asking for a write transaction (BEGIN IMMEDIATE on SQLite).
WRITE = {"findings_write": True}

# SQLite's pool: a connection is a file handle with no server behind it, so there are enough
# for every worker thread (anyio's 40) and the downloads streaming beside them: no thread
# waits for one (with the former 5 + 10, a crowd of page readers made the others wait 30 s).
SQLITE_POOL = {"pool_size": 8, "max_overflow": 56}
# The event loop's own pool: one connection, never waited for (`pool_timeout=0` fails at once
# when it is taken, and the reader goes to a thread).
LOOP_POOL = {"poolclass": QueuePool, "pool_size": 1, "max_overflow": 0, "pool_timeout": 0}


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit once at the end, roll back on any exception, close in any case.

    The one place this is written: the request's session (`app.unit_of_work`), the command
    line's and workers' transactions (`Database.transaction`) and the loop's reads use it.
    """
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    settings = get_settings()
    url = url or settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        in_memory = not parsed.database or parsed.database == ":memory:"
        pool = {} if in_memory else SQLITE_POOL | {"pool_timeout": settings.db_pool_timeout}
        engine = create_engine(
            url,
            echo=settings.sql_echo,
            connect_args={"timeout": settings.sqlite_busy_timeout, "check_same_thread": False},
            **(pool | kwargs),
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
        options = {"pool_pre_ping": True, "pool_recycle": settings.db_pool_recycle}
    return create_engine(url, echo=settings.sql_echo, **(options | kwargs))


class WriteQueue:
    """A lock handed to its waiters in the order they came (a `threading.Lock` promises no
    order, and SQLite's busy handler none either): one per SQLite engine, held from a write
    transaction's BEGIN IMMEDIATE to its end."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._lock:
            if not self._held and not self._waiters:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._lock:
            if turn.is_set():  # handed over just as the wait ended: it is ours
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # straight to the next writer, still held
            else:
                self._held = False


HELD = "findings_write_queue_held"


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

    queue = WriteQueue()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.get_execution_options().get("findings_write"):
            conn.exec_driver_sql("BEGIN")
            return
        # A write that can wait less than the busy timeout (a convenience, such as noting a
        # token's use on a read) names its own wait.
        wait = conn.get_execution_options().get("findings_write_wait", busy_timeout)
        if not queue.acquire(wait):
            waited = Exception(f"database is locked: no turn to write within {wait:g} s")
            raise OperationalError("BEGIN IMMEDIATE", {}, waited)
        conn.info[HELD] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn.info)
            raise

    def _release(info: dict[str, Any]) -> None:
        if info.pop(HELD, False):
            queue.release()

    # The transaction's end gives the turn to the next writer, however it ends: commit, rollback,
    # or a connection returned to the pool (or closed) in the middle of one.
    event.listen(engine, "commit", lambda conn: _release(conn.info))
    event.listen(engine, "rollback", lambda conn: _release(conn.info))
    event.listen(engine, "reset", lambda dbapi_conn, record, reset_state: _release(record.info))
    event.listen(engine, "checkin", lambda dbapi_conn, record: _release(record.info) if record else None)
    event.listen(engine, "close", lambda dbapi_conn, record: _release(record.info) if record else None)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str | None = None, **engine_kwargs: Any) -> None:
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # The event loop's connection (none for an in-memory database, which a second engine
        # would not share: reads then go to a thread).
        self.loop_engine: Engine | None = None
        if self.engine.url.database not in (None, "", ":memory:"):
            self.loop_engine = make_engine(self.engine.url.render_as_string(hide_password=False), **LOOP_POOL)
        self.loop_sessionmaker = sessionmaker(self.loop_engine, expire_on_commit=False)
        # Connections opened beside the pool (app.http_cache's), closed with it.
        self.on_dispose: list[Callable[[], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = False, wait: float | None = None) -> Session:
        session = self.sessionmaker()
        if write:
            # Begin the transaction now, as a write transaction (waiting at most `wait` seconds
            # for SQLite's turn to write, when given, rather than the busy timeout).
            options = WRITE if wait is None else {**WRITE, "findings_write_wait": wait}
            session.connection(execution_options=options)
        return session

    @contextmanager
    def transaction(
        self, *, write: bool = True, actor: str = "cli", wait: float | None = None
    ) -> Iterator[Session]:
        """A session that commits once at the end, or rolls back on an exception."""
        session = self.session(write=write, wait=wait)
        session.info["actor"] = actor
        with unit_of_work(session):
            yield session

    def loop_session(self) -> Session | None:
        """A read-only session on the event loop's own connection, its connection already
        taken; None at once when that connection is in use (or there is none). Use it with
        `unit_of_work`, and never hold it across an `await`."""
        if self.loop_engine is None:
            return None
        session = self.loop_sessionmaker()
        try:
            session.connection()
        except PoolTimeout:
            session.close()
            return None
        return session

    def dispose(self) -> None:
        while self.on_dispose:
            self.on_dispose.pop()()
        self.engine.dispose()
        if self.loop_engine is not None:
            self.loop_engine.dispose()
