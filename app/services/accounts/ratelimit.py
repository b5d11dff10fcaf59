"""Limits on how often a client (or an e-mail address) may ask for something that sends
mail: sign-up and password-reset requests. Counted in the database, so every app process
sees the same counts."""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.models import RateLimitHit

WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Limited:
    retry_after: int  # seconds


def hit(session: Session, *, key: str, limit: int, now: dt.datetime | None = None) -> Limited | None:
    """Count one request for `key`; None while it is within `limit` an hour, else how long to wait
    (a refused request is not counted, so waiting is enough)."""
    now = now or dt.datetime.now(dt.UTC)
    key = key[:200]
    session.execute(delete(RateLimitHit).where(RateLimitHit.key == key, RateLimitHit.at <= now - WINDOW))
    count, oldest = session.execute(
        select(func.count(), func.min(RateLimitHit.at)).where(RateLimitHit.key == key)
    ).one()
    if count >= limit:
        return Limited(max(1, int((oldest + WINDOW - now).total_seconds()) + 1))
    session.add(RateLimitHit(key=key, at=now))
    session.flush()
    return None
