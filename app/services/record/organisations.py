"""Organisations: the parties involved in decisions, with their aliases and parents."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Float, case, cast, distinct, func, literal_column, select
from sqlalchemy.orm import Session, selectinload

from app.errors import FieldError, Invalid
from app.models import (
    Decision,
    DecisionOrganisation,
    Finding,
    Organisation,
    OrganisationAlias,
    Recommendation,
)
from app.schemas.common import Page
from app.schemas.filters import OrganisationFilter
from app.schemas.organisation import GroupRead, OrganisationCreate, OrganisationRead, OrganisationUpdate
from app.services.compliance import AsOf, status_expr
from app.services.record.party_records import group_records, organisation_records
from app.services.search.query import matches
from app.services.shared import audit
from app.services.shared.common import (
    changed,
    check_references,
    check_version,
    get_or_404,
    labels,
    refuse_if_referenced,
)
from app.services.shared.pagination import SortKey, decimal_key, ordered_pair, paginate
from app.vocab import OrganisationRole, OrganisationSort, SearchType, Status

# Without a figure (no penalty in the currency, no recommendation to share), an organisation
# sorts after every one that has it, in both directions.
NO_FIGURE_HIGH: ColumnElement[Any] = literal_column("1000000000000000000")
NO_FIGURE_LOW: ColumnElement[Any] = literal_column("-1")


def _by_figure(name: str, figure: ColumnElement[Any], *, parse: Any = lambda v: v) -> dict[str, SortKey]:
    """`name` ascending and `-name` descending by a figure of each organisation's record, the
    organisations without one last either way."""
    return {
        name: SortKey(func.coalesce(figure, NO_FIGURE_HIGH), Organisation.id, parse=parse, computed=True),
        f"-{name}": SortKey(
            func.coalesce(figure, NO_FIGURE_LOW), Organisation.id, descending=True, parse=parse, computed=True
        ),
    }


def _penalty_sum(currency: str, as_of: dt.date | None) -> ColumnElement[Any]:
    """The penalties in `currency` imposed on each organisation as respondent (as of the day)."""
    return (
        select(func.sum(Decision.penalty_amount))
        .select_from(Decision)
        .join(DecisionOrganisation, DecisionOrganisation.decision_id == Decision.id)
        .where(
            DecisionOrganisation.organisation_id == Organisation.id,
            DecisionOrganisation.role == OrganisationRole.respondent,
            Decision.penalty_currency == currency,
            *AsOf(as_of).decisions(),
        )
        .scalar_subquery()
    )


def sorts(filters: OrganisationFilter) -> dict[str, SortKey]:
    """The organisation list's orders, the figures among them (decisions, penalties in the
    filter's currency, share complied) those of each organisation's record as of the filter's day:
    the figures its page shows."""
    as_of = filters.as_of
    decisions = (
        select(func.count(distinct(DecisionOrganisation.decision_id)))
        .select_from(DecisionOrganisation)
        .join(Decision, Decision.id == DecisionOrganisation.decision_id)
        .where(DecisionOrganisation.organisation_id == Organisation.id, *AsOf(as_of).decisions())
        .scalar_subquery()
    )
    status = status_expr(as_of)
    counted = case((status != Status.withdrawn.value, 1), else_=0)
    complied = case((status == Status.complied.value, 1), else_=0)
    share = (
        select(cast(func.sum(complied), Float) / func.nullif(func.sum(counted), 0))
        .select_from(Recommendation)
        .join(Decision, Decision.id == Recommendation.decision_id)
        .where(Recommendation.organisation_id == Organisation.id, *AsOf(as_of).decisions())
        .scalar_subquery()
    )
    orders = {
        **ordered_pair("name", Organisation.name, Organisation.id),
        **ordered_pair("id", Organisation.id, Organisation.id),
        **_by_figure("decisions", decisions),
        **_by_figure("complied_share", share, parse=float),
    }
    if filters.penalty_currency:
        orders |= _by_figure("penalties", _penalty_sum(filters.penalty_currency, as_of), parse=decimal_key)
    return orders

LOAD = (selectinload(Organisation.aliases),)


def snapshot(org: Organisation) -> dict[str, Any]:
    return audit.row(org) | {"aliases": [a.alias for a in org.aliases]}


def _set_aliases(org: Organisation, aliases: list[str]) -> None:
    org.aliases = [OrganisationAlias(alias=a, position=i) for i, a in enumerate(aliases)]


def _check_parent(session: Session, org_id: int | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    check_references(session, [("parent_id", Organisation, parent_id)])
    # Walk up from the parent: meeting the organisation itself would make a loop.
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == org_id:
            raise Invalid(
                "An organisation cannot be its own parent or ancestor.",
                [FieldError("parent_id", "would make the parent chain a loop", "cycle")],
            )
        seen.add(current)
        current = session.scalar(select(Organisation.parent_id).where(Organisation.id == current))


def create(session: Session, *, data: OrganisationCreate) -> Organisation:
    _check_parent(session, None, data.parent_id)
    org = Organisation(**data.model_dump(exclude={"aliases"}))
    _set_aliases(org, data.aliases)
    session.add(org)
    session.flush()
    audit.created(session, "organisation", org.id, snapshot(org))
    return org


def update(
    session: Session,
    *,
    organisation_id: int,
    data: OrganisationUpdate,
    expected_version: int | None,
) -> Organisation:
    org = get_or_404(session, Organisation, organisation_id, options=LOAD)
    check_version(org, expected_version)
    values = data.model_dump(exclude_unset=True)
    if "parent_id" in values:
        _check_parent(session, org.id, values["parent_id"])
    before = snapshot(org)
    aliases = values.pop("aliases", None)
    changed(org, values)
    org.updated_at = dt.datetime.now(dt.UTC)
    if aliases is not None:
        # Remove the old names first, so a name kept in the new list does not clash.
        org.aliases = []
        session.flush()
        _set_aliases(org, aliases)
    session.flush()
    audit.updated(session, "organisation", org.id, before, snapshot(org))
    return org


def delete(session: Session, *, organisation_id: int, expected_version: int | None) -> None:
    org = get_or_404(session, Organisation, organisation_id, options=LOAD)
    check_version(org, expected_version)
    refuse_if_referenced(
        session,
        f"Organisation {organisation_id}",
        [
            ("decisions", DecisionOrganisation.organisation_id == organisation_id),
            ("recommendations", Recommendation.organisation_id == organisation_id),
            ("findings", Finding.organisation_id == organisation_id),
            ("subsidiaries", Organisation.parent_id == organisation_id),
        ],
    )
    before = snapshot(org)
    session.delete(org)
    session.flush()
    audit.deleted(session, "organisation", organisation_id, before)


def read_many(session: Session, orgs: list[Organisation], *, as_of: dt.date | None) -> list[OrganisationRead]:
    ids = [o.id for o in orgs]
    records = organisation_records(session, ids, as_of=as_of)
    groups = group_records(session, ids, as_of=as_of)
    return [
        OrganisationRead.model_validate(
            {**audit.row(o, exclude=()), "aliases": [a.alias for a in o.aliases]}
        ).model_copy(
            update=records[o.id].fields() | {"group": GroupRead.model_validate(groups[o.id].fields())}
        )
        for o in orgs
    ]


def read(session: Session, *, organisation_id: int, as_of: dt.date | None) -> OrganisationRead:
    org = get_or_404(session, Organisation, organisation_id, options=LOAD)
    return read_many(session, [org], as_of=as_of)[0]


def name_clause(q: str | None) -> ColumnElement[bool] | None:
    """Organisations whose name or one of whose aliases `q` finds."""
    return matches(q, SearchType.organisation, Organisation.id)


def list_(
    session: Session,
    filters: OrganisationFilter,
    *,
    sort: str = OrganisationSort.name_asc,
    limit: int,
    cursor: str | None = None,
) -> Page[OrganisationRead]:
    stmt = select(Organisation).options(*LOAD)
    if filters.kind:
        stmt = stmt.where(Organisation.kind == filters.kind)
    if filters.country:
        stmt = stmt.where(Organisation.country == filters.country.upper())
    if filters.parent_id is not None:
        stmt = stmt.where(Organisation.parent_id == filters.parent_id)
    if filters.penalty_currency:
        stmt = stmt.where(_penalty_sum(filters.penalty_currency, filters.as_of) > 0)
    elif sort in (OrganisationSort.penalties_asc, OrganisationSort.penalties_desc):
        raise Invalid(
            "Penalties in different currencies are never added: choose the currency to order by.",
            [FieldError("query.penalty_currency", "needed to order by penalties, e.g. EUR", "missing")],
        )
    if (clause := name_clause(filters.q)) is not None:
        stmt = stmt.where(clause)
    rows, next_cursor = paginate(session, stmt, sorts=sorts(filters), sort=sort, limit=limit, cursor=cursor)
    items = read_many(session, [r[0] for r in rows], as_of=filters.as_of)
    return Page(items=items, next_cursor=next_cursor)


def names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """Organisation names by id (every organisation, by name, when ids is None)."""
    return labels(session, Organisation.id, Organisation.name, ids)
