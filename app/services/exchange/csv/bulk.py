"""Bulk writes past the ORM, for the CSV import: rows inserted in one executemany, their ids
taken first, and the audit form of a row so written (what `audit.row()` gives for an ORM row).
"""

import functools
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from app.services.shared import audit


@functools.cache
def logged_columns(model: Any) -> tuple[str, ...]:
    return tuple(
        attr.key for attr in model.__mapper__.column_attrs if attr.key not in ("created_at", "updated_at")
    )


def audit_row(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """`audit.row()` of a row written past the ORM: its columns as the per-request path logs
    them (all but the timestamps)."""
    jsonable = audit.jsonable
    return {key: jsonable(values.get(key)) for key in logged_columns(model)}


def inserted_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows in one executemany and return their ids, in order.

    The ids are taken first (RETURNING with the rows' order would cost SQLite one statement
    per row): on PostgreSQL from the table's sequence, as any insert would; on SQLite, after
    the largest id the table has ever given (its AUTOINCREMENT counter, or its largest id),
    which is safe because the import's transaction holds the database's write lock (BEGIN
    IMMEDIATE) from its first statement; the rows' explicit ids move the counter on.
    """
    if not rows:
        return []
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.scalars(
                text(
                    f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            )
        )
    else:
        largest = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
        given = session.scalar(
            text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table.name}
        )
        start = max(int(largest), int(given or 0))
        ids = list(range(start + 1, start + 1 + len(rows)))
    insert_rows(session, model, [row | {"id": id} for row, id in zip(rows, ids, strict=True)])
    return ids


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """One executemany of plain rows into the model's table (Core: no ORM bookkeeping)."""
    if rows:
        session.connection().execute(insert(model.__table__), rows)
