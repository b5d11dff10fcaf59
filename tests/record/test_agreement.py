"""Each compliance rule written in Python and in SQL gives the same answer, over every
combination, on each backend: overdue, the latest assessment (status and day), and standing.
(The compliance of a group is proven the same way in tests/record/test_compliance.py.)"""

import datetime as dt
import itertools

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
    RecommendationKind,
    Relation,
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


def test_latest_assessment_in_python_and_sql_agree(db: Database) -> None:
    """Every history of up to three assessments over two days (ties on a day broken by the
    order they were made in, some retracted), read as of before, on and after each day."""
    days = [DAY - ONE, DAY]
    statuses = [Status.complied, Status.not_complied, Status.disputed]
    # (day, status, retracted): a retracted assessment stays in the history but counts nowhere.
    steps = [(d, s, False) for d, s in itertools.product(days, statuses)]
    steps += [(d, Status.complied, True) for d in days]
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
            for day, status, retracted in history:  # one at a time: ids follow the order made
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
                    )
                )
                session.flush()
            recs.append(rec)
        ids = [r.id for r in recs]
        stored = {
            a.id: a for a in session.scalars(select(Assessment).where(Assessment.recommendation_id.in_(ids)))
        }
        by_rec = {i: [a for a in stored.values() if a.recommendation_id == i] for i in ids}

        seen = set()
        for as_of in (DAY - 2 * ONE, DAY - ONE, DAY, None):
            rows = session.execute(
                select(
                    Recommendation.id,
                    compliance.status_expr(as_of if as_of else DAY + ONE),
                    compliance.latest_assessment(Assessment.assessed_on, as_of),
                ).where(Recommendation.id.in_(ids))
            ).all()
            assert len(rows) == len(ids)
            for rec_id, status, last_on in rows:
                latest = compliance.latest_of(by_rec[rec_id], as_of)
                assert Status(status) == (latest.status if latest else Status.pending), (rec_id, as_of)
                assert last_on == (latest.assessed_on if latest else None), (rec_id, as_of)
                seen.add(Status(status))
        assert seen == {Status.pending, *statuses}

        # The kept columns: set row by row in Python, and all at once in SQL, agree too.
        for rec in recs:
            compliance.refresh_recommendation(session, rec)
        python = {r.id: (r.status, r.last_assessed_on) for r in recs}
        compliance.refresh_all(session)
        sql = {
            i: (Status(s), on)
            for i, s, on in session.execute(
                select(Recommendation.id, Recommendation.status, Recommendation.last_assessed_on).where(
                    Recommendation.id.in_(ids)
                )
            )
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
