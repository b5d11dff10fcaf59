"""Full-text search over the whole record."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.access import public
from app.api.common import READ
from app.api.deps import DEFAULT_PAGE, Cursor, Limit, SessionDep
from app.api.idempotency import ApiRoute
from app.schemas.search import SearchPage
from app.services.search import engine as search_service
from app.vocab import SearchType

router = APIRouter(route_class=ApiRoute, prefix="/search", tags=["search"])


@router.get("", response_model=SearchPage, responses=READ)
@public
def search(
    session: SessionDep,
    q: Annotated[
        str,
        Query(
            max_length=500,
            description='Words to find, all of them. `"a phrase"` in quotes, `prefix*`, '
            "`a OR b`, `-left_out`; case and accents are ignored. Other punctuation only "
            "separates words.",
        ),
    ] = "",
    type: Annotated[
        list[SearchType] | None, Query(description="Only these types of record (repeat for several).")
    ] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> SearchPage:
    """Decisions (title, reference, summary), findings, recommendations, organisations (with
    their aliases), regulators (with their short names) and cases, best match first.

    Each hit has its `type`, `id`, `title` and a `snippet`: HTML, the matched words in
    `<mark>` and the rest escaped.
    """
    return search_service.search(session, q=q, types=type, limit=limit, cursor=cursor)
