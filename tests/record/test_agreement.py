"""Each compliance rule written in Python and in SQL gives the same answer, over every
combination, on each backend: overdue, the latest assessment (status and day), standing, and
how a penalty stands (in force, contested, overturned).
(The compliance of a group is proven the same way in tests/record/test_compliance.py.)"""

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import Date, case, literal, select
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Assessment, Decision, DecisionRelation, Organisation, Recommendation
from app.services import compliance
from app.services.compliance import AsOf
from app.services.record import decisions
from app.vocab import (
    STANDING_RELATIONS,
    AssertedBy,
    DecisionKind,
    OrganisationKind,
    Origin,
    PenaltyStanding,
    RecommendationKind,
    Relation,
    Review,
    Standing,
    Status,
)

DAY = dt.date(2022, 6, 15)
ONE = dt.timedelta(days=1)


def test_overdue_in_python_and_sql_agree(db: Database) -> None:
    combos = list(itertools.product(Status, [None, DAY - ONE, DAY, DAY + ONE]))
    with db.engine.connect() as conn:
        for status, due_on in combos:
            clause = compliance.overdue_sql(literal(status.value), literal(due_on, Date()), DAY)
            in_sql = bool(conn.execute(select(case((clause, True), else_=False))).scalar_one())
            assert in_sql is compliance.is_overdue(status, due_on, DAY), (status, due_on)
    # Both sides decide something: some combinations are overdue, some are not.
    assert {compliance.is_overdue(s, d, DAY) for s, d in combos} == {True, False}


def test_as_of_today_is_the_day_asked_for_or_today() -> None:
    assert AsOf(DAY).today == DAY
    assert AsOf().today == compliance.today()
    assert AsOf(DAY).shows_decision(DAY) and not AsOf(DAY).shows_decision(DAY + ONE)
    assert AsOf(DAY).counts_assessment(DAY) and not AsOf(DAY).counts_assessment(DAY + ONE)
    assert AsOf().shows_decision(dt.date(2999, 1, 1)) and AsOf().decisions() == []


def _record(session: Session) -> tuple[int, int]:
    org = Organisation(name="Acme", kind=OrganisationKind.company)
    decision = Decision(reference="D", title="D", kind=DecisionKind.order, issued_on=DAY - 30 * ONE)
    session.add_all([org, decision])
    session.flush()
    return decision.id, org.id


# Kinds of assessment: (origin, counted, review, retracted). A retracted one stays in the history
# but counts nowhere; a suggestion (a machine reading below its bar) is shown beside the status
# but makes none; a machine reading above the bar counts, not yet reviewed.
ENTERED = (Origin.entered, True, Review.not_needed, False)
RETRACTED = (Origin.entered, False, Review.not_needed, True)
SUGGESTION = (Origin.classified, False, Review.awaiting, False)
UNREVIEWED = (Origin.classified, True, Review.awaiting, False)


def test_latest_assessment_in_python_and_sql_agree(db: Database) -> None:
    """Every history of up to three assessments over two days (ties on a day broken by the
    order they were made in; some retracted, some suggestions, some machine readings that
    count), read as of before, on and after each day: the status, its day, how it was known,
    whether it is reviewed, and the suggestion beside it."""
    days = [DAY - ONE, DAY]
    statuses = [Status.complied, Status.not_complied, Status.disputed]
    # (day, status, kind)
    steps = [(d, s, ENTERED) for d, s in itertools.product(days, statuses)]
    steps += [(d, Status.complied, RETRACTED) for d in days]
    steps += [(DAY - ONE, Status.disputed, SUGGESTION), (DAY, Status.not_complied, SUGGESTION)]
    steps += [(DAY, Status.complied, UNREVIEWED)]
    histories = [h for n in range(4) for h in itertools.product(steps, repeat=n)]
    with db.transaction(actor="test") as session:
        decision_id, org_id = _record(session)
        recs = []
        for i, history in enumerate(histories):
            rec = Recommendation(
                decision_id=decision_id, organisation_id=org_id, text=f"R{i}", kind=RecommendationKind.order
            )
            session.add(rec)
            session.flush()
            for day, status, (origin, counted, review, retracted) in history:  # ids follow the order made
                session.add(
                    Assessment(
                        recommendation_id=rec.id,
                        status=status,
                        assessed_on=day,
                        asserted_by=AssertedBy.regulator,
                        recorded_by="test",
                        recorded_by_name="test",
                        retracted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if retracted else None,
                        retracted_by="test" if retracted else None,
                        retracted_by_name="test" if retracted else None,
                        retraction_reason="a mistake" if retracted else None,
                        origin=origin,
                        counted=counted,
                        review=review,
                    )
                )
                session.flush()
            recs.append(rec)
        ids = [r.id for r in recs]
        stored = {
            a.id: a for a in session.scalars(select(Assessment).where(Assessment.recommendation_id.in_(ids)))
        }
        by_rec = {i: [a for a in stored.values() if a.recommendation_id == i] for i in ids}

        seen: set[Any] = set()
        for as_of in (DAY - 2 * ONE, DAY - ONE, DAY, None):
            beside = compliance.state_exprs(as_of if as_of else DAY + ONE)
            rows = session.execute(
                select(
                    Recommendation.id,
                    compliance.status_expr(as_of if as_of else DAY + ONE),
                    compliance.latest_assessment(Assessment.assessed_on, as_of),
                    beside["status_origin"],
                    beside["status_reviewed"],
                    beside["suggested_status"],
                ).where(Recommendation.id.in_(ids))
            ).all()
            assert len(rows) == len(ids)
            for rec_id, status, last_on, origin, reviewed, suggested in rows:
                in_sql = compliance.State(Status(status), last_on, origin, reviewed, suggested)
                assert in_sql == compliance.state_of(by_rec[rec_id], as_of), (rec_id, as_of)
                latest = compliance.latest_of(by_rec[rec_id], as_of)
                assert in_sql.status == (latest.status if latest else Status.pending), (rec_id, as_of)
                seen.add(in_sql)
        # Both sides decide something: every status, both origins of a status, reviewed or
        # not, with and without a suggestion beside it.
        assert {s.status for s in seen} == {Status.pending, *statuses}
        assert {s.status_origin for s in seen} == {None, Origin.entered, Origin.classified}
        assert {s.status_reviewed for s in seen} == {None, True, False}
        assert {s.suggested_status for s in seen} == {None, Status.disputed, Status.not_complied}
        # A suggestion never makes a status: a history of suggestions alone reads pending.
        alone = [r for r, h in zip(recs, histories, strict=True) if h and all(k == SUGGESTION for *_, k in h)]
        assert alone and all(compliance.state_of(by_rec[r.id]).status == Status.pending for r in alone)

        # The kept columns: set row by row in Python, and all at once in SQL, agree too.
        for rec in recs:
            compliance.refresh_recommendation(session, rec)
        python = {r.id: tuple(getattr(r, k) for k in compliance.KEPT) for r in recs}
        compliance.refresh_all(session)
        kept = [getattr(Recommendation, k) for k in compliance.KEPT]
        sql = {
            row[0]: tuple(row[1:])
            for row in session.execute(select(Recommendation.id, *kept).where(Recommendation.id.in_(ids)))
        }
        assert sql == python


