from fastapi import APIRouter

from app.access import public
from app.api.common import READ
from app.api.deps import AsOf, SessionDep
from app.api.idempotency import ApiRoute
from app.schemas.stats import StatsRead
from app.services.reporting import stats

router = APIRouter(route_class=ApiRoute, prefix="/stats", tags=["stats"])


@router.get("", response_model=StatsRead, responses=READ)
@public
def get_stats(session: SessionDep, as_of: AsOf = None) -> StatsRead:
    """Counts by compliance status, overdue recommendations, decisions by year and by
    regulator, and penalties summed by currency, as the record stood on `as_of`."""
    return stats.summary(session, as_of=as_of)
