"""Organisations: the parties involved in decisions, with their aliases and parents."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, case, cast, distinct, func, literal_column, select
from sqlalchemy.orm import Session, selectinload

from app.errors import FieldError, Invalid
from app.models import (
    Decision,
    DecisionOrganisation,
    Finding,
    Organisation,
    OrganisationAlias,
    OrganisationFormerParent,
    Recommendation,
    RecommendationParty,
)
from app.schemas.common import Page
from app.schemas.filters import OrganisationFilter
from app.schemas.organisation import (
    FormerParent,
    GroupRead,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
)
from app.services.compliance import IN_COMPLIANCE, AsOf, status_expr
from app.services.record import ownership
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
from app.services.shared.pagination import (
    SortKey,
    count_rows,
    decimal_key,
    grouped_counts,
    ordered_pair,
    paginate,
    position,
    previous_cursor,
)
from app.vocab import OrganisationRole, OrganisationSort, SearchType, Status

# Without a figure (no penalty in the currency, no recommendation to share), an organisation
# sorts after every one that has it, in both directions.
NO_FIGURE_HIGH: ColumnElement[Any] = literal_column("1000000000000000000")
NO_FIGURE_LOW: ColumnElement[Any] = literal_column("-1")


def _by_figure(name: str, figure: ColumnElement[Any], *, parse: Any = lambda v: v) -> dict[str, SortKey]:
    """`-name` descending and `name` ascending by a figure of each organisation's record, the
    organisations without one last either way."""
    return {
        f"-{name}": SortKey(
            func.coalesce(figure, NO_FIGURE_LOW), Organisation.id, descending=True, parse=parse, computed=True
        ),
        name: SortKey(func.coalesce(figure, NO_FIGURE_HIGH), Organisation.id, parse=parse, computed=True),
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
        .where(Recommendation.organisation_id == Organisation.id, IN_COMPLIANCE, *AsOf(as_of).decisions())
        .scalar_subquery()
    )
    # Without a currency the list refuses to order by penalties (`list_`); the key is there for
    # the vocabulary's sake.
    penalties = _penalty_sum(filters.penalty_currency or "", as_of)
    return {
        **ordered_pair("name", Organisation.name, Organisation.id),
        **ordered_pair("id", Organisation.id, Organisation.id),
        **_by_figure("decisions", decisions),
        **_by_figure("penalties", penalties, parse=decimal_key),
        **_by_figure("complied_share", share, parse=float),
    }


# The orders as of today (their codes: the list's vocabulary of orders).
SORTS = sorts(OrganisationFilter())


LOAD = (selectinload(Organisation.aliases), selectinload(Organisation.former_parents))


def former_parents(org: Organisation) -> list[dict[str, Any]]:
    return [
        FormerParent.model_validate(f, from_attributes=True).model_dump(mode="json")
        for f in org.former_parents
    ]


def snapshot(org: Organisation) -> dict[str, Any]:
    return audit.row(org) | {"aliases": [a.alias for a in org.aliases], "former_parents": former_parents(org)}


def _set_aliases(org: Organisation, aliases: list[str]) -> None:
    org.aliases = [OrganisationAlias(alias=a, position=i) for i, a in enumerate(aliases)]


def _check_parents(
    session: Session,
    org_id: int | None,
    parent_id: int | None,
    parent_since: dt.date | None,
    former: list[FormerParent],
) -> None:
    """An organisation's parents as they will be: each one recorded, one at a time, and never a
    loop on any day (422 naming the field)."""
    check_references(
        session,
        [("parent_id", Organisation, parent_id)]
        + [(f"former_parents.{i}.parent_id", Organisation, f.parent_id) for i, f in enumerate(former)],
    )
    errors = ownership.check_periods(org_id, parent_id, parent_since, former)
    if errors:
        raise Invalid("The organisation's parents overlap or are out of order.", errors)
    if org_id is None:
        return  # A new organisation is below nothing yet.
    own = ownership.periods(parent_id, parent_since, former)
    index = ownership.find_loop(org_id, own, ownership.parents_in(session))
    if index is not None:
        field = "parent_id" if index == len(former) else f"former_parents.{index}.parent_id"
        raise Invalid(
            "An organisation cannot be its own parent or ancestor.",
            [FieldError(field, "would make the parent chain a loop", "cycle")],
        )


def _set_former_parents(org: Organisation, former: list[FormerParent]) -> None:
    org.former_parents = [
        OrganisationFormerParent(position=i, parent_id=f.parent_id, since=f.since, until=f.until)
        for i, f in enumerate(former)
    ]


def create(session: Session, *, data: OrganisationCreate) -> Organisation:
    _check_parents(session, None, data.parent_id, data.parent_since, data.former_parents)
    org = Organisation(**data.model_dump(exclude={"aliases", "former_parents"}))
    _set_aliases(org, data.aliases)
    _set_former_parents(org, data.former_parents)
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
    values = data.model_dump(exclude_unset=True, exclude={"former_parents"})
    if "parent_since" not in values and values.get("parent_id", org.parent_id) != org.parent_id:
        values["parent_since"] = None  # Another parent (or none): the old one's day is not its.
    former = data.former_parents if "former_parents" in data.model_fields_set else None
    kept_former = [FormerParent.model_validate(f, from_attributes=True) for f in org.former_parents]
    _check_parents(
        session,
        org.id,
        values.get("parent_id", org.parent_id),
        values.get("parent_since", org.parent_since),
        kept_former if former is None else former,
    )
    before = snapshot(org)
    aliases = values.pop("aliases", None)
    changed(org, values)
    if former is not None:
        org.former_parents = []
        session.flush()
        _set_former_parents(org, former)
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
            ("recommendations made by it", RecommendationParty.organisation_id == organisation_id),
            ("findings", Finding.organisation_id == organisation_id),
            ("subsidiaries", Organisation.parent_id == organisation_id),
            ("former subsidiaries", OrganisationFormerParent.parent_id == organisation_id),
        ],
    )
    before = snapshot(org)
    session.delete(org)
    session.flush()
    audit.deleted(session, "organisation", organisation_id, before)


def read_many(session: Session, orgs: list[Organisation], *, as_of: dt.date | None) -> list[OrganisationRead]:
    ids = [o.id for o in orgs]
    records = organisation_records(session, ids, as_of=as_of)
    groups, groups_then = group_records(session, ids, as_of=as_of, own=records)
    return [
        OrganisationRead.model_validate(
            {
                **audit.row(o, exclude=()),
                "aliases": [a.alias for a in o.aliases],
                "former_parents": former_parents(o),
            }
        ).model_copy(
            update=records[o.id].fields()
            | {
                "group": GroupRead.model_validate(groups[o.id].fields()),
                "group_when_decided": GroupRead.model_validate(groups_then[o.id].fields()),
            }
        )
        for o in orgs
    ]


def read(session: Session, *, organisation_id: int, as_of: dt.date | None) -> OrganisationRead:
    org = get_or_404(session, Organisation, organisation_id, options=LOAD)
    return read_many(session, [org], as_of=as_of)[0]


def name_clause(q: str | None) -> ColumnElement[bool] | None:
    """Organisations whose name or one of whose aliases `q` finds."""
    return matches(q, SearchType.organisation, Organisation.id)


def filtered(filters: OrganisationFilter) -> Select[Organisation]:
    """The organisations the filters keep, unordered."""
    stmt = select(Organisation).options(*LOAD)
    if filters.kind:
        stmt = stmt.where(Organisation.kind == filters.kind)
    if filters.country:
        stmt = stmt.where(Organisation.country == filters.country.upper())
    if filters.parent_id is not None:
        stmt = stmt.where(Organisation.parent_id == filters.parent_id)
    if filters.penalty_currency:
        stmt = stmt.where(_penalty_sum(filters.penalty_currency, filters.as_of) > 0)
    if (clause := name_clause(filters.q)) is not None:
        stmt = stmt.where(clause)
    return stmt


def check_order(filters: OrganisationFilter, sort: str) -> None:
    """Penalties are ordered in one currency, the filter's: without it, a 422 naming it."""
    if not filters.penalty_currency and sort in (
        OrganisationSort.penalties_asc,
        OrganisationSort.penalties_desc,
    ):
        raise Invalid(
            "Penalties in different currencies are never added: choose the currency to order by.",
            [
                FieldError(
                    "query.penalty_currency", "needed to order by penalties, e.g. EUR", "currency_needed"
                )
            ],
        )


