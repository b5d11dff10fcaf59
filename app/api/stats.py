from fastapi import APIRouter

from app.api.common import READ
from app.api.deps import AsOf, SessionDep
from app.schemas.stats import StatsRead
from app.services import stats

router = APIRouter(prefix="/stats", tags=["stats"])


@router.get("", response_model=StatsRead, responses=READ)
def get_stats(session: SessionDep, as_of: AsOf = None) -> StatsRead:
    """Counts by compliance status, overdue recommendations, decisions by year and by
    regulator, and penalties summed by currency, as the record stood on `as_of`."""
    return stats.summary(session, as_of=as_of)
