"""GET /api/v1/stats: the figures the dashboard draws, as JSON.

A router of its own, with the same prefix and caller check as the rest of version 1.
"""

from fastapi import APIRouter, Depends

from app.api.common import READ
from app.api.deps import AsOf, SessionDep, current_token
from app.schemas.stats import StatsRead
from app.services import stats

router = APIRouter(prefix="/api/v1/stats", tags=["stats"], dependencies=[Depends(current_token)])


@router.get("", response_model=StatsRead, responses=READ)
def get_stats(session: SessionDep, as_of: AsOf = None) -> StatsRead:
    """Counts by compliance status, overdue recommendations, decisions by year and by
    regulator, and penalties summed by currency, as the record stood on `as_of`."""
    return stats.summary(session, as_of=as_of)
