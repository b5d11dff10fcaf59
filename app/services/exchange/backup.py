"""Backups: SQLite's online backup API (a consistent copy while the app writes); pg_dump for PostgreSQL."""

import shlex
import sqlite3
from pathlib import Path

from sqlalchemy import URL, Engine


def sqlite_backup(engine: Engine, target: Path) -> int:
    """Copy the live database to `target` page by page; returns the number of pages copied.

    Other connections may keep writing meanwhile: the copy is the database as of one
    moment. The target is written to a temporary file first, then renamed into place, so a
    failed backup never leaves a half-written file under the final name.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=1024)
            pages = copy.execute("PRAGMA page_count").fetchone()[0]
            # A stand-alone file: no -wal beside it is needed to read it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        raw.close()
    partial.replace(target)
    return int(pages)


def pg_dump_command(url: URL, target: Path) -> str:
    """The pg_dump command for this database (custom format; the password comes from PGPASSWORD)."""
    parts = ["pg_dump", "--format=custom", f"--file={target}"]
    if url.host:
        parts.append(f"--host={url.host}")
    if url.port:
        parts.append(f"--port={url.port}")
    if url.username:
        parts.append(f"--username={url.username}")
    parts.append(url.database or "")
    return shlex.join(parts)
