"""What the review queue holds: the machine readings awaiting an editor (counted or suggestions),
oldest first, under a `ReviewFilter`; how many readings are reviewed of how many; and each item
with what it is about and who holds it."""

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from app.models import Assessment, Decision, Organisation, Recommendation, ReviewClaim
from app.schemas.recommendation import AssessmentRead
from app.schemas.review import ReviewFilter, ReviewItem, ReviewPage, ReviewRecommendation
from app.services.shared.pagination import ordered_pair, paginate
from app.vocab import Origin, Review

ASSESSMENT = "assessment"
# Machine readings: read from text by a rule, and not retracted (a retracted one is out of
# the record, and out of the queue).
READINGS = and_(Assessment.origin == Origin.classified.value, Assessment.retracted_at.is_(None))
AWAITING = Assessment.review == Review.awaiting.value
SORTS = ordered_pair("id", Assessment.id, Assessment.id)


def conditions(filters: ReviewFilter) -> list[ColumnElement[bool]]:
    """The filter as conditions on a select of assessments (joined to their recommendation)."""
    where: list[ColumnElement[bool]] = [READINGS]
    if filters.dataset is not None:
        where.append(Assessment.rule.startswith(f"{filters.dataset}:", autoescape=True))
    if filters.organisation_id is not None:
        where.append(Recommendation.organisation_id == filters.organisation_id)
    if filters.suggested_status is not None:
        where.append(Assessment.status == filters.suggested_status.value)
    if filters.confidence_below is not None:
        where.append(func.coalesce(Assessment.confidence, 0) < filters.confidence_below)
    if filters.confidence_at_least is not None:
        where.append(func.coalesce(Assessment.confidence, 0) >= filters.confidence_at_least)
    return where


def awaiting(filters: ReviewFilter) -> Select[Assessment]:
    """The readings awaiting review under the filter (no order)."""
    return (
        select(Assessment)
        .join(Recommendation, Recommendation.id == Assessment.recommendation_id)
        .where(AWAITING, *conditions(filters))
    )


def progress(session: Session, filters: ReviewFilter) -> tuple[int, int]:
    """(reviewed, total): the readings under the filter confirmed or corrected, and all of them."""
    reviewed = func.coalesce(func.sum(case((Assessment.review != Review.awaiting.value, 1), else_=0)), 0)
    stmt = (
        select(reviewed, func.count())
        .select_from(Assessment)
        .join(Recommendation, Recommendation.id == Assessment.recommendation_id)
        .where(*conditions(filters))
    )
    done, total = session.execute(stmt).one()
    return int(done), int(total)


def active_claims(
    session: Session, kind: str, ids: Iterable[int], now: dt.datetime
) -> dict[int, ReviewClaim]:
    wanted = list(ids)
    if not wanted:
        return {}
    return {
        c.item_id: c
        for c in session.scalars(
            select(ReviewClaim).where(
                ReviewClaim.item_kind == kind, ReviewClaim.item_id.in_(wanted), ReviewClaim.expires_at > now
            )
        )
    }


def items(session: Session, assessments: list[Assessment]) -> list[ReviewItem]:
    """The queue items of these readings: each with its recommendation and its claim."""
    if not assessments:
        return []
    rec_ids = {a.recommendation_id for a in assessments}
    about = {
        rec.id: (rec, reference, name)
        for rec, reference, name in session.execute(
            select(Recommendation, Decision.reference, Organisation.name)
            .join(Decision, Decision.id == Recommendation.decision_id)
            .join(Organisation, Organisation.id == Recommendation.organisation_id)
            .where(Recommendation.id.in_(rec_ids))
        )
    }
    claims = active_claims(session, ASSESSMENT, (a.id for a in assessments), dt.datetime.now(dt.UTC))
    out = []
    for a in assessments:
        rec, reference, name = about[a.recommendation_id]
        claim = claims.get(a.id)
        out.append(
            ReviewItem(
                assessment=AssessmentRead.model_validate(a),
                recommendation=ReviewRecommendation(
                    id=rec.id,
                    reference=rec.reference,
                    text=rec.text,
                    decision_id=rec.decision_id,
                    decision_reference=reference,
                    organisation_id=rec.organisation_id,
                    organisation_name=name,
                    status=rec.status,
                    suggested_status=rec.suggested_status,
                ),
                claimed_by_name=claim.holder_name if claim else None,
                claimed_until=claim.expires_at if claim else None,
            )
        )
    return out


def list_(session: Session, filters: ReviewFilter, *, limit: int, cursor: str | None) -> ReviewPage:
    """One page of the readings awaiting review, oldest first, with the queue's progress."""
    rows, next_cursor = paginate(
        session, awaiting(filters), sorts=SORTS, sort="id", limit=limit, cursor=cursor
    )
    reviewed, total = progress(session, filters)
    return ReviewPage(
        items=items(session, [row[0] for row in rows]),
        next_cursor=next_cursor,
        reviewed=reviewed,
        total=total,
    )
