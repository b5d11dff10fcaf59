"""Each party's record: decision count, penalties by currency (imposed, in force, contested,
paid: `PenaltyTotals`) and derived compliance (payment obligations apart: `IN_COMPLIANCE`).

Computed for many ids at once (a page of a list) in a fixed number of queries.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Date, and_, case, distinct, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from app.models import (
    Decision,
    DecisionOrganisation,
    DecisionRegulator,
    DecisionRelation,
    Recommendation,
    Regulator,
)
from app.services.compliance import (
    IN_COMPLIANCE,
    AsOf,
    derive_compliance,
    in_force,
    penalty_standing_sql,
    standing_expr,
    status_expr,
)
from app.services.record import ownership
from app.services.record.payments import paid_sql
from app.services.shared.pagination import AnySelect
from app.vocab import STANDING_RELATIONS, Compliance, OrganisationRole, PenaltyStanding, Status

CENTS = Decimal("0.01")


Amount = Decimal | int | float | str


@dataclass
class PenaltyTotals:
    """Penalties by currency in four kinds: imposed (every penalty), in force (leaving out
    those whose decision was overturned) and, of those in force, contested (under appeal or
    remitted); and paid, as their payment obligations' assessments say. In force and contested
    name every currency imposed, zero where none is; paid names a currency only where a payment
    of one of its penalties is recorded (paid, partly, unpaid or contested: an unpaid one reads
    0), so that no currency named means "no payment recorded", never "unpaid"."""

    imposed: dict[str, Decimal] = field(default_factory=dict)
    in_force: dict[str, Decimal] = field(default_factory=dict)
    contested: dict[str, Decimal] = field(default_factory=dict)
    paid: dict[str, Decimal] = field(default_factory=dict)

    def add(
        self, currency: str, standing: PenaltyStanding, amount: Amount, paid: Amount | None = None
    ) -> None:
        """Count `amount` of `currency` whose decision's penalty stands as `standing`, of which
        `paid` was paid (None: no payment recorded)."""
        value = Decimal(amount).quantize(CENTS)
        zero = Decimal(0).quantize(CENTS)
        self.imposed[currency] = self.imposed.get(currency, zero) + value
        self.in_force[currency] = self.in_force.get(currency, zero) + (value if in_force(standing) else zero)
        contested = value if standing == PenaltyStanding.contested else zero
        self.contested[currency] = self.contested.get(currency, zero) + contested
        if paid is not None:
            self.paid[currency] = self.paid.get(currency, zero) + Decimal(paid).quantize(CENTS)

    def sorted(self) -> "PenaltyTotals":
        """The same totals, currencies in alphabetical order."""
        return PenaltyTotals(
            *(
                {c: kind[c] for c in sorted(kind)}
                for kind in (self.imposed, self.in_force, self.contested, self.paid)
            )
        )

    def fields(self) -> dict[str, dict[str, Decimal]]:
        """The read fields (`penalties`, `penalties_in_force`, `penalties_contested`,
        `penalties_paid`)."""
        ordered = self.sorted()
        return {
            "penalties": ordered.imposed,
            "penalties_in_force": ordered.in_force,
            "penalties_contested": ordered.contested,
            "penalties_paid": ordered.paid,
        }


def penalty_rows(stmt: AnySelect, *, as_of: dt.date | None) -> AnySelect:
    """(owner, currency, penalty standing, sum, sum paid) of the penalised decisions `stmt`
    selects (`stmt` selects one owner column and joins or selects from `Decision`); the sum paid
    is NULL where no payment of those is recorded."""
    # Only a decision that a standing link points at can stand otherwise than in force: the
    # per-decision lookup of the latest link is made for those alone (the set of them built
    # once), not for every penalised decision.
    linked = select(DecisionRelation.related_decision_id).where(
        DecisionRelation.relation.in_([r.value for r in STANDING_RELATIONS])
    )
    standing = case(
        (Decision.id.in_(linked), penalty_standing_sql(standing_expr(as_of))),
        else_=PenaltyStanding.in_force.value,
    )
    per_decision = (
        stmt.add_columns(Decision.penalty_currency, Decision.penalty_amount, standing, paid_sql(as_of))
        .where(Decision.penalty_amount.is_not(None))
        .subquery()
    )
    who, currency, amount, kind, paid = list(per_decision.c)
    return select(who, currency, kind, func.sum(amount), func.sum(paid)).group_by(who, currency, kind)


@dataclass
class Record:
    decision_count: int = 0
    money: PenaltyTotals = field(default_factory=PenaltyTotals)
    recommendation_counts: dict[Status, int] = field(default_factory=dict)
    jurisdictions: list[str] = field(default_factory=list)

    @property
    def penalties(self) -> dict[str, Decimal]:
        return self.money.sorted().imposed

    @property
    def compliance(self) -> Compliance:
        return derive_compliance(self.recommendation_counts)

    def fields(self) -> dict[str, Any]:
        return {
            "decision_count": self.decision_count,
            **self.money.fields(),
            "recommendation_counts": self.recommendation_counts,
            "compliance": self.compliance,
        }


def _issued_by(as_of: dt.date | None) -> list[ColumnElement[bool]]:
    return AsOf(as_of).decisions()


R = TypeVar("R", bound=Record)


def _fill(
    session: Session,
    records: dict[int, R],
    *,
    decisions: AnySelect,
    penalties: AnySelect,
    statuses: AnySelect,
) -> dict[int, R]:
    for owner, n in session.execute(decisions):
        records[owner].decision_count = n
    for owner, currency, standing, total, paid in session.execute(penalties):
        records[owner].money.add(currency, PenaltyStanding(standing), total, paid)
    for owner, status, n in session.execute(statuses):
        records[owner].recommendation_counts[Status(status)] = n
    return records


def organisation_records(session: Session, ids: list[int], *, as_of: dt.date | None) -> dict[int, Record]:
    """Decisions involving each organisation, penalties where it is respondent, and the
    compliance of the recommendations addressed to it."""
    records = {i: Record() for i in ids}
    if not ids:
        return records
    owner = DecisionOrganisation.organisation_id
    involved = (
        select(owner, func.count(distinct(DecisionOrganisation.decision_id)))
        .join(Decision, Decision.id == DecisionOrganisation.decision_id)
        .where(owner.in_(ids), *_issued_by(as_of))
        .group_by(owner)
    )
    penalties = penalty_rows(
        select(owner)
        .join(Decision, Decision.id == DecisionOrganisation.decision_id)
        .where(owner.in_(ids), DecisionOrganisation.role == OrganisationRole.respondent, *_issued_by(as_of)),
        as_of=as_of,
    )
    status = status_expr(as_of)
    statuses = (
        select(Recommendation.organisation_id, status, func.count())
        .join(Decision, Decision.id == Recommendation.decision_id)
        .where(Recommendation.organisation_id.in_(ids), IN_COMPLIANCE, *_issued_by(as_of))
        .group_by(Recommendation.organisation_id, status)
    )
    return _fill(session, records, decisions=involved, penalties=penalties, statuses=statuses)


def regulator_records(session: Session, ids: list[int], *, as_of: dt.date | None) -> dict[int, Record]:
    """Decisions each regulator took part in, their penalties, and the compliance of the
    recommendations they issued."""
    records = {i: Record() for i in ids}
    if not ids:
        return records
    owner = DecisionRegulator.regulator_id
    # As of a day only the decisions issued by then count, so each link is joined to its
    # decision; today every link counts, and the counts need no decision row (at 200,000
    # decisions, 36 ms of the busiest regulator's 240 ms).
    links = select(owner).where(owner.in_(ids))
    dated = links.join(Decision, Decision.id == DecisionRegulator.decision_id).where(*_issued_by(as_of))
    counted = links if as_of is None else dated
    involved = counted.add_columns(func.count()).group_by(owner)
    penalties = penalty_rows(dated, as_of=as_of)
    status = status_expr(as_of)
    statuses = (
        counted.add_columns(status, func.count())
        .join(Recommendation, Recommendation.decision_id == DecisionRegulator.decision_id)
        .where(IN_COMPLIANCE)
        # Status first: SQLite's grouping of the busiest regulator's 210,000 recommendations
        # takes about 115 ms so, against 140-165 ms by (regulator, status).
        .group_by(status, owner)
    )
    return _fill(session, records, decisions=involved, penalties=penalties, statuses=statuses)


def case_records(session: Session, ids: list[int], *, as_of: dt.date | None) -> dict[int, Record]:
    """Each case's decisions, penalties, jurisdictions and compliance."""
    records = {i: Record() for i in ids}
    if not ids:
        return records
    owner = Decision.case_id
    base = select(owner).where(owner.in_(ids), *_issued_by(as_of))
    involved = base.add_columns(func.count()).group_by(owner)
    penalties = penalty_rows(base, as_of=as_of)
    status = status_expr(as_of)
    statuses = (
        base.add_columns(status, func.count())
        .join(Recommendation, Recommendation.decision_id == Decision.id)
        .where(IN_COMPLIANCE)
        .group_by(owner, status)
    )
    _fill(session, records, decisions=involved, penalties=penalties, statuses=statuses)
    jurisdictions: dict[int, set[str]] = defaultdict(set)
    for case_id, jurisdiction in session.execute(
        base.add_columns(Regulator.jurisdiction)
        .join(DecisionRegulator, DecisionRegulator.decision_id == Decision.id)
        .join(Regulator, Regulator.id == DecisionRegulator.regulator_id)
        .distinct()
    ):
        jurisdictions[case_id].add(jurisdiction)
    for case_id, found in jurisdictions.items():
        records[case_id].jurisdictions = sorted(found)
    return records


