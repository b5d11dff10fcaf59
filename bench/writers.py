"""Bulk writers for the generated record: sqlite3 directly, or PostgreSQL's COPY; and the
columns each table is written with.
"""

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

# Tables whose secondary indexes are dropped while loading and rebuilt once at the end.
BIG_TABLES = (
    "decisions",
    "decision_regulators",
    "decision_organisations",
    "decision_tags",
    "decision_sources",
    "decision_relations",
    "findings",
    "recommendations",
    "assessments",
    "organisations",
    "organisation_aliases",
)


# The columns each table is written with, in the order the generator builds its rows.
COLUMNS: dict[str, tuple[str, ...]] = {
    "regulators": (
        "id", "name", "short_name", "jurisdiction", "kind", "website", "version", "created_at", "updated_at",
    ),
    "organisations": (
        "id", "name", "kind", "country", "website", "parent_id", "version", "created_at", "updated_at",
    ),
    "organisation_aliases": ("id", "organisation_id", "position", "alias"),
    "cases": ("id", "title", "summary", "version", "created_at", "updated_at"),
    "decisions": (
        "id", "reference", "title", "kind", "issued_on", "summary", "case_id", "penalty_amount",
        "penalty_currency", "compliance", "version", "created_at", "updated_at",
    ),
    "decision_regulators": ("decision_id", "regulator_id", "role", "position"),
    "decision_organisations": ("decision_id", "organisation_id", "role", "position"),
    "findings": ("id", "decision_id", "position", "text", "provision", "organisation_id", "outcome"),
    "decision_provisions": ("decision_id", "position", "provision"),
    "decision_sources": ("id", "decision_id", "position", "url", "title", "publisher", "published_on"),
    "decision_tags": ("decision_id", "tag"),
    "decision_relations": ("decision_id", "related_decision_id", "relation", "position"),
    "recommendations": (
        "id", "decision_id", "organisation_id", "text", "kind", "due_on", "status", "last_assessed_on",
        "status_origin", "status_reviewed", "version", "created_at", "updated_at",
    ),
    "assessments": (
        "id", "recommendation_id", "status", "assessed_on", "asserted_by", "note", "source_url",
        "source_title", "source_quote", "recorded_at", "recorded_by", "recorded_by_name",
        "origin", "counted", "review", "version",
    ),
}  # fmt: skip


class SqliteWriter:
    """sqlite3 directly: one transaction, no journal sync, a big cache, executemany."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-1000000",
            "temp_store=MEMORY",
            "locking_mode=EXCLUSIVE",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("BEGIN")
        self.indexes = [
            (name, sql)
            for name, sql in self.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({','.join('?' * len(BIG_TABLES))})",
                BIG_TABLES,
            )
        ]
        for name, _ in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')

    @staticmethod
    def timestamp(day: dt.date, seconds: int) -> str:
        return (
            f"{day.isoformat()} {seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000000"
        )

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self.conn.executemany(sql, rows)

    def finish(self, *, analyze: bool) -> None:
        for _, sql in self.indexes:
            self.conn.execute(sql)
        if analyze:
            self.conn.execute("ANALYZE")
        self.conn.execute("COMMIT")
        self.conn.execute("PRAGMA locking_mode=NORMAL")
        # The app runs in WAL mode; leave the file ready for it.
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.close()


class PostgresWriter:
    """psycopg (3) with COPY ... FROM STDIN, then the id sequences moved past the loaded rows."""

    def __init__(self, url: str) -> None:
        import psycopg

        parsed = make_url(url).set(drivername="postgresql")
        self.conn = psycopg.connect(parsed.render_as_string(hide_password=False))
        self.tables: set[str] = set()

    @staticmethod
    def timestamp(day: dt.date, seconds: int) -> str:
        return SqliteWriter.timestamp(day, seconds) + "+00"

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        self.tables.add(table)
        with (
            self.conn.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def finish(self, *, analyze: bool) -> None:
        with self.conn.cursor() as cursor:
            for table in sorted(self.tables):
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, 'id') FROM information_schema.columns "
                    "WHERE table_name = %s AND column_name = 'id'",
                    (table, table),
                )
                (sequence,) = cursor.fetchone() or (None,)
                if sequence:
                    cursor.execute(
                        f"SELECT setval(%s, COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)",
                        (sequence,),
                    )
            if analyze:
                cursor.execute("ANALYZE")
        self.conn.commit()
        self.conn.close()
