"""Cases: decisions about the same conduct, across regulators and appeals."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from app.models import Case, CaseTag, Decision
from app.schemas.case import CaseCreate, CaseRead, CaseUpdate
from app.schemas.common import Page
from app.schemas.filters import CaseFilter
from app.services.record.party_records import case_records
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
from app.vocab import CaseSort, SearchType

SORTS = {
    **ordered_pair("title", Case.title, Case.id),
    **ordered_pair("id", Case.id, Case.id),
}

LOAD = (selectinload(Case.tags),)


def snapshot(case: Case) -> dict[str, Any]:
    return audit.row(case) | {"tags": [t.tag for t in case.tags]}


def create(session: Session, *, data: CaseCreate) -> Case:
    case = Case(title=data.title, summary=data.summary, tags=[CaseTag(tag=t) for t in sorted(data.tags)])
    session.add(case)
    session.flush()
    audit.created(session, "case", case.id, snapshot(case))
    return case


def update(session: Session, *, case_id: int, data: CaseUpdate, expected_version: int | None) -> Case:
    case = get_or_404(session, Case, case_id, options=LOAD)
    check_version(case, expected_version)
    before = snapshot(case)
    values = data.model_dump(exclude_unset=True)
    tags = values.pop("tags", None)
    changed(case, values)
    case.updated_at = dt.datetime.now(dt.UTC)
    if tags is not None:
        # Remove the old tags first, so a tag kept in the new list does not clash.
        case.tags = []
        session.flush()
        case.tags = [CaseTag(tag=t) for t in sorted(tags)]
    session.flush()
    audit.updated(session, "case", case.id, before, snapshot(case))
    return case


def delete(session: Session, *, case_id: int, expected_version: int | None) -> None:
    case = get_or_404(session, Case, case_id, options=LOAD)
    check_version(case, expected_version)
    refuse_if_referenced(session, f"Case {case_id}", [("decisions", Decision.case_id == case_id)])
    before = snapshot(case)
    session.delete(case)
    session.flush()
    audit.deleted(session, "case", case_id, before)


def read_many(session: Session, cases: list[Case], *, as_of: dt.date | None) -> list[CaseRead]:
    records = case_records(session, [c.id for c in cases], as_of=as_of)
    return [
        CaseRead.model_validate({**audit.row(c, exclude=()), "tags": [t.tag for t in c.tags]}).model_copy(
            update=records[c.id].fields() | {"jurisdictions": records[c.id].jurisdictions}
        )
        for c in cases
    ]


def read(session: Session, *, case_id: int, as_of: dt.date | None) -> CaseRead:
    return read_many(session, [get_or_404(session, Case, case_id, options=LOAD)], as_of=as_of)[0]


def filtered(filters: CaseFilter) -> Select[Case]:
    """The cases the filters keep, unordered."""
    stmt = select(Case).options(*LOAD)
    if filters.tag:
        # Case ignored, as on the decisions list.
        tagged = func.lower(CaseTag.tag) == filters.tag.lower()
        stmt = stmt.where(exists().where(CaseTag.case_id == Case.id, tagged))
    if (clause := matches(filters.q, SearchType.case, Case.id)) is not None:
        stmt = stmt.where(clause)
    return stmt


def sorts(filters: CaseFilter) -> dict[str, SortKey]:
    return SORTS


def list_(
    session: Session,
    filters: CaseFilter,
    *,
    sort: str = CaseSort.title_asc,
    limit: int,
    cursor: str | None = None,
) -> Page[CaseRead]:
    rows, next_cursor = paginate(
        session, filtered(filters), sorts=SORTS, sort=sort, limit=limit, cursor=cursor
    )
    items = read_many(session, [r[0] for r in rows], as_of=filters.as_of)
    return Page(items=items, next_cursor=next_cursor)


def count(session: Session, filters: CaseFilter) -> int:
    """How many cases the filters keep."""
    return count_rows(session, filtered(filters))


def start(session: Session, filters: CaseFilter, *, sort: str, cursor: str | None) -> int:
    """How many of them come before the page `cursor` starts."""
    return position(session, filtered(filters), sorts=SORTS, sort=sort, cursor=cursor)


def previous(
    session: Session, filters: CaseFilter, *, sort: str, cursor: str | None, limit: int
) -> str | None:
    """The cursor of the page before the one `cursor` starts ("" for the first; None on it)."""
    return previous_cursor(
        session, filtered(filters), sorts=sorts(filters), sort=sort, limit=limit, cursor=cursor
    )


def facets(session: Session, filters: CaseFilter) -> dict[str, dict[str, int]]:
    """How many cases each tag has among those the other filters keep (case of a tag ignored)."""
    tagged = filtered(filters.without("tag")).join(CaseTag, CaseTag.case_id == Case.id)
    return {"tag": grouped_counts(session, tagged, func.lower(CaseTag.tag))}


def titles(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """Case titles by id (every case, by title, when ids is None)."""
    return labels(session, Case.id, Case.title, ids)
