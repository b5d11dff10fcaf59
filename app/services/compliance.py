"""The compliance rules, written once.

- A recommendation's status is that of its latest counted assessment (by `assessed_on`, then
  by creation), or `pending` where it has none. A retracted assessment does not count, nor a
  suggestion (a machine reading below its import's bar) until an editor confirms it. Beside
  the status: how it was known (the origin of that assessment), whether it is reviewed (not a
  machine reading awaiting review), and the latest suggestion newer than it (`State`).
- It is overdue when it has a `due_on` in the past and its status is not `complied` or
  `withdrawn`.
- A group's compliance (a decision's, a case's, an organisation's, a regulator's) is derived
  from its recommendations' statuses, leaving out `withdrawn` ones, the first rule that
  applies deciding: none left → `none`; all `complied` → `complied`; any `complied` or
  `partially_complied` → `partially_complied`; all `pending` → `pending`; any `disputed` and
  no `not_complied` → `disputed`; otherwise `not_complied`. Its counts stand beside it
  (`describe_counts`, `complied_share`).
- A decision's standing is set by the latest later decision that links to it with a
  standing relation.
- Money: a penalty is imposed by its decision; in force unless its decision's standing is
  `overturned` (the vocabulary has no withdrawn decision); and of that, contested while its
  standing is `under_appeal` or `remitted` (`PenaltyStanding`). Its payment is an obligation of
  its own (a recommendation of kind `payment`, app/services/record/payments.py), never counted
  in a compliance nor in its counts (`IN_COMPLIANCE`): compliance is about what was recommended
  or ordered, a fine's payment is its own line.

Each can be asked "as of" a day (`AsOf`): decisions issued after it are not yet part of the
record, and assessments dated after it are ignored. Without `as_of`, the current status kept
on each recommendation row (and the current compliance kept on each decision row) is read.

Each rule is written once in Python and once in SQL, and tests/record/test_compliance.py and
tests/record/test_agreement.py prove each pair agrees over every combination.

Over 450 lines on purpose: each rule's Python and SQL twins stay side by side in one place.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ScalarSelect,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, aliased

from app import formats, labels
from app.clock import today
from app.models import Assessment, Decision, DecisionRelation, Recommendation
from app.models.base import table_of
from app.vocab import (
    STANDING_RELATIONS,
    Compliance,
    Origin,
    PenaltyStanding,
    RecommendationKind,
    Relation,
    Review,
    Standing,
    Status,
)

DONE = (Status.complied, Status.withdrawn)

# The assessments that count in derived statuses: neither retracted (a retracted one stays in
# the history, marked, and is no longer counted) nor a suggestion awaiting an editor. `counts`
# is its Python twin.
COUNTS = Assessment.counted.is_(True)


def counts(assessment: Assessment) -> bool:
    return bool(assessment.counted)


# The recommendations a compliance (and its counts) is made of: every kind but the obligation to
# pay a penalty, which is its own line (penalties paid). `in_compliance` is its Python twin.
IN_COMPLIANCE = Recommendation.kind != RecommendationKind.payment.value


def in_compliance(kind: RecommendationKind) -> bool:
    return kind != RecommendationKind.payment


# A suggestion: a machine reading below its import's bar, not yet reviewed (nor retracted). It
# makes no status; the latest one newer than the status is shown beside it.
SUGGESTS = and_(
    Assessment.origin == Origin.classified.value,
    Assessment.counted.is_(False),
    Assessment.review == Review.awaiting.value,
    Assessment.retracted_at.is_(None),
)


def suggests(assessment: Assessment) -> bool:
    return (
        assessment.origin == Origin.classified
        and not assessment.counted
        and assessment.review == Review.awaiting
        and assessment.retracted_at is None
    )


# A status a person stands behind: entered, imported as its source gave it, or a machine
# reading an editor confirmed (the review state is today's, also as of a past day).
REVIEWED = Assessment.review != Review.awaiting.value


def reviewed(assessment: Assessment) -> bool:
    return assessment.review != Review.awaiting


# -- As of a day -------------------------------------------------------------------------


@dataclass(frozen=True)
class AsOf:
    """The day the record is read as of (None: as it stands now), and what is part of the
    record on that day: the decisions issued by then, and the assessments dated by then."""

    day: dt.date | None = None

    @property
    def today(self) -> dt.date:
        """The day overdue is judged on: the day asked for, or today."""
        return self.day or today()

    # The cut-off in Python ...
    def shows_decision(self, issued_on: dt.date) -> bool:
        return self.day is None or issued_on <= self.day

    def counts_assessment(self, assessed_on: dt.date) -> bool:
        return self.day is None or assessed_on <= self.day

    # ... and in SQL: conditions to add to a WHERE (none now).
    def decisions(self, issued_on: Any = Decision.issued_on) -> list[ColumnElement[bool]]:
        return [] if self.day is None else [issued_on <= self.day]

    def assessments(self, assessed_on: Any = Assessment.assessed_on) -> list[ColumnElement[bool]]:
        return [] if self.day is None else [assessed_on <= self.day]


# -- Recommendation status ---------------------------------------------------------------


def _order(a: Assessment) -> tuple[dt.date, int]:
    return (a.assessed_on, a.id)


# The latest assessment is the one of the latest day; of one day, the one made last.
def latest_of(history: Iterable[Assessment], as_of: dt.date | None = None) -> Assessment | None:
    """The latest assessment of a history (Python), among those that count as of the day:
    `latest_assessment` in SQL."""
    counted = [a for a in history if counts(a) and AsOf(as_of).counts_assessment(a.assessed_on)]
    return max(counted, key=_order, default=None)


def suggestion_of(history: Iterable[Assessment], as_of: dt.date | None = None) -> Assessment | None:
    """The latest suggestion newer than the latest counted assessment, as of the day (Python):
    `suggested_status_expr` in SQL."""
    history = list(history)
    latest = latest_of(history, as_of)
    newer = [
        a
        for a in history
        if suggests(a)
        and AsOf(as_of).counts_assessment(a.assessed_on)
        and (latest is None or _order(a) > _order(latest))
    ]
    return max(newer, key=_order, default=None)


@dataclass(frozen=True)
class State:
    """What a recommendation's history says of it: its status and the day of its latest
    counted assessment, how that status was known, whether it is reviewed, and the latest
    suggestion newer than it. The kept columns of its row hold today's."""

    status: Status = Status.pending
    last_assessed_on: dt.date | None = None
    status_origin: Origin | None = None
    status_reviewed: bool | None = None
    suggested_status: Status | None = None