def list_(
    session: Session,
    filters: OrganisationFilter,
    *,
    sort: str = OrganisationSort.name_asc,
    limit: int,
    cursor: str | None = None,
) -> Page[OrganisationRead]:
    check_order(filters, sort)
    rows, next_cursor = paginate(
        session, filtered(filters), sorts=sorts(filters), sort=sort, limit=limit, cursor=cursor
    )
    items = read_many(session, [r[0] for r in rows], as_of=filters.as_of)
    return Page(items=items, next_cursor=next_cursor)


def count(session: Session, filters: OrganisationFilter) -> int:
    """How many organisations the filters keep."""
    return count_rows(session, filtered(filters))


def start(session: Session, filters: OrganisationFilter, *, sort: str, cursor: str | None) -> int:
    """How many of them come before the page `cursor` starts."""
    return position(session, filtered(filters), sorts=sorts(filters), sort=sort, cursor=cursor)


def previous(
    session: Session, filters: OrganisationFilter, *, sort: str, cursor: str | None, limit: int
) -> str | None:
    """The cursor of the page before the one `cursor` starts ("" for the first; None on it)."""
    return previous_cursor(
        session, filtered(filters), sorts=sorts(filters), sort=sort, limit=limit, cursor=cursor
    )


def facets(session: Session, filters: OrganisationFilter) -> dict[str, dict[str, int]]:
    """How many organisations each kind and each country has among those the other filters keep."""
    return {
        "kind": grouped_counts(session, filtered(filters.without("kind")), Organisation.kind),
        "country": grouped_counts(session, filtered(filters.without("country")), Organisation.country),
    }


def former_subsidiaries(session: Session, organisation_id: int) -> list[dict[str, Any]]:
    """The organisations that belonged to this one before, each period with the name, by name."""
    rows = session.execute(
        select(
            Organisation.id, Organisation.name, OrganisationFormerParent.since, OrganisationFormerParent.until
        )
        .join(OrganisationFormerParent, OrganisationFormerParent.organisation_id == Organisation.id)
        .where(OrganisationFormerParent.parent_id == organisation_id)
        .order_by(Organisation.name, Organisation.id, OrganisationFormerParent.until)
        .limit(100)
    )
    return [{"id": i, "name": n, "since": since, "until": until} for i, n, since, until in rows]


def names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    """Organisation names by id (every organisation, by name, when ids is None)."""
    return labels(session, Organisation.id, Organisation.name, ids)
