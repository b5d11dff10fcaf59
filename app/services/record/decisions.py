"""The reads of a decision: one or a page of them with their regulators, parties, findings,
sources, provisions, tags and the links to earlier and from later decisions, their derived
compliance and standing (today or as of a day); the list's orders, filters, counts and
facets. The writes are in app/services/record/decision_edits.py.

Over 400 lines: the read model's assembly (the parts' queries, `read_many`) and the list's
SELECT (`filtered`, with its orders, counts and facets) share the decision's columns here; the
list's filters and facets are the part to move out first if it grows again.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased, selectinload

from app.errors import NotFound
from app.models import (
    Decision,
    DecisionOrganisation,
    DecisionProvision,
    DecisionRegulator,
    DecisionRelation,
    DecisionReportedAmount,
    DecisionSource,
    DecisionTag,
    Finding,
    Organisation,
    Regulator,
)
from app.schemas.common import Page, Provenance
from app.schemas.decision import (
    DecisionOrganisationOut,
    DecisionRead,
    DecisionRegulatorOut,
    FindingOut,
    RelatedOut,
    ReportedAmountOut,
    SourceOut,
)
from app.schemas.filters import DecisionFilter
from app.services import compliance
from app.services.record import origins, payments
from app.services.record.regulators import jurisdiction_clause
from app.services.search.query import matches
from app.services.shared.common import get_or_404, labels
from app.services.shared.pagination import (
    SortKey,
    date_key,
    decimal_key,
    ordered_pair,
    paginate,
    position,
    previous_cursor,
    ranked,
)
from app.services.shared.planner import Plan
from app.vocab import Compliance, SearchType

# Without a penalty, a decision sorts after every penalty (ascending: above any amount;
# descending: below zero).
NO_PENALTY_HIGH: ColumnElement[Any] = literal_column("1000000000000000000")
NO_PENALTY_LOW: ColumnElement[Any] = literal_column("-1")
NO_CURRENCY: ColumnElement[Any] = literal_column("'~'")


def sorts(as_of: dt.date | None) -> dict[str, SortKey]:
    """The decision list's orders (`-name` for descending); compliance is the one derived as
    of the day read."""
    kept = compliance.decision_compliance_expr(as_of)
    return {
        **{
            "-issued_on": SortKey(Decision.issued_on, Decision.id, descending=True, parse=date_key),
            "issued_on": SortKey(Decision.issued_on, Decision.id, parse=date_key),
        },
        **ordered_pair("reference", Decision.reference, Decision.id),
        **ordered_pair("title", Decision.title, Decision.id),
        **ordered_pair("id", Decision.id, Decision.id),
        "penalty_amount": SortKey(
            func.coalesce(Decision.penalty_amount, NO_PENALTY_HIGH),
            Decision.id,
            parse=decimal_key,
            computed=True,
        ),
        "-penalty_amount": SortKey(
            func.coalesce(Decision.penalty_amount, NO_PENALTY_LOW),
            Decision.id,
            descending=True,
            parse=decimal_key,
            computed=True,
        ),
        **ordered_pair(
            "penalty_currency",
            func.coalesce(Decision.penalty_currency, NO_CURRENCY),
            Decision.id,
            computed=True,
        ),
        **ordered_pair("kind", Decision.kind, Decision.id),
        **ordered_pair("compliance", ranked(kept, [c.value for c in Compliance]), Decision.id, computed=True),
    }


SORTS = sorts(None)

LOAD = (
    selectinload(Decision.regulators),
    selectinload(Decision.organisations),
    selectinload(Decision.findings),
    selectinload(Decision.provisions),
    selectinload(Decision.sources),
    selectinload(Decision.tags),
    selectinload(Decision.related),
    selectinload(Decision.reported_amounts),
)

# The decision's own columns in its read model (its kept compliance is read apart: as of a day
# it is derived instead).
READ_COLUMNS = tuple(c.key for c in Decision.__mapper__.column_attrs if c.key != "compliance")

CHILDREN = (
    "regulators",
    "organisations",
    "findings",
    "provisions",
    "sources",
    "tags",
    "related",
    "reported_amounts",
)


def visible(decision: Decision, as_of: dt.date | None) -> bool:
    return compliance.AsOf(as_of).shows_decision(decision.issued_on)


_EARLIER = aliased(Decision)
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)


def _part(model: Any, *columns: Any, joined: tuple[Any, Any] | None = None, order: Any = None) -> Any:
    """The statement reading one kind of part of the decisions `_IDS`, each decision's in order."""
    stmt = select(model.decision_id, *columns)
    if joined is not None:
        stmt = stmt.join(*joined)
    order = model.position if order is None else order
    return stmt.where(model.decision_id.in_(_IDS)).order_by(model.decision_id, order)