def state_of(history: Iterable[Assessment], as_of: dt.date | None = None) -> State:
    history = list(history)
    latest = latest_of(history, as_of)
    suggestion = suggestion_of(history, as_of)
    suggested = suggestion.status if suggestion is not None else None
    if latest is None:
        return State(suggested_status=suggested)
    return State(latest.status, latest.assessed_on, latest.origin, reviewed(latest), suggested)


def latest_assessment(column: Any, as_of: dt.date | None) -> ScalarSelect[Any]:
    """`column` of a recommendation's latest assessment as of the day (SQL, correlated)."""
    return (
        select(column)
        .where(Assessment.recommendation_id == Recommendation.id, COUNTS, *AsOf(as_of).assessments())
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        .limit(1)
        .correlate(Recommendation)
        .scalar_subquery()
    )


def latest_assessment_status(as_of: dt.date | None) -> ScalarSelect[Status]:
    """Correlated subquery: the status of a recommendation's latest assessment up to `as_of`."""
    return latest_assessment(Assessment.status, as_of)


def suggested_status_expr(as_of: dt.date | None) -> ScalarSelect[Status]:
    """Correlated subquery: the status of a recommendation's latest suggestion newer than its
    latest counted assessment, as of the day (`suggestion_of` in SQL)."""
    later = aliased(Assessment)
    newer_counted = exists().where(
        later.recommendation_id == Assessment.recommendation_id,
        later.counted.is_(True),
        *AsOf(as_of).assessments(later.assessed_on),
        or_(
            later.assessed_on > Assessment.assessed_on,
            and_(later.assessed_on == Assessment.assessed_on, later.id > Assessment.id),
        ),
    )
    return (
        select(Assessment.status)
        .where(
            Assessment.recommendation_id == Recommendation.id,
            SUGGESTS,
            *AsOf(as_of).assessments(),
            ~newer_counted,
        )
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        .limit(1)
        .correlate(Recommendation)
        .scalar_subquery()
    )


