"""Where an imported record came from (app/models/provenance.py): the data set, file, row and
mapping of the newest import that made it, as a read's `provenance` (decisions,
recommendations, assessments). Read for many records in one query, or as columns of a list's
one statement."""

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, outerjoin, select
from sqlalchemy.orm import Session, aliased

from app.models import ImportedRow, ImportRun
from app.schemas.common import Provenance

# The read's fields and the columns they come from.
FIELDS = {
    "dataset": ImportRun.dataset,
    "file": ImportRun.file_name,
    "file_sha256": ImportRun.file_sha256,
    "row": ImportedRow.row,
    "mapping": ImportRun.mapping,
    "imported_at": ImportRun.imported_at,
}
# Their labels in a list's statement.
NAMES = tuple(f"provenance_{name}" for name in FIELDS)


def of(session: Session, record_type: str, ids: Iterable[int]) -> dict[int, Provenance]:
    """Where each of these records was imported from (none for those made otherwise)."""
    wanted = list(ids)
    out: dict[int, Provenance] = {}
    if not wanted:
        return out
    stmt = (
        select(ImportedRow.record_id, *FIELDS.values())
        .join(ImportRun, ImportRun.id == ImportedRow.import_id)
        .where(ImportedRow.record_type == record_type, ImportedRow.record_id.in_(wanted))
        # The newest import of it, should an id have been used twice.
        .order_by(ImportedRow.record_id, ImportedRow.id.desc())
    )
    for record_id, *values in session.connection().execute(stmt):
        out.setdefault(record_id, Provenance(**dict(zip(FIELDS, values, strict=True))))
    return out


def joined(stmt: Select[Any], record_type: str, model: Any) -> Select[Any]:
    """A list's statement with the provenance of each row's record as columns (`NAMES`, null
    for a record made otherwise), from its newest import, in the same statement."""
    tables, columns = _joined(record_type, model)
    return stmt.add_columns(*columns).select_from(tables)


@functools.cache
def _joined(record_type: str, model: Any) -> tuple[Any, tuple[Any, ...]]:
    """The tables and the labelled columns of `joined`, built once per kind of record (an
    alias adapted anew for every list made most of its cost: a decision page's list of its
    recommendations, 1.8 ms, now 0.6); SQL constructs are immutable: one serves every statement."""
    made = aliased(ImportedRow)
    newest = (
        select(func.max(made.id))
        .where(made.record_type == record_type, made.record_id == model.id)
        .correlate_except(made)
        .scalar_subquery()
    )
    tables = outerjoin(model, ImportedRow, ImportedRow.id == newest).outerjoin(
        ImportRun, ImportRun.id == ImportedRow.import_id
    )
    return tables, tuple(column.label(name) for name, column in zip(NAMES, FIELDS.values(), strict=True))


def from_values(values: dict[str, Any]) -> dict[str, Any] | None:
    """The read's `provenance` from a list row's columns (`NAMES`)."""
    if values.get("provenance_row") is None:
        return None
    return {name: values[label] for name, label in zip(FIELDS, NAMES, strict=True)}
