"""An editor's review of a machine reading: confirm it (it counts from then on) or correct it (a
new `entered` assessment, dated as the reading and asserted by the same party, supersedes it;
the reading stays in the history, `rejected`). Refused: a reading another editor holds (409,
naming them), one already reviewed (409), anything that is not a machine reading (409), a
stale version (412). Every review is audited."""

import datetime as dt

from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import Assessment, Recommendation
from app.schemas.review import ReviewConfirm, ReviewCorrect
from app.services.compliance import plain
from app.services.record import recommendations
from app.services.review import claims, queue
from app.services.shared import audit
from app.services.shared.common import check_version, get_or_404
from app.vocab import Origin, Review


def get(session: Session, *, assessment_id: int) -> Assessment:
    return get_or_404(session, Assessment, assessment_id)


def review(
    session: Session,
    *,
    assessment_id: int,
    action: ReviewConfirm | ReviewCorrect,
    expected_version: int | None,
) -> tuple[Assessment, Assessment | None]:
    """Confirm or correct a machine reading; (the reading, the correction or None)."""
    reading = get_or_404(session, Assessment, assessment_id)
    check_version(reading, expected_version)
    if reading.origin != Origin.classified or reading.retracted_at is not None:
        why = "was retracted" if reading.retracted_at is not None else f"was {plain(reading.origin.value)}"
        raise Conflict(f"Assessment {assessment_id} {why}: it is not a machine reading awaiting review.")
    if reading.review != Review.awaiting:
        raise Conflict(
            f"Assessment {assessment_id} was already reviewed ({plain(reading.review.value)} by "
            f"{reading.reviewed_by_name} on {reading.reviewed_at:%Y-%m-%d})."
        )
    claims.check_free(session, queue.ASSESSMENT, assessment_id)
    before = audit.row(reading)
    reading.reviewed_at = dt.datetime.now(dt.UTC)
    reading.reviewed_by = audit.actor(session)
    reading.reviewed_by_name = audit.public_name(session)
    correction = None
    if isinstance(action, ReviewConfirm):
        reading.review = Review.confirmed
        reading.counted = True
    else:
        reading.review = Review.rejected
        reading.counted = False
        correction = Assessment(
            recommendation_id=reading.recommendation_id,
            status=action.status,
            assessed_on=reading.assessed_on,
            assessed_on_precision=reading.assessed_on_precision,
            asserted_by=reading.asserted_by,
            note=action.note,
            source_url=reading.source_url,
            source_title=reading.source_title,
            source_quote=reading.source_quote,
            recorded_by=audit.actor(session),
            recorded_by_name=audit.public_name(session),
            origin=Origin.entered,
            counted=True,
            review=Review.not_needed,
            corrects_id=reading.id,
        )
        session.add(correction)
    rec = get_or_404(session, Recommendation, reading.recommendation_id)
    recommendations.history_changed(session, rec)
    audit.record(
        session,
        action="confirm" if correction is None else "correct",
        entity="assessment",
        entity_id=reading.id,
        before=before,
        after=audit.row(reading),
    )
    if correction is not None:
        audit.created(session, "assessment", correction.id, audit.row(correction))
    claims.release(session, queue.ASSESSMENT, assessment_id)
    return reading, correction
