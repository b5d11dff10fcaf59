"""Atom feeds: `/feeds/decisions.atom` (with the decision list's filters) and
`/feeds/assessments.atom` (newest compliance changes), so a reader can follow one
organisation, regulator, case or decision.

A browser opening a feed (it asks for HTML before anything else) gets a page instead of the raw
XML: the same entries, and the address to paste into a feed reader; feed readers (which ask for
Atom, XML or anything) get the feed. The answer varies by `Accept`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access import public
from app.api.common import problems
from app.api.deps import FilterId, SessionDep, current_token
from app.config import get_settings
from app.labels import gettext
from app.schemas.filters import DecisionFilter
from app.services.reporting import feeds
from app.vocab import Status
from app.web.templating import render

router = APIRouter(
    prefix="/feeds", tags=["feeds"], dependencies=[Depends(current_token)], responses=problems(401)
)
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
Entries = Annotated[int, Query(ge=1, le=feeds.MAX_ENTRIES, description="Number of entries.")]
ATOM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/atom+xml": {}}, "description": "An Atom 1.0 feed"},
    **problems(400, 422),
}


def _base(request: Request) -> str:
    return (get_settings().base_url or str(request.base_url)).rstrip("/")


def wants_html(accept: str) -> bool:
    """Whether the client is a browser: it names HTML, before any XML or Atom type."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    html = next((i for i, k in enumerate(kinds) if k in ("text/html", "application/xhtml+xml")), None)
    feed = next((i for i, k in enumerate(kinds) if "atom" in k or k.endswith("/xml")), None)
    return html is not None and (feed is None or html < feed)


def _feed(request: Request, session: Any, *, path: str, title: str, page: str, entries: Any) -> Response:
    """An Atom document for `path`, its id carrying the query that filters it and its title
    the same filters in words, its alternate link the page showing the same list; for a
    browser, the same as a page."""
    base = _base(request)
    query = request.url.query
    suffix = f"?{query}" if query else ""
    scope = feeds.scope_in_words(session, request.query_params.multi_items())
    full_title = gettext("%(feed)s: %(scope)s") % {"feed": title, "scope": scope} if scope else title
    found = entries(base)
    if wants_html(request.headers.get("accept", "")):
        context = {"title": full_title, "feed_url": str(request.url), "page_url": f"{base}{page}{suffix}"}
        return render(request, "feed.html", context | {"entries": found}, headers={"Vary": "Accept"})
    body = feeds.render(
        feed_id=f"{base}{path}{suffix}",
        title=full_title,
        self_url=str(request.url),
        alternate=f"{base}{page}{suffix}",
        entries=found,
    )
    return Response(body, media_type=MEDIA_TYPE, headers={"Vary": "Accept"})


@router.get("/decisions.atom", response_class=Response, responses=ATOM_RESPONSE)
@public
def decisions_feed(
    request: Request,
    session: SessionDep,
    filters: Annotated[DecisionFilter, Query()],
    limit: Entries = feeds.DEFAULT_ENTRIES,
) -> Response:
    """The newest decisions (by the day issued), taking the decision list's filters."""
    return _feed(
        request,
        session,
        path="/feeds/decisions.atom",
        title=gettext("Findings Tracker: decisions"),
        page="/decisions",
        entries=lambda base: feeds.decision_entries(session, base=base, limit=limit, filters=filters),
    )


@router.get("/assessments.atom", response_class=Response, responses=ATOM_RESPONSE)
@public
def assessments_feed(
    request: Request,
    session: SessionDep,
    organisation_id: FilterId = None,
    regulator_id: FilterId = None,
    decision_id: FilterId = None,
    recommendation_id: FilterId = None,
    status: Status | None = None,
    limit: Entries = feeds.DEFAULT_ENTRIES,
) -> Response:
    """The newest compliance changes (assessments, most recently recorded first)."""
    return _feed(
        request,
        session,
        path="/feeds/assessments.atom",
        title=gettext("Findings Tracker: compliance changes"),
        page="/recommendations",
        entries=lambda base: feeds.assessment_entries(
            session,
            base=base,
            limit=limit,
            organisation_id=organisation_id,
            regulator_id=regulator_id,
            decision_id=decision_id,
            recommendation_id=recommendation_id,
            status=status,
        ),
    )