# The statements reading the parts of a list of decisions, built once.
PART_QUERIES: dict[str, Any] = {
    "regulators": _part(
        DecisionRegulator,
        DecisionRegulator.regulator_id,
        DecisionRegulator.role,
        Regulator.name,
        Regulator.jurisdiction,
        joined=(Regulator, Regulator.id == DecisionRegulator.regulator_id),
    ),
    "organisations": _part(
        DecisionOrganisation,
        DecisionOrganisation.organisation_id,
        DecisionOrganisation.role,
        Organisation.name,
        joined=(Organisation, Organisation.id == DecisionOrganisation.organisation_id),
    ),
    "findings": _part(
        Finding, Finding.id, Finding.text, Finding.provision, Finding.organisation_id, Finding.outcome
    ),
    "provisions": _part(DecisionProvision, DecisionProvision.provision),
    "sources": _part(
        DecisionSource,
        DecisionSource.url,
        DecisionSource.title,
        DecisionSource.publisher,
        DecisionSource.published_on,
        DecisionSource.document_id,
    ),
    "tags": _part(DecisionTag, DecisionTag.tag, order=DecisionTag.tag),
    "reported_amounts": _part(
        DecisionReportedAmount,
        DecisionReportedAmount.amount,
        DecisionReportedAmount.currency,
        DecisionReportedAmount.source,
    ),
    "related": _part(
        DecisionRelation,
        DecisionRelation.related_decision_id.label("related_id"),
        DecisionRelation.relation,
        _EARLIER.reference,
        _EARLIER.title,
        _EARLIER.issued_on,
        joined=(_EARLIER, _EARLIER.id == DecisionRelation.related_decision_id),
    ),
}


def provenances(session: Session, ids: list[int]) -> dict[int, Provenance]:
    """Where each of these decisions was imported from (none for those made otherwise)."""
    return origins.of(session, "decision", ids)


def parts(session: Session, ids: list[int]) -> dict[int, dict[str, list[Any]]]:
    """The parts of many decisions, each list in its order, in one Core query per kind of part.

    Core rows, not ORM collections: building and tracking ORM objects for a page of decisions
    cost several times the queries themselves.
    """
    out: dict[int, dict[str, list[Any]]] = {i: {name: [] for name in CHILDREN} for i in ids}
    if not ids:
        return out
    session.flush()  # the Core connection below does not autoflush as session.execute would
    connection = session.connection()
    for name, stmt in PART_QUERIES.items():
        for row in connection.execute(stmt, {"ids": ids}):
            out[row.decision_id][name].append(row)
    return out


def read_many(session: Session, decisions: list[Decision], *, as_of: dt.date | None) -> list[DecisionRead]:
    """Read models for many decisions in a fixed number of queries."""
    ids = [d.id for d in decisions]
    counts = compliance.counts_by_decision(session, ids, as_of=as_of)
    penalised = [d.id for d in decisions if d.penalty_amount is not None]
    obligations = payments.obligation_ids(session, penalised)
    paid = payments.paid_by_decision(session, list(obligations), as_of=as_of)
    linked = later_links(session, ids, as_of=as_of)
    loaded = parts(session, ids)
    origins = provenances(session, ids)
    out = []
    for d in decisions:
        p = loaded[d.id]
        links = linked.get(d.id, [])
        out.append(
            DecisionRead(
                **{key: getattr(d, key) for key in READ_COLUMNS},
                regulators=[
                    DecisionRegulatorOut(
                        regulator_id=r.regulator_id, role=r.role, name=r.name, jurisdiction=r.jurisdiction
                    )
                    for r in p["regulators"]
                ],
                organisations=[
                    DecisionOrganisationOut(organisation_id=o.organisation_id, role=o.role, name=o.name)
                    for o in p["organisations"]
                ],
                findings=[
                    FindingOut(
                        id=f.id,
                        text=f.text,
                        provision=f.provision,
                        organisation_id=f.organisation_id,
                        outcome=f.outcome,
                    )
                    for f in p["findings"]
                ],
                provisions=[r.provision for r in p["provisions"]],
                sources=[
                    SourceOut(
                        url=s.url,
                        title=s.title,
                        publisher=s.publisher,
                        published_on=s.published_on,
                        document_id=s.document_id,
                    )
                    for s in p["sources"]
                ],
                tags=[t.tag for t in p["tags"]],
                related=[
                    RelatedOut(
                        decision_id=r.related_id,
                        relation=r.relation,
                        reference=r.reference,
                        title=r.title,
                        issued_on=r.issued_on,
                    )
                    for r in p["related"]
                ],
                related_by=links,
                reported_amounts=[
                    ReportedAmountOut(amount=a.amount, currency=a.currency, source=a.source)
                    for a in p["reported_amounts"]
                ],
                compliance=(d.compliance if as_of is None else compliance.derive_compliance(counts[d.id])),
                # The later links are already at hand, oldest first: the same rule as
                # compliance.standings, without querying them again.
                standing=compliance.derive_standing(link.relation for link in links),
                # In the order of the codes, whatever order the database grouped them in
                # (PostgreSQL's varies): the same read gives the same bytes.
                recommendation_counts=dict(sorted(counts[d.id].items())),
                payment_id=obligations.get(d.id),
                penalty_paid=paid.get(d.id),
                provenance=origins.get(d.id),
            )
        )
    return out