# -- Whole groups ------------------------------------------------------------------------


@dataclass
class GroupRecord(Record):
    """An organisation's group: it and every subsidiary below it. A decision involving several
    members counts once, and so does its penalty."""

    organisation_count: int = 1

    def fields(self) -> dict[str, Any]:
        return {"organisation_count": self.organisation_count, **super().fields()}


# (head, member, since, until): a member counts for its head's group on the days [since, until).
Membership = tuple[int, int, dt.date | None, dt.date | None]


def _group_figures(
    session: Session, records: dict[int, GroupRecord], rows: list[Membership], *, as_of: dt.date | None
) -> None:
    """Fill each group's decisions, penalties and recommendations from its members: those
    involving a member, on a day it belonged to the group."""
    if not rows:
        return
    pairs = union_all(
        *(
            select(
                literal(head).label("head"),
                literal(member).label("member"),
                literal(since, Date).label("since"),
                literal(until, Date).label("until"),
            )
            for head, member, since, until in rows
        )
    ).subquery()

    def belonged(issued_on: Any) -> ColumnElement[bool]:
        return and_(
            or_(pairs.c.since.is_(None), issued_on >= pairs.c.since),
            or_(pairs.c.until.is_(None), issued_on < pairs.c.until),
        )

    involved = (
        select(pairs.c.head, DecisionOrganisation.decision_id)
        .join(DecisionOrganisation, DecisionOrganisation.organisation_id == pairs.c.member)
        .join(Decision, Decision.id == DecisionOrganisation.decision_id)
        .where(belonged(Decision.issued_on), *_issued_by(as_of))
    )
    fined = involved.where(DecisionOrganisation.role == OrganisationRole.respondent).distinct().subquery()
    involved_sub = involved.distinct().subquery()
    decisions = select(involved_sub.c.head, func.count()).group_by(involved_sub.c.head)
    penalties = penalty_rows(
        select(fined.c.head).join(Decision, Decision.id == fined.c.decision_id),
        as_of=as_of,
    )
    status = status_expr(as_of)
    statuses = (
        select(pairs.c.head, status, func.count())
        .join(Recommendation, Recommendation.organisation_id == pairs.c.member)
        .join(Decision, Decision.id == Recommendation.decision_id)
        .where(belonged(Decision.issued_on), IN_COMPLIANCE, *_issued_by(as_of))
        .group_by(pairs.c.head, status)
    )
    _fill(session, records, decisions=decisions, penalties=penalties, statuses=statuses)