def test_standing_from_the_links_query_and_from_the_read_agree(db: Database) -> None:
    """Every mix of links from three later decisions (the last two issued on one day), read
    now and as of before, between and after them."""
    first, second = DAY - 10 * ONE, DAY
    choices: list[Relation | None] = [None, *Relation]
    combos = list(itertools.product([None, Relation.appeal_of, Relation.follow_up_of], choices, choices))
    with db.transaction(actor="test") as session:
        targets = [
            Decision(reference=f"T{i}", title="T", kind=DecisionKind.order, issued_on=DAY - 100 * ONE)
            for i in range(len(combos))
        ]
        later = [
            Decision(reference=f"L{n}", title="L", kind=DecisionKind.judgment, issued_on=on)
            for n, on in enumerate((first, second, second))
        ]
        session.add_all(targets + later)
        session.flush()
        for target, relations in zip(targets, combos, strict=True):
            for source, relation in zip(later, relations, strict=True):
                if relation is not None:
                    session.add(
                        DecisionRelation(
                            decision_id=source.id,
                            related_decision_id=target.id,
                            relation=relation,
                            position=0,
                        )
                    )
        session.flush()
        ids = [t.id for t in targets]
        seen = set()
        for as_of in (None, first - ONE, first, second):
            from_links = compliance.standings(session, ids, as_of=as_of)
            from_read = {d.id: d.standing for d in decisions.read_many(session, targets, as_of=as_of)}
            assert from_read == from_links, as_of
            # The same standing in one SQL expression (the penalty totals group by it).
            standing = compliance.standing_expr(as_of)
            in_sql = dict(session.execute(select(Decision.id, standing).where(Decision.id.in_(ids))).all())
            assert {i: Standing(s) for i, s in in_sql.items()} == from_links, as_of
            seen |= set(from_links.values())
            # And both follow the rule: the latest standing link counts (ties: the one made last).
            for target, relations in zip(targets, combos, strict=True):
                counted = [
                    r
                    for r, source in zip(relations, later, strict=True)
                    if r is not None and (as_of is None or source.issued_on <= as_of)
                ]
                assert from_links[target.id] == compliance.derive_standing(counted)
        assert seen == {Standing.in_force, *STANDING_RELATIONS.values()}


def test_penalty_standing_in_python_and_sql_agree(db: Database) -> None:
    """Every standing: its penalty's standing in Python and in SQL, and which are in force."""
    with db.engine.connect() as conn:
        for standing in Standing:
            in_sql = conn.execute(
                select(compliance.penalty_standing_sql(literal(standing.value)))
            ).scalar_one()
            assert PenaltyStanding(in_sql) == compliance.penalty_standing(standing), standing
    kinds = {s: compliance.penalty_standing(s) for s in Standing}
    assert kinds == {
        Standing.in_force: PenaltyStanding.in_force,
        Standing.upheld: PenaltyStanding.in_force,
        Standing.under_appeal: PenaltyStanding.contested,
        Standing.remitted: PenaltyStanding.contested,
        Standing.overturned: PenaltyStanding.overturned,
    }
    assert [p for p in PenaltyStanding if compliance.in_force(p)] == [
        PenaltyStanding.in_force,
        PenaltyStanding.contested,
    ]