def state_exprs(as_of: dt.date | None) -> dict[str, ColumnElement[Any]]:
    """The state beside the status as SQL (`State` but the status and the day): the kept
    columns now, derived from the history as of a day."""
    if as_of is None:
        return {
            "status_origin": Recommendation.status_origin.expression,
            "status_reviewed": Recommendation.status_reviewed.expression,
            "suggested_status": Recommendation.suggested_status.expression,
        }
    return {
        "status_origin": latest_assessment(Assessment.origin, as_of),
        "status_reviewed": type_coerce(latest_assessment(REVIEWED, as_of), Boolean),
        "suggested_status": suggested_status_expr(as_of),
    }


def status_expr(as_of: dt.date | None) -> ColumnElement[Status]:
    """A recommendation's status as SQL: the kept column now, derived from history as of a day."""
    if as_of is None:
        return Recommendation.status.expression
    return func.coalesce(latest_assessment_status(as_of), literal(Status.pending.value))


def is_overdue(status: Status, due_on: dt.date | None, today: dt.date) -> bool:
    """Overdue (Python): due before `today` and neither complied nor withdrawn."""
    return due_on is not None and due_on < today and status not in DONE


def overdue_sql(status: ColumnElement[Any], due_on: ColumnElement[Any], day: dt.date) -> ColumnElement[bool]:
    """`is_overdue` in SQL, judged on `day`."""
    return and_(due_on.is_not(None), due_on < day, status.not_in([s.value for s in DONE]))


def overdue_clause(as_of: dt.date | None) -> ColumnElement[bool]:
    """Recommendations overdue as of the day (today when None)."""
    return overdue_sql(status_expr(as_of), Recommendation.due_on.expression, AsOf(as_of).today)


def refresh_recommendation(session: Session, recommendation: Recommendation) -> None:
    """Set the kept status, last assessment day, origin, review and suggestion from the
    recommendation's history."""
    session.flush()
    history = session.scalars(select(Assessment).where(Assessment.recommendation_id == recommendation.id))
    state = state_of(history)
    for key in KEPT:
        if getattr(recommendation, key) != getattr(state, key):
            setattr(recommendation, key, getattr(state, key))


# The columns of a recommendation's row that follow its history.
KEPT = ("status", "last_assessed_on", "status_origin", "status_reviewed", "suggested_status")


# -- Compliance of a group of recommendations ---------------------------------------------


def derive_compliance(counts: Mapping[Status, int]) -> Compliance:
    """Compliance of a group from the number of its recommendations in each status."""
    counted = {status: n for status, n in counts.items() if status != Status.withdrawn and n}
    total = sum(counted.values())
    if total == 0:
        return Compliance.none
    if counted.get(Status.complied, 0) == total:
        return Compliance.complied
    if counted.get(Status.complied, 0) or counted.get(Status.partially_complied, 0):
        return Compliance.partially_complied
    if counted.get(Status.pending, 0) == total:
        return Compliance.pending
    if counted.get(Status.disputed, 0) and not counted.get(Status.not_complied, 0):
        return Compliance.disputed
    return Compliance.not_complied


