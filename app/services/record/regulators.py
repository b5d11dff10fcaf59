"""Regulators: the bodies that issue decisions."""

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from app.errors import Conflict, FieldError
from app.models import DecisionRegulator, Regulator
from app.schemas.common import Page
from app.schemas.filters import RegulatorFilter
from app.schemas.regulator import RegulatorCreate, RegulatorRead, RegulatorUpdate
from app.services.record.party_records import regulator_records
from app.services.search.query import matches
from app.services.shared import audit
from app.services.shared.common import changed, check_version, get_or_404, labels, refuse_if_referenced
from app.services.shared.pagination import (
    SortKey,
    count_rows,
    grouped_counts,
    ordered_pair,
    paginate,
    position,
    previous_cursor,
)
from app.vocab import RegulatorSort, SearchType

SORTS = {
    **ordered_pair("name", Regulator.name, Regulator.id),
    **ordered_pair("id", Regulator.id, Regulator.id),
}


def _check_name_free(session: Session, name: str, *, other_than: int | None = None) -> None:
    stmt = select(Regulator.id).where(func.lower(Regulator.name) == name.lower())
    if other_than is not None:
        stmt = stmt.where(Regulator.id != other_than)
    if session.scalar(stmt) is not None:
        raise Conflict(
            f"A regulator named {name!r} already exists.",
            [FieldError("name", "a regulator with this name already exists", "unique")],
        )


def create(session: Session, *, data: RegulatorCreate) -> Regulator:
    _check_name_free(session, data.name)
    regulator = Regulator(**data.model_dump())
    session.add(regulator)
    session.flush()
    audit.created(
        session,
        "regulator",
        regulator.id,
        audit.row(regulator),
    )
    return regulator


def update(
    session: Session, *, regulator_id: int, data: RegulatorUpdate, expected_version: int | None
) -> Regulator:
    regulator = get_or_404(session, Regulator, regulator_id)
    check_version(regulator, expected_version)
    values = data.model_dump(exclude_unset=True)
    if "name" in values:
        _check_name_free(session, values["name"], other_than=regulator_id)
    before = audit.row(regulator)
    changed(regulator, values)
    regulator.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit.updated(
        session,
        "regulator",
        regulator.id,
        before,
        audit.row(regulator),
    )
    return regulator


def delete(session: Session, *, regulator_id: int, expected_version: int | None) -> None:
    regulator = get_or_404(session, Regulator, regulator_id)
    check_version(regulator, expected_version)
    refuse_if_referenced(
        session,
        f"Regulator {regulator_id}",
        [("decisions", DecisionRegulator.regulator_id == regulator_id)],
    )
    before = audit.row(regulator)
    session.delete(regulator)
    session.flush()
    audit.deleted(session, "regulator", regulator_id, before)


def read_many(session: Session, regulators: list[Regulator], *, as_of: dt.date | None) -> list[RegulatorRead]:
    records = regulator_records(session, [r.id for r in regulators], as_of=as_of)
    return [RegulatorRead.model_validate(r).model_copy(update=records[r.id].fields()) for r in regulators]


def read(session: Session, *, regulator_id: int, as_of: dt.date | None) -> RegulatorRead:
    return read_many(session, [get_or_404(session, Regulator, regulator_id)], as_of=as_of)[0]


def filtered(filters: RegulatorFilter) -> Select[Regulator]:
    """The regulators the filters keep, unordered."""
    stmt = select(Regulator)
    if filters.jurisdiction:
        stmt = stmt.where(jurisdiction_clause(Regulator.jurisdiction, filters.jurisdiction))
    if filters.kind:
        stmt = stmt.where(Regulator.kind == filters.kind)
    if (clause := matches(filters.q, SearchType.regulator, Regulator.id)) is not None:
        stmt = stmt.where(clause)
    return stmt


def sorts(filters: RegulatorFilter) -> dict[str, SortKey]:
    return SORTS


def list_(
    session: Session,
    filters: RegulatorFilter,
    *,
    sort: str = RegulatorSort.name_asc,
    limit: int,
    cursor: str | None = None,
) -> Page[RegulatorRead]:
    rows, next_cursor = paginate(
        session, filtered(filters), sorts=SORTS, sort=sort, limit=limit, cursor=cursor
    )
    items = read_many(session, [r[0] for r in rows], as_of=filters.as_of)
    return Page(items=items, next_cursor=next_cursor)


def count(session: Session, filters: RegulatorFilter) -> int:
    """How many regulators the filters keep."""
    return count_rows(session, filtered(filters))


def start(session: Session, filters: RegulatorFilter, *, sort: str, cursor: str | None) -> int:
    """How many of them come before the page `cursor` starts."""
    return position(session, filtered(filters), sorts=SORTS, sort=sort, cursor=cursor)


def previous(
    session: Session, filters: RegulatorFilter, *, sort: str, cursor: str | None, limit: int
) -> str | None:
    """The cursor of the page before the one `cursor` starts ("" for the first; None on it)."""
    return previous_cursor(
        session, filtered(filters), sorts=sorts(filters), sort=sort, limit=limit, cursor=cursor
    )


def facets(session: Session, filters: RegulatorFilter) -> dict[str, dict[str, int]]:
    """How many regulators each kind and each country (a subdivision under its country) has among
    those the other filters keep."""
    return {
        "kind": grouped_counts(session, filtered(filters.without("kind")), Regulator.kind),
        "country": grouped_counts(
            session, filtered(filters.without("jurisdiction")), func.substr(Regulator.jurisdiction, 1, 2)
        ),
    }


def jurisdiction_clause(column: QueryableAttribute[str], jurisdiction: str) -> ColumnElement[bool]:
    """`CA` matches `CA` and its subdivisions such as `CA-BC`; `CA-BC` matches itself only."""
    jurisdiction = jurisdiction.strip().upper()
    if "-" in jurisdiction:
        return column == jurisdiction
    return (column == jurisdiction) | column.like(f"{jurisdiction}-%")


def names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """Regulator names by id (every regulator, by name, when ids is None)."""
    return labels(session, Regulator.id, Regulator.name, ids)
