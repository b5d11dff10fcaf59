"""Figures over the whole record: compliance counts, overdue, decisions by year and
regulator, penalties by currency (imposed, in force, contested). The dashboard and
`GET /api/v1/stats` both read these."""

import datetime as dt

from sqlalchemy import extract, func, literal, select
from sqlalchemy.orm import Session

from app.models import Decision, DecisionRegulator, Recommendation, Regulator
from app.schemas.stats import RegulatorCount, StatsRead, YearCount
from app.services import compliance
from app.services.record.party_records import PenaltyTotals, penalty_rows
from app.services.shared.kept import cached
from app.vocab import Compliance, PenaltyStanding, Status


def summary(session: Session, *, as_of: dt.date | None) -> StatsRead:
    return cached(session, "summary", as_of, lambda: _compute(session, as_of=as_of))


def _compute(session: Session, *, as_of: dt.date | None) -> StatsRead:
    issued = compliance.AsOf(as_of).decisions()

    by_status = compliance.status_counts(session, as_of=as_of)
    overdue = session.scalar(
        select(func.count())
        .select_from(Recommendation)
        .join(Decision, Decision.id == Recommendation.decision_id)
        .where(compliance.overdue_clause(as_of), *issued)
    )

    per_decision = (
        select(compliance.decision_compliance_expr(as_of).label("compliance")).where(*issued).subquery()
    )
    by_compliance: dict[str, int] = dict(
        session.execute(
            select(per_decision.c.compliance, func.count()).group_by(per_decision.c.compliance)
        ).all()
    )

    year = extract("year", Decision.issued_on)
    by_year = [
        YearCount(year=int(y), count=n)
        for y, n in session.execute(select(year, func.count()).where(*issued).group_by(year).order_by(year))
    ]

    n = func.count(DecisionRegulator.decision_id)
    by_regulator = [
        RegulatorCount(regulator_id=rid, name=name, short_name=short, count=count)
        for rid, name, short, count in session.execute(
            select(Regulator.id, Regulator.name, Regulator.short_name, n)
            .join(DecisionRegulator, DecisionRegulator.regulator_id == Regulator.id)
            .join(Decision, Decision.id == DecisionRegulator.decision_id)
            .where(*issued)
            .group_by(Regulator.id, Regulator.name, Regulator.short_name)
            .order_by(n.desc(), Regulator.name)
        )
    ]

    # The sums are over amounts that are not NULL, and an amount always has its currency.
    money = PenaltyTotals()
    for _, currency, standing, total, paid in session.execute(
        penalty_rows(select(literal(0)).select_from(Decision).where(*issued), as_of=as_of)
    ):
        money.add(str(currency), PenaltyStanding(standing), total, paid)

    return StatsRead(
        as_of=as_of,
        decisions=sum(y.count for y in by_year),
        recommendations=sum(by_status.values()),
        recommendations_by_status={s: by_status.get(s, 0) for s in Status},
        decisions_by_compliance={c: by_compliance.get(c.value, 0) for c in Compliance},
        overdue=overdue or 0,
        decisions_by_year=by_year,
        decisions_by_regulator=by_regulator,
        **money.fields(),
    )
