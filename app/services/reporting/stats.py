"""Figures over the whole record: compliance counts, overdue, decisions by year and
regulator, penalties by currency (imposed, in force, contested). The dashboard and
`GET /api/v1/stats` both read these."""

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import extract, func, literal, select
from sqlalchemy.orm import Session

from app import clock
from app.models import AuditEntry, Decision, DecisionRegulator, Recommendation, Regulator
from app.schemas.stats import RegulatorCount, StatsRead, YearCount
from app.services import compliance
from app.services.record.party_records import PenaltyTotals, penalty_rows
from app.vocab import Compliance, PenaltyStanding, Status

# Figures already computed, by (name, database, day, as_of, last audit entry). Every change to the
# record writes an audit entry in its own transaction, so while the last entry is the same the
# figures are too: a dashboard read between changes costs one index lookup instead of counting
# a million rows. (On PostgreSQL two writers can commit out of id order; the age limit bounds
# how long such a reader could keep figures that miss the earlier-numbered change.) The last
# entry is known by its id and its time: a database emptied and filled again (a restore, a test
# suite's reset) gives ids again from 1, and the same id then names another change.
Key = tuple[str, str, dt.date, Any, int, dt.datetime | None]


@dataclass
class Store:
    """Kept figures (or a page's data), the newest `size` of them."""

    size: int
    entries: OrderedDict[Key, tuple[float, Any]] = field(default_factory=OrderedDict)


_FIGURES = Store(64)
_MAX_AGE = 30.0
_LOCK = threading.Lock()
T = TypeVar("T")


def cached(
    session: Session, name: str, as_of: Any, compute: Callable[[], T], *, store: Store = _FIGURES
) -> T:
    """`compute()`, or the figures it gave for the same `name`, database, day and `as_of` (or
    any hashable key of what else they depend on) while the record has not changed since (see
    above); kept in `store` (the figures' own by default: pages keep theirs apart)."""
    last = session.execute(
        select(AuditEntry.id, AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    last_id, last_at = (int(last[0]), last[1]) if last is not None else (0, None)
    key = (name, session.get_bind().engine.url.render_as_string(), clock.today(), as_of, last_id, last_at)
    now = time.monotonic()
    entries = store.entries
    with _LOCK:
        found = entries.get(key)
        if found is not None and now - found[0] < _MAX_AGE:
            entries.move_to_end(key)
            figures: T = found[1]
            return figures
    figures = compute()
    with _LOCK:
        entries[key] = (now, figures)
        entries.move_to_end(key)
        while len(entries) > store.size:
            entries.popitem(last=False)
    return figures


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