LATER_LINKS = (
    select(
        DecisionRelation.related_decision_id,
        DecisionRelation.relation,
        Decision.id,
        Decision.reference,
        Decision.title,
        Decision.issued_on,
    )
    .join(Decision, Decision.id == DecisionRelation.decision_id)
    .where(DecisionRelation.related_decision_id.in_(_IDS))
    .order_by(Decision.issued_on, Decision.id)
)


def later_links(session: Session, ids: list[int], *, as_of: dt.date | None) -> dict[int, list[RelatedOut]]:
    """For each decision, the later decisions that link to it (issued by `as_of`), oldest first."""
    stmt = LATER_LINKS.where(*compliance.AsOf(as_of).decisions())
    links: dict[int, list[RelatedOut]] = {}
    for target, relation, later_id, reference, title, issued_on in session.execute(stmt, {"ids": ids}):
        links.setdefault(target, []).append(
            RelatedOut(
                decision_id=later_id, relation=relation, reference=reference, title=title, issued_on=issued_on
            )
        )
    return links


def read(session: Session, *, decision_id: int, as_of: dt.date | None) -> DecisionRead:
    decision = get_or_404(session, Decision, decision_id)
    if not visible(decision, as_of):
        raise NotFound(
            f"Decision {decision.id} was issued on {decision.issued_on}, "
            f"after {as_of}: it was not yet part of the record on that day."
        )
    return read_many(session, [decision], as_of=as_of)[0]


def list_(
    session: Session,
    filters: DecisionFilter | None = None,
    *,
    sort: str = "-issued_on",
    limit: int,
    cursor: str | None = None,
) -> Page[DecisionRead]:
    filters = filters or DecisionFilter()
    stmt = filtered(filters, session=session)
    orders = sorts(filters.as_of)
    rows, next_cursor = paginate(session, stmt, sorts=orders, sort=sort, limit=limit, cursor=cursor)
    return Page(items=read_many(session, [r[0] for r in rows], as_of=filters.as_of), next_cursor=next_cursor)


def count(session: Session, filters: DecisionFilter) -> int:
    """How many decisions match the filters."""
    stmt = filtered(filters, session=session).with_only_columns(Decision.id).order_by(None)
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def start(session: Session, filters: DecisionFilter, *, sort: str, cursor: str | None) -> int:
    """How many matching decisions come before the page `cursor` starts."""
    stmt = filtered(filters, session=session)
    return position(session, stmt, sorts=sorts(filters.as_of), sort=sort, cursor=cursor)


def previous(
    session: Session, filters: DecisionFilter, *, sort: str, cursor: str | None, limit: int
) -> str | None:
    """The cursor of the page before the one `cursor` starts ("" for the first; None on it)."""
    stmt = filtered(filters, session=session)
    return previous_cursor(session, stmt, sorts=sorts(filters.as_of), sort=sort, limit=limit, cursor=cursor)


