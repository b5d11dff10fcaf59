"""The figures behind the dashboard's charts: decisions per year by kind, penalties per year
by currency, the compliance of each year's decisions as they stand (today, or on `as_of`),
and decisions by their regulators' country. Counted by the database, kept like the summary
(`kept.cached`) while the record does not change."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import distinct, extract, func, select
from sqlalchemy.orm import Session

from app.models import Decision, DecisionRegulator, Regulator
from app.services import compliance
from app.services.reporting.countries import country_of
from app.services.shared import kept
from app.vocab import Compliance, DecisionKind


@dataclass(frozen=True)
class ChartFigures:
    as_of: dt.date | None
    kinds_by_year: dict[int, dict[DecisionKind, int]]  # oldest year first, kinds in vocabulary order
    penalties_by_currency: dict[str, dict[int, Decimal]]  # most penalised decisions first
    compliance_by_year: dict[int, dict[Compliance, int]]
    decisions_by_country: list[tuple[str, int]]  # (jurisdiction code, decisions), most decisions first


def charts(session: Session, *, as_of: dt.date | None) -> ChartFigures:
    return kept.cached(session, "charts", as_of, lambda: _compute(session, as_of=as_of))


def _compute(session: Session, *, as_of: dt.date | None) -> ChartFigures:
    issued = [] if as_of is None else [Decision.issued_on <= as_of]
    year = extract("year", Decision.issued_on)

    kinds: dict[int, dict[DecisionKind, int]] = {}
    for y, kind, n in session.execute(
        select(year, Decision.kind, func.count()).where(*issued).group_by(year, Decision.kind).order_by(year)
    ):
        kinds.setdefault(int(y), {})[DecisionKind(kind)] = n
    kinds = {y: {k: row[k] for k in DecisionKind if k in row} for y, row in kinds.items()}

    penalised = func.count()
    currencies = [
        str(c)
        for (c,) in session.execute(
            select(Decision.penalty_currency)
            .where(Decision.penalty_amount.is_not(None), Decision.penalty_currency.is_not(None), *issued)
            .group_by(Decision.penalty_currency)
            .order_by(penalised.desc(), Decision.penalty_currency)
        )
    ]
    penalties: dict[str, dict[int, Decimal]] = {c: {} for c in currencies}
    for currency, y, total in session.execute(
        select(Decision.penalty_currency, year, func.sum(Decision.penalty_amount))
        .where(Decision.penalty_amount.is_not(None), Decision.penalty_currency.is_not(None), *issued)
        .group_by(Decision.penalty_currency, year)
        .order_by(Decision.penalty_currency, year)
    ):
        penalties[str(currency)][int(y)] = Decimal(total or 0).quantize(Decimal("0.01"))

    standing = compliance.decision_compliance_expr(as_of).label("compliance")
    per_decision = select(year.label("year"), standing).where(*issued).subquery()
    by_year: dict[int, dict[Compliance, int]] = {}
    for y, value, n in session.execute(
        select(per_decision.c.year, per_decision.c.compliance, func.count())
        .group_by(per_decision.c.year, per_decision.c.compliance)
        .order_by(per_decision.c.year)
    ):
        by_year.setdefault(int(y), {})[Compliance(value)] = n
    by_year = {y: {c: row[c] for c in Compliance if c in row} for y, row in by_year.items()}

    # A jurisdiction is ISO 3166-1 (`CA`) or 3166-2 (`CA-BC`): its first two letters are the
    # country; an international body's code (`UN`) stands whole (the chart names it). A decision
    # by several regulators of one country counts once for it.
    country = country_of(Regulator.jurisdiction)
    decided = func.count(distinct(DecisionRegulator.decision_id))
    by_country = [
        (str(c), int(count))
        for c, count in session.execute(
            select(country, decided)
            .join(DecisionRegulator, DecisionRegulator.regulator_id == Regulator.id)
            .join(Decision, Decision.id == DecisionRegulator.decision_id)
            .where(*issued)
            .group_by(country)
            .order_by(decided.desc(), country)
        )
    ]
    return ChartFigures(as_of, kinds, penalties, by_year, by_country)
