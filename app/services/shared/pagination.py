"""Keyset pagination with opaque cursors.

A list is ordered by a sort column and then by id, both in the same direction; the cursor
holds the sort name and the last row's key, so the next page starts right after it whatever
was inserted or deleted meanwhile, and costs the same at row 900,000 as at row 1.
"""

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select, tuple_
from sqlalchemy.orm import QueryableAttribute, Session

from app.errors import FieldError, Invalid

# A SELECT of any columns (a `Select[Any]` is one of a single column).
AnySelect = Select[*tuple[Any, ...]]

# What a list can be ordered by: a column of the listed entity, or an expression over it.
SortColumn = QueryableAttribute[Any] | ColumnElement[Any]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class SortKey:
    """One way a list can be ordered: by `column` (never NULL), then by `id`.

    `column` is a column of the listed entity, or (`computed`) an expression over it, such as a
    nullable column through COALESCE or a rank of its codes; a computed key is selected beside
    the entity, to build the next cursor from.
    """

    column: SortColumn
    id_column: SortColumn
    descending: bool = False
    parse: Callable[[Any], Any] = lambda v: v
    computed: bool = False
    label: str = ""


def date_key(value: Any) -> dt.date:
    return dt.date.fromisoformat(value)


def decimal_key(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError("an amount is written as text in a cursor")
    return Decimal(value)


SORT_VALUE = "sort_value"


def ranked(expr: ColumnElement[Any], codes: Sequence[str]) -> ColumnElement[int]:
    """A code column as the rank of its code in `codes` (the vocabulary's order), to sort by."""
    return case({code: i for i, code in enumerate(codes)}, value=expr, else_=len(codes))


def ordered_pair(name: str, column: SortColumn, id_column: SortColumn, **options: Any) -> dict[str, SortKey]:
    """`name` ascending and `-name` descending."""
    return {
        name: SortKey(column, id_column, **options),
        f"-{name}": SortKey(column, id_column, descending=True, **options),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


def encode_cursor(sort: str, key: Sequence[Any]) -> str:
    """An opaque cursor holding the sort name and the last row's key (value, id)."""
    payload = json.dumps(
        [sort, [_jsonable(v) for v in key]],
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


INT64 = range(-(2**63), 2**63)


def _scalar(value: Any, expected: type | None) -> bool:
    """Whether a cursor's decoded value is one a column of type `expected` could hold."""
    if isinstance(value, bool):
        return expected is bool
    if isinstance(value, int):
        return value in INT64 and expected in (None, int, float)
    if isinstance(value, float):
        return expected in (None, float)
    if isinstance(value, str):
        return expected in (None, str)
    if isinstance(value, dt.date):
        return expected in (None, dt.date, dt.datetime)
    if isinstance(value, Decimal):
        return value.is_finite() and expected in (None, Decimal)
    return False


def decode_cursor(
    cursor: str, sort: str, parse: Callable[[Any], Any], expected: type | None = None
) -> tuple[Any, int]:
    """The (value, id) of a cursor made by `encode_cursor` for `sort`; Invalid (422) otherwise,
    also when a forged cursor holds a value of another type (a list, an object, a huge number)."""
    bad = Invalid(
        "The cursor is malformed or belongs to another sort order; use the next_cursor of a previous page.",
        errors=[FieldError("query.cursor", "malformed cursor", "cursor")],
    )
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, (value, last_id) = json.loads(raw)
        if cursor_sort != sort or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise bad
        if last_id not in INT64:
            raise bad
        parsed = parse(value)
        if not _scalar(parsed, expected):
            raise bad
        return parsed, last_id
    except (ValueError, TypeError, ArithmeticError, binascii.Error, UnicodeDecodeError) as exc:
        raise bad from exc


def _python_type(column: SortColumn) -> type | None:
    """The Python type a sort column's values have, to check a cursor's value against; None
    for an expression whose SQL type names none (SQLAlchemy raises NotImplementedError there)."""
    try:
        python_type: type = column.type.python_type
        return python_type
    except NotImplementedError:
        return None


def paginate(
    session: Session,
    stmt: AnySelect,
    *,
    sorts: dict[str, SortKey],
    sort: str,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """One page of `stmt`'s rows, and the cursor of the next page (None on the last).

    The sort key is read from the first entity (or bundle) of each row, or, in a row of plain
    columns (no entity first), from the row's columns of the same names.
    """
    if sort not in sorts:
        raise Invalid(
            f"Unknown sort {sort!r}; choose one of {', '.join(sorts)}.",
            errors=[FieldError("query.sort", f"one of {', '.join(sorts)}", "enum")],
        )
    key = sorts[sort]
    if cursor:
        value, last_id = decode_cursor(cursor, sort, key.parse, _python_type(key.column))
        row = tuple_(key.column, key.id_column)
        stmt = stmt.where(row < (value, last_id) if key.descending else row > (value, last_id))
    order = (key.column, key.id_column)
    stmt = stmt.order_by(*(c.desc() for c in order) if key.descending else order)
    if key.computed:
        stmt = stmt.add_columns(key.column.label(SORT_VALUE))
    rows = list(session.execute(stmt.limit(limit + 1)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    # The first entity (or bundle) of the row, or, in a row of plain columns, the row itself.
    first = rows[-1][0]
    last = first if hasattr(first, "id") else rows[-1]
    value = getattr(rows[-1], SORT_VALUE) if key.computed else getattr(last, str(key.column.key))
    return rows, encode_cursor(sort, (value, last.id))


def previous_cursor(
    session: Session,
    stmt: AnySelect,
    *,
    sorts: dict[str, SortKey],
    sort: str,
    limit: int,
    cursor: str | None,
) -> str | None:
    """The cursor of the page before the one `cursor` starts, as a page of `limit` rows: None on
    the first page (no cursor), "" when the page before is the first. Read backwards from the
    cursor's row: the `limit` rows up to it are the page before, the one before them its cursor."""
    if not cursor or sort not in sorts:
        return None
    key = sorts[sort]
    value, last_id = decode_cursor(cursor, sort, key.parse, _python_type(key.column))
    row = tuple_(key.column, key.id_column)
    back = stmt.where(row >= (value, last_id) if key.descending else row <= (value, last_id))
    order = (key.column, key.id_column)
    back = back.order_by(*(order if key.descending else (c.desc() for c in order)))
    if key.computed:
        back = back.add_columns(key.column.label(SORT_VALUE))
    rows = list(session.execute(back.limit(limit + 1)).all())
    if len(rows) <= limit:
        return ""
    first = rows[-1][0]
    before = first if hasattr(first, "id") else rows[-1]
    found = getattr(rows[-1], SORT_VALUE) if key.computed else getattr(before, str(key.column.key))
    return encode_cursor(sort, (found, before.id))


def count_rows(session: Session, stmt: Select[Any]) -> int:
    """How many rows `stmt` selects (its order and columns left aside)."""
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def grouped_counts(session: Session, stmt: Select[Any], value: SortColumn) -> dict[str, int]:
    """How many of `stmt`'s rows have each value of `value` (NULL left out), in the value's order."""
    counted = stmt.with_only_columns(value, func.count()).order_by(None).group_by(value).order_by(value)
    return {str(k): int(n) for k, n in session.execute(counted) if k is not None}


def position(
    session: Session, stmt: Select[Any], *, sorts: dict[str, SortKey], sort: str, cursor: str | None
) -> int:
    """How many rows of `stmt` come before the page that `cursor` starts (0 for the first page):
    the "51" of "Showing 51-100 of 1,678", right whatever was added or removed meanwhile."""
    if not cursor or sort not in sorts:
        return 0
    key = sorts[sort]
    value, last_id = decode_cursor(cursor, sort, key.parse, _python_type(key.column))
    row = tuple_(key.column, key.id_column)
    before = stmt.where(row >= (value, last_id) if key.descending else row <= (value, last_id))
    return int(session.scalar(select(func.count()).select_from(before.order_by(None).subquery())) or 0)