def facets(session: Session, filters: DecisionFilter) -> dict[str, dict[str, int]]:
    """For each main facet, how many decisions each of its values has among those the other
    filters keep: compliance, kind, the regulator's country and the year issued."""
    out: dict[str, dict[str, int]] = {}

    def grouped(facet_filters: DecisionFilter, value: Any) -> dict[str, int]:
        """Counts by `value` straight over the filtered SELECT (no subquery to join back to)."""
        stmt = filtered(facet_filters, session=session).with_only_columns(value, func.count()).order_by(None)
        return {
            str(k): int(c) for k, c in session.execute(stmt.group_by(value).order_by(value)) if k is not None
        }

    out["compliance"] = grouped(
        filters.without("compliance"), compliance.decision_compliance_expr(filters.as_of)
    )
    out["kind"] = grouped(filters.without("kind"), Decision.kind)
    # Each decision once per country, however many of its regulators are there; from the
    # links alone when no other filter applies.
    by_country = filters.without("jurisdiction")
    pairs = (
        select(DecisionRegulator.decision_id, func.substr(Regulator.jurisdiction, 1, 2).label("country"))
        .join(Regulator, Regulator.id == DecisionRegulator.regulator_id)
        .distinct()
    )
    if by_country.values():
        pairs = pairs.where(
            DecisionRegulator.decision_id.in_(
                filtered(by_country, session=session).with_only_columns(Decision.id).order_by(None)
            )
        )
    countries = pairs.subquery()
    stmt = (
        select(countries.c.country, func.count()).group_by(countries.c.country).order_by(countries.c.country)
    )
    out["country"] = {str(k): int(c) for k, c in session.execute(stmt)}
    # The year as the date's first four characters: no date function per row, and the same
    # text on SQLite (ISO dates) and PostgreSQL (date as text).
    year = func.substr(type_coerce(cast(Decision.issued_on, String), String), 1, 4)
    years = grouped(filters.without("issued_from", "issued_to"), year)
    out["year"] = dict(sorted(years.items(), reverse=True))
    return out


def filtered(filters: DecisionFilter, *, session: Session) -> Select[Decision]:
    """The decisions matching the list's filters, as a SELECT to page, count or export.

    How each filter is written is the planner's (app/services/shared/planner.py): a regulator's or a
    party's decisions are found the fastest way for how many it has, and then compliance and
    kind are compared so that no index leads away from them. Every caller passes the session,
    so the SQL is the same whoever asks; the rows are the same whichever way is chosen.
    """
    f = filters
    as_of, regulator_id, organisation_id, case_id = f.as_of, f.regulator_id, f.organisation_id, f.case_id
    jurisdiction, kind, tag, compliance_is, q = f.jurisdiction, f.kind, f.tag, f.compliance, f.q
    issued_from, issued_to = f.issued_from, f.issued_to
    stmt = select(Decision).where(*compliance.AsOf(as_of).decisions())
    plan = Plan(session)
    if regulator_id is not None:
        stmt = stmt.where(
            plan.among(
                Decision.id, DecisionRegulator.decision_id, DecisionRegulator.regulator_id, regulator_id
            )
        )
    if organisation_id is not None:
        stmt = stmt.where(
            plan.among(
                Decision.id,
                DecisionOrganisation.decision_id,
                DecisionOrganisation.organisation_id,
                organisation_id,
            )
        )
    if case_id is not None:
        stmt = stmt.where(Decision.case_id == case_id)
    if jurisdiction:
        # The decisions of the jurisdiction's few regulators, by the (regulator_id, decision_id)
        # index, rather than probing every decision's regulators.
        stmt = stmt.where(
            Decision.id.in_(
                select(DecisionRegulator.decision_id)
                .join(Regulator, Regulator.id == DecisionRegulator.regulator_id)
                .where(jurisdiction_clause(Regulator.jurisdiction, jurisdiction))
            )
        )
    if kind is not None:
        stmt = stmt.where(plan.unindexed(Decision.kind) == kind.value)
    if tag:
        # Case ignored: one pass over the tags (short rows) rather than a probe per decision.
        tagged = select(DecisionTag.decision_id).where(func.lower(DecisionTag.tag) == tag.lower())
        stmt = stmt.where(Decision.id.in_(tagged))
    if issued_from is not None:
        stmt = stmt.where(Decision.issued_on >= issued_from)
    if issued_to is not None:
        stmt = stmt.where(Decision.issued_on <= issued_to)
    if compliance_is is not None:
        kept = compliance.decision_compliance_expr(as_of)
        stmt = stmt.where((plan.unindexed(kept) if as_of is None else kept) == compliance_is.value)
    if (clause := matches(q, SearchType.decision, Decision.id)) is not None:
        stmt = stmt.where(clause)
    return stmt


def references(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Decision references by id."""
    return labels(session, Decision.id, Decision.reference, ids)


def languages(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The language each decision was issued in, by id."""
    return labels(session, Decision.id, Decision.language, ids)
