"""Claims on the items of the review queue: an editor holds the item they are reviewing for
`LEASE`, and nobody else is given it or may review it meanwhile. An editor holds one claim at a
time: taking the next item lets the last one go. A claim that lapses (the editor went away) is
simply taken over.

Handing out the next item is race-free on both databases: on PostgreSQL the candidate is read
`FOR UPDATE SKIP LOCKED` (two editors asking at once are given two items), on SQLite the write
transaction that reads it holds the database's write lock; the unique (kind, item) of the claims
refuses anything that would slip through.
"""

import datetime as dt

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import Assessment, ReviewClaim
from app.schemas.review import ReviewFilter
from app.services.review import queue
from app.services.shared import audit

LEASE = dt.timedelta(minutes=10)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def holding(session: Session, kind: str, item_id: int) -> ReviewClaim | None:
    """The claim on an item that holds now, if any."""
    return session.scalar(
        select(ReviewClaim).where(
            ReviewClaim.item_kind == kind, ReviewClaim.item_id == item_id, ReviewClaim.expires_at > now()
        )
    )


def check_free(session: Session, kind: str, item_id: int) -> None:
    """Refuse (409) to let the caller act on an item another editor holds, naming them and until when."""
    claim = holding(session, kind, item_id)
    if claim is not None and claim.holder != audit.actor(session):
        raise Conflict(
            f"The {kind} {item_id} is being reviewed by {claim.holder_name} until "
            f"{claim.expires_at:%Y-%m-%d %H:%M} UTC; take another item, or try again after that.",
            headers={"Retry-After": str(max(1, int((claim.expires_at - now()).total_seconds())))},
        )


def claim(session: Session, kind: str, item_id: int) -> ReviewClaim:
    """Hold the item for the caller for `LEASE` (409 when another editor holds it); the caller's
    other claim, if any, is let go."""
    check_free(session, kind, item_id)
    actor = audit.actor(session)
    session.execute(
        delete(ReviewClaim).where(
            (ReviewClaim.holder == actor)
            | ((ReviewClaim.item_kind == kind) & (ReviewClaim.item_id == item_id))
        )
    )
    held = ReviewClaim(
        item_kind=kind,
        item_id=item_id,
        holder=actor,
        holder_name=audit.public_name(session),
        expires_at=now() + LEASE,
    )
    session.add(held)
    session.flush()
    return held


def release(session: Session, kind: str, item_id: int) -> None:
    """Let go of the caller's claim on the item (once it is reviewed)."""
    session.execute(
        delete(ReviewClaim).where(
            ReviewClaim.item_kind == kind,
            ReviewClaim.item_id == item_id,
            ReviewClaim.holder == audit.actor(session),
        )
    )


def claim_next(
    session: Session, filters: ReviewFilter, *, after: int | None = None, before: int | None = None
) -> Assessment | None:
    """Claim the first reading awaiting review under the filter that no other editor holds:
    after the reading `after` (the next one; from the start when there is none after it), or
    the last one before `before` (the previous one). None when none is left."""
    free = ~exists().where(
        ReviewClaim.item_kind == queue.ASSESSMENT,
        ReviewClaim.item_id == Assessment.id,
        ReviewClaim.expires_at > now(),
        ReviewClaim.holder != audit.actor(session),
    )
    base = queue.awaiting(filters).where(free)
    if before is not None:
        attempts = [base.where(Assessment.id < before).order_by(Assessment.id.desc())]
    elif after is not None:
        attempts = [base.where(Assessment.id > after).order_by(Assessment.id), base.order_by(Assessment.id)]
    else:
        attempts = [base.order_by(Assessment.id)]
    postgres = session.get_bind().dialect.name == "postgresql"
    for stmt in attempts:
        stmt = stmt.limit(1)
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True, of=Assessment)
        found = session.scalar(stmt)
        if found is not None:
            claim(session, queue.ASSESSMENT, found.id)
            return found
    return None