def complied_share(counts: Mapping[Status, int]) -> float | None:
    """Complied ÷ recommendations not withdrawn (rounded to 4 places); None when there are none."""
    total = sum(n for status, n in counts.items() if status != Status.withdrawn)
    if total == 0:
        return None
    return round(counts.get(Status.complied, 0) / total, 4)


def plain(value: str) -> str:
    """A vocabulary code in plain words (`not_complied` → "not complied")."""
    return value.replace("_", " ")


# The statuses named after "n of N complied": every other status of the vocabulary in its
# order, pending last (withdrawn ones are named apart, in brackets).
COUNTED_APART = (
    *(s for s in Status if s not in (Status.complied, Status.withdrawn, Status.pending)),
    Status.pending,
)


def describe_counts(counts: Mapping[Status, int]) -> str:
    """The counts behind a compliance label, complied first, in the reader's language
    (app.language): "1 of 8 complied, 3 not complied, 2 disputed, 2 pending" (withdrawn ones
    named apart); "no recommendations" when there are none."""
    total = sum(n for status, n in counts.items() if status != Status.withdrawn)
    withdrawn = counts.get(Status.withdrawn, 0)
    if total == 0:
        text = labels.gettext("no recommendations")
    else:
        complied = counts.get(Status.complied, 0)
        parts = [
            labels.ngettext("%(n)s of %(total)s complied", "%(n)s of %(total)s complied", complied)
            % {"n": formats.number(complied), "total": formats.number(total)}
        ]
        parts += [_counted(s, counts[s]) for s in COUNTED_APART if counts.get(s, 0)]
        text = ", ".join(parts)
    if withdrawn:
        text += f" ({_counted(Status.withdrawn, withdrawn)})"
    return text


def _counted(status: Status, n: int) -> str:
    """A count of a status in words: "3 not complied" (agreeing with the count in French)."""
    if status is Status.partially_complied:
        words = labels.ngettext("%(n)s partially complied", "%(n)s partially complied", n)
    elif status is Status.not_complied:
        words = labels.ngettext("%(n)s not complied", "%(n)s not complied", n)
    elif status is Status.disputed:
        words = labels.ngettext("%(n)s disputed", "%(n)s disputed", n)
    elif status is Status.pending:
        words = labels.ngettext("%(n)s pending", "%(n)s pending", n)
    else:
        words = labels.ngettext("%(n)s withdrawn", "%(n)s withdrawn", n)
    return words % {"n": formats.number(n)}


def compliance_sql(status: ColumnElement[Status]) -> ColumnElement[str]:
    """`derive_compliance` as an aggregate over a column of statuses (the same rule, in SQL)."""

    def count(*statuses: Status) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((status.in_([s.value for s in statuses]), 1), else_=0)), 0)

    total = count(*(s for s in Status if s != Status.withdrawn))
    return case(
        (total == 0, Compliance.none.value),
        (count(Status.complied) == total, Compliance.complied.value),
        (count(Status.complied, Status.partially_complied) > 0, Compliance.partially_complied.value),
        (count(Status.pending) == total, Compliance.pending.value),
        (
            and_(count(Status.disputed) > 0, count(Status.not_complied) == 0),
            Compliance.disputed.value,
        ),
        else_=Compliance.not_complied.value,
    )


def decision_compliance_expr(as_of: dt.date | None) -> ColumnElement[Compliance] | ColumnElement[str]:
    """A decision's compliance as SQL, for filtering lists: kept now, derived as of a day."""
    if as_of is None:
        return Decision.compliance.expression
    status = status_expr(as_of)
    return (
        select(compliance_sql(status))
        .where(Recommendation.decision_id == Decision.id, IN_COMPLIANCE)
        .correlate(Decision)
        .scalar_subquery()
    )


