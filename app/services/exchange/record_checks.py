"""The pieces of the record import (app/services/exchange/record_import.py) that are not its rules: the
errors it collects, the rows it batches, the file's header and section order, and the
sequences moved past the ids it wrote."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session

from app.errors import FieldError, Invalid
from app.models import (
    Assessment,
    AuditEntry,
    Case,
    Decision,
    DecisionSource,
    Document,
    DocumentPage,
    Finding,
    Organisation,
    OrganisationAlias,
    Recommendation,
    Regulator,
)
from app.schemas.record import FORMAT, SECTIONS, VERSION, VERSIONS

BATCH = 500
MAX_ERRORS = 20


def field_path(section: str, index: int, loc: Iterable[Any]) -> str:
    path = f"{section}[{index}]"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str, type_: str = "invalid") -> None:
        self.items.append(FieldError(field, message, type_))
        if len(self.items) >= MAX_ERRORS:
            self.raise_()

    def raise_(self) -> None:
        if self.items:
            shown = "; ".join(f"{e.field}: {e.message}" for e in self.items[:5])
            more = f" (and {len(self.items) - 5} more)" if len(self.items) > 5 else ""
            raise Invalid(
                f"The file was not imported (nothing was changed): {shown}{more}.", list(self.items)
            )


class Batches:
    """Rows waiting to be inserted, table by table, flushed in batches."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[Table, list[dict[str, Any]]] = {}

    def add(self, table: Any, row: dict[str, Any]) -> None:
        table = getattr(table, "__table__", table)
        pending = self.rows.setdefault(table, [])
        pending.append(row)
        if len(pending) >= BATCH:
            # All tables, in the order first met (parents before children), so that no
            # row goes in before the row it refers to.
            self.flush()

    def flush(self) -> None:
        for table in list(self.rows):
            pending = self.rows.get(table)
            if pending:
                self.session.execute(insert(table), pending)
                self.rows[table] = []


def check_header(header: dict[str, Any]) -> None:
    if header.get("format") != FORMAT:
        raise Invalid(
            f"The file's `format` must be {FORMAT!r} (found {header.get('format')!r}).",
            [FieldError("format", f"must be {FORMAT!r}", "format")],
        )
    if header.get("version") not in VERSIONS:
        raise Invalid(
            f"This version reads format versions 1 to {VERSION}; the file has {header.get('version')!r}.",
            [FieldError("version", f"must be 1 to {VERSION}", "version")],
        )


def check_order(key: str, seen: list[str], sections: tuple[str, ...] = SECTIONS) -> None:
    """A section may come only once, in the order of `SECTIONS`, and only if the file's
    version has it (`sections`)."""
    if key not in sections:
        raise Invalid(
            f"Unknown section {key!r}; the sections are " + ", ".join(sections) + ".",
            [FieldError(key, "is not part of the format", "extra_forbidden")],
        )
    if key in seen or (seen and SECTIONS.index(key) < SECTIONS.index(seen[-1])):
        raise Invalid(
            f"Section {key!r} is repeated or out of order; the order is " + ", ".join(SECTIONS) + ".",
            [FieldError(key, "repeated or out of order", "order")],
        )


SEQUENCED = (
    Regulator,
    Organisation,
    OrganisationAlias,
    Case,
    Document,
    DocumentPage,
    Decision,
    Finding,
    DecisionSource,
    Recommendation,
    Assessment,
    AuditEntry,
)


def reset_sequences(session: Session) -> None:
    """After rows were inserted with explicit ids, make new ids start above them.

    SQLite's AUTOINCREMENT counters follow the ids given by themselves; PostgreSQL's sequences
    do not move when an id is given, so each is set to the table's highest id.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in SEQUENCED:
        table = model.__tablename__
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 1), "
                f"(SELECT max(id) FROM {table}) IS NOT NULL)"
            )
        )