def group_records(
    session: Session, ids: list[int], *, as_of: dt.date | None, own: dict[int, Record] | None = None
) -> tuple[dict[int, GroupRecord], dict[int, GroupRecord]]:
    """The group of each organisation (itself and its subsidiaries at every level) in two
    readings, in a fixed number of queries for all of `ids`:

    - as owned on the day read (today, or `as_of`): every decision of every member then;
    - as owned at each decision: a member's decision counts where it belonged to the group on
      the decision's day (its `organisation_count`: every organisation that belonged by then).

    An organisation that never had a subsidiary is its own group: given its own record (`own`,
    as `organisation_records` reads it), its group is that record, with no query (most
    organisations; a page of 500 of them took 5.5 s to count through the members' table).
    """
    over_time = ownership.members_over_time(session, ids)
    day = AsOf(as_of).today
    now = ownership.members_on(over_time, day)
    spans = [
        (head, member, since, until)
        for head, members in over_time.items()
        for member, member_spans in sorted(members.items())
        for since, until in member_spans
        if since is None or since <= day
    ]
    owned_now = {head: GroupRecord(organisation_count=len(group)) for head, group in now.items()}
    owned_then = {
        head: GroupRecord(organisation_count=len({m for h, m, _, _ in spans if h == head})) for head in ids
    }
    alone: set[int] = set()
    if own is not None:
        alone = {head for head, members in over_time.items() if len(members) == 1 and head in own}
        for head in alone:
            for record in (owned_now[head], owned_then[head]):
                record.decision_count = own[head].decision_count
                record.money = own[head].money
                record.recommendation_counts = dict(own[head].recommendation_counts)
    _group_figures(
        session,
        owned_now,
        [(head, m, None, None) for head, group in now.items() if head not in alone for m in sorted(group)],
        as_of=as_of,
    )
    _group_figures(session, owned_then, [row for row in spans if row[0] not in alone], as_of=as_of)
    return owned_now, owned_then