def status_counts(session: Session, *where: ColumnElement[bool], as_of: dt.date | None) -> Counter[Status]:
    """Number of recommendations in each status, among those matching `where` (payment
    obligations apart: they make no compliance).

    As of a day, recommendations of decisions issued after it are left out.
    """
    status = status_expr(as_of)
    stmt = select(status.label("status"), func.count()).select_from(Recommendation).where(IN_COMPLIANCE)
    if as_of is not None:
        stmt = stmt.join(Decision, Decision.id == Recommendation.decision_id).where(*AsOf(as_of).decisions())
    stmt = stmt.where(*where).group_by(status)
    return Counter({Status(s): n for s, n in session.execute(stmt)})


@dataclass(frozen=True)
class ReviewCounts:
    """How the statuses of some recommendations were known: how many a counted assessment gives
    (`assessed`), how many of those are machine readings no editor has reviewed yet
    (`unreviewed`), and how many recommendations have a suggestion awaiting review beside their
    status (`suggested`)."""

    assessed: int = 0
    unreviewed: int = 0
    suggested: int = 0


def review_counts(session: Session, *where: ColumnElement[bool], as_of: dt.date | None) -> ReviewCounts:
    """`ReviewCounts` of the recommendations matching `where`, as of the day (the review state
    is today's); as of a day, recommendations of decisions issued after it are left out."""
    beside = state_exprs(as_of)
    unreviewed = case((beside["status_reviewed"].is_(false()), 1), else_=0)
    stmt = (
        select(
            func.count(beside["status_origin"]),
            func.coalesce(func.sum(unreviewed), 0),
            func.count(beside["suggested_status"]),
        )
        .select_from(Recommendation)
        .where(IN_COMPLIANCE)
    )
    if as_of is not None:
        stmt = stmt.join(Decision, Decision.id == Recommendation.decision_id).where(*AsOf(as_of).decisions())
    assessed, machine, suggested = session.execute(stmt.where(*where)).one()
    return ReviewCounts(int(assessed), int(machine), int(suggested))


# The current counts of many decisions, the statement built once (it is on every read).
_COUNTS_NOW = (
    select(Recommendation.decision_id, Recommendation.status, func.count())
    .where(Recommendation.decision_id.in_(bindparam("ids", expanding=True)), IN_COMPLIANCE)
    .group_by(Recommendation.decision_id, Recommendation.status)
)


def counts_by_decision(
    session: Session, decision_ids: Iterable[int], *, as_of: dt.date | None
) -> dict[int, Counter[Status]]:
    ids = list(decision_ids)
    result: dict[int, Counter[Status]] = {i: Counter() for i in ids}
    if not ids:
        return result
    if as_of is None:
        rows = session.execute(_COUNTS_NOW, {"ids": ids})
    else:
        status = status_expr(as_of)
        rows = session.execute(
            select(Recommendation.decision_id, status, func.count())
            .where(Recommendation.decision_id.in_(ids), IN_COMPLIANCE)
            .group_by(Recommendation.decision_id, status)
        )
    for decision_id, s, n in rows:
        result[decision_id][Status(s)] = n
    return result


def refresh_decision(session: Session, decision_id: int) -> None:
    """Set the kept compliance of a decision from its recommendations' current statuses."""
    session.flush()
    counts = counts_by_decision(session, [decision_id], as_of=None)[decision_id]
    decision = session.get(Decision, decision_id)
    if decision is not None:
        compliance = derive_compliance(counts)
        if decision.compliance != compliance:
            decision.compliance = compliance


def refresh_all(session: Session) -> None:
    """Set every kept status and compliance from the history in two statements (after a
    bulk load, where refreshing row by row would take one query per recommendation)."""
    session.flush()
    recommendations = table_of(Recommendation)
    last_on = latest_assessment(Assessment.assessed_on, None)
    session.execute(
        update(recommendations).values(
            status=func.coalesce(latest_assessment_status(None), literal(Status.pending.value)),
            last_assessed_on=last_on,
            status_origin=latest_assessment(Assessment.origin, None),
            status_reviewed=latest_assessment(REVIEWED, None),
            suggested_status=suggested_status_expr(None),
            # Derived columns only: the row itself is not edited.
            updated_at=recommendations.c.updated_at,
        )
    )
    decisions = table_of(Decision)
    session.execute(
        update(decisions).values(
            compliance=select(compliance_sql(Recommendation.status.expression))
            .where(Recommendation.decision_id == Decision.id, IN_COMPLIANCE)
            .correlate(Decision)
            .scalar_subquery(),
            updated_at=decisions.c.updated_at,
        )
    )
    session.expire_all()


