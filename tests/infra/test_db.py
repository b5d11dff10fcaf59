"""SQLite is set up for a web server: WAL, foreign keys, busy timeout, IMMEDIATE writes."""

import sqlite3

import pytest
from sqlalchemy import text

from app.db import Database


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    if not db.is_sqlite:
        pytest.skip("SQLite's own settings; PostgreSQL has no such pragmas")
    return db


def test_pragmas(sqlite_db: Database) -> None:
    db = sqlite_db
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


def test_write_sessions_take_the_write_lock_at_once(sqlite_db: Database) -> None:
    """A write transaction begins IMMEDIATE: a second writer waits instead of failing mid-way."""
    db = sqlite_db
    path = db.engine.url.database
    assert path
    session = db.session(write=True)
    try:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    finally:
        session.rollback()
        session.close()
    reader = db.session()
    try:
        reader.execute(text("SELECT count(*) FROM decisions"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # a read session leaves the write lock free
        other.execute("ROLLBACK")
        other.close()
    finally:
        reader.close()