# -- Standing --------------------------------------------------------------------------


def derive_standing(relations_oldest_first: Iterable[Relation]) -> Standing:
    """Standing from the standing relations of later decisions, oldest first: the last decides."""
    standing = Standing.in_force
    for relation in relations_oldest_first:
        standing = STANDING_RELATIONS.get(relation, standing)
    return standing


def standings(session: Session, decision_ids: Iterable[int], *, as_of: dt.date | None) -> dict[int, Standing]:
    ids = list(decision_ids)
    if not ids:
        return {}
    later = aliased(Decision)
    stmt = (
        select(DecisionRelation.related_decision_id, DecisionRelation.relation)
        .join(later, later.id == DecisionRelation.decision_id)
        .where(
            DecisionRelation.related_decision_id.in_(ids),
            DecisionRelation.relation.in_([r.value for r in STANDING_RELATIONS]),
        )
        .order_by(later.issued_on, later.id)
    )
    stmt = stmt.where(*AsOf(as_of).decisions(later.issued_on))
    by_decision: dict[int, list[Relation]] = {i: [] for i in ids}
    for decision_id, relation in session.execute(stmt):
        by_decision[decision_id].append(Relation(relation))
    return {i: derive_standing(rels) for i, rels in by_decision.items()}


def standing_expr(as_of: dt.date | None) -> ColumnElement[str]:
    """A decision's standing as SQL (correlated on `Decision`): `standings` in one expression,
    the latest standing link by the later decision's `issued_on` (ties: the one made last)."""
    later = aliased(Decision)
    relation = (
        select(DecisionRelation.relation)
        .join(later, later.id == DecisionRelation.decision_id)
        .where(
            DecisionRelation.related_decision_id == Decision.id,
            DecisionRelation.relation.in_([r.value for r in STANDING_RELATIONS]),
            *AsOf(as_of).decisions(later.issued_on),
        )
        .order_by(later.issued_on.desc(), later.id.desc())
        .limit(1)
        .correlate(Decision)
        .scalar_subquery()
    )
    # The simple CASE form: the subquery is written (and run) once, not once per relation.
    return case(
        {r.value: s.value for r, s in STANDING_RELATIONS.items()},
        value=relation,
        else_=Standing.in_force.value,
    )


# -- Money -----------------------------------------------------------------------------

CONTESTED = (Standing.under_appeal, Standing.remitted)


def penalty_standing(standing: Standing) -> PenaltyStanding:
    """How a decision's penalty stands (Python): overturned, contested (in force, but under
    appeal or remitted) or in force; `penalty_standing_sql` in SQL."""
    if standing == Standing.overturned:
        return PenaltyStanding.overturned
    if standing in CONTESTED:
        return PenaltyStanding.contested
    return PenaltyStanding.in_force


def penalty_standing_sql(standing: ColumnElement[str]) -> ColumnElement[str]:
    """`penalty_standing` over a column of standings (SQL)."""
    # The simple CASE form: `standing` (a subquery, often) is written once.
    return case(
        {
            Standing.overturned.value: PenaltyStanding.overturned.value,
            **{s.value: PenaltyStanding.contested.value for s in CONTESTED},
        },
        value=standing,
        else_=PenaltyStanding.in_force.value,
    )


def in_force(standing: PenaltyStanding) -> bool:
    """A penalty in force: not overturned (a contested one is in force until decided)."""
    return standing != PenaltyStanding.overturned
