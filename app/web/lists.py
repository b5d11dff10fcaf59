"""The list pages (decisions, recommendations, organisations, regulators, cases) and the
search page: each reads its query from the address (one filter model per list, shared with
the API), shows one page of the service's list with its total, position and facets, and
reports a bad filter beside its field."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.access import public
from app.errors import Invalid
from app.labels import gettext
from app.services.record import cases, decisions, organisations, recommendations, regulators
from app.services.search import engine as search_service
from app.unit_of_work import SessionDep
from app.vocab import SearchType
from app.web import forms, urls
from app.web.templating import render

router = APIRouter(include_in_schema=False)


def _summary(session: Any, service: Any, query: Any) -> dict[str, Any]:
    """A filtered list's total, where this page starts in it, the cursor of the page before
    ("" for the first page, None on it), and the counts of its facets."""
    filters = query.filter()
    return {
        "total": service.count(session, filters),
        "start": service.start(session, filters, sort=query.sort, cursor=query.cursor),
        "previous": service.previous(
            session, filters, sort=query.sort, cursor=query.cursor, limit=query.limit
        ),
        "facets": service.facets(session, filters),
        "filters": filters,
    }


def _list_page(
    request: Request,
    session: Any,
    service: Any,
    query_type: type[forms.ListQuery],
    names: Callable[[Any], dict[str, Any]] | None = None,
    summary: bool = False,
) -> HTMLResponse:
    """A list page: the query from the address (`query_type`: the list's filter model, its
    order and its page), one page of the service's list, (through `names`) the names of the
    records the page links to and (with `summary`) its total, position and facet counts."""
    params, choice_errors, chosen = forms.resolve_list_choices(session, request.query_params)
    query, errors = query_type.parse(params)
    errors = choice_errors | errors
    context: dict[str, Any] = {"chosen": chosen, "sorts": forms.sort_choices(query_type.orders())}
    page = None
    if not errors:
        try:
            page = service.list_(
                session, query.filter(), sort=query.sort, limit=query.limit, cursor=query.cursor
            )
        except Invalid as exc:
            errors = forms.errors_of(exc.errors) or {"": exc.detail}
    if page is not None and names is not None:
        context |= names(page)
    if page is not None and summary:
        context |= _summary(session, service, query)
    context = {"query": query, "page": page, "errors": errors, "as_of": query.as_of, **context}
    return render(
        request, f"{service.__name__.rpartition('.')[2]}/list.html", context, status=422 if errors else 200
    )


@router.get("/decisions", response_class=HTMLResponse, name="web_decisions")
@public
def decision_list(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(request, session, decisions, forms.DecisionQuery, summary=True)


@router.get("/recommendations", response_class=HTMLResponse, name="web_recommendations")
@public
def recommendation_list(request: Request, session: SessionDep) -> HTMLResponse:
    def names(page: Any) -> dict[str, Any]:
        return {
            "decision_refs": decisions.references(session, {r.decision_id for r in page.items}),
            "org_names": organisations.names(
                session, {o for r in page.items for o in (r.organisation_id, *r.recommended_by)}
            ),
        }

    return _list_page(request, session, recommendations, forms.RecommendationQuery, names, summary=True)


@router.get("/organisations", response_class=HTMLResponse, name="web_organisations")
@public
def organisation_list(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(request, session, organisations, forms.OrganisationQuery, summary=True)


@router.get("/regulators", response_class=HTMLResponse, name="web_regulators")
@public
def regulator_list(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(request, session, regulators, forms.RegulatorQuery, summary=True)


@router.get("/cases", response_class=HTMLResponse, name="web_cases")
@public
def case_list(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(request, session, cases, forms.CaseQuery, summary=True)


SEARCH_PAGE = 20
# Where each kind of hit is shown: its own page (a finding on its decision's page).
HIT_PAGES = {
    SearchType.decision: ("web_decision", "decision_id"),
    SearchType.recommendation: ("web_recommendation", "recommendation_id"),
    SearchType.organisation: ("web_organisation", "organisation_id"),
    SearchType.regulator: ("web_regulator", "regulator_id"),
    SearchType.case: ("web_case", "case_id"),
}


@router.get("/search", response_class=HTMLResponse, name="web_search")
@public
def search_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Full-text search over the whole record, through the same service as the API."""
    params = request.query_params
    q = params.get("q", "").strip()
    wanted = params.getlist("type")
    errors: dict[str, str] = {}
    if len(q) > 500:
        errors["q"] = gettext("At most 500 characters.")
    types = [SearchType(t) for t in wanted if t in SearchType.__members__]
    if len(types) != len(wanted):
        errors["type"] = gettext("Choose among the listed kinds of record.")
    page = None
    if q and not errors:
        try:
            page = search_service.search(
                session, q=q, types=types or None, limit=SEARCH_PAGE, cursor=params.get("cursor") or None
            )
        except Invalid as exc:
            errors = forms.errors_of(exc.errors) or {"": exc.detail}

    def link(hit: Any) -> str:
        if hit.type == SearchType.finding:
            return urls.path_for(request, "web_decision", decision_id=hit.decision_id)
        if hit.type == SearchType.document:
            return urls.path_for(request, "web_document", document_id=hit.id) + f"#page-{hit.page}"
        name, param = HIT_PAGES[hit.type]
        return urls.path_for(request, name, **{param: hit.id})

    next_url = None
    if page is not None and page.next_cursor:
        query = {"q": q, "type": [t.value for t in types], "cursor": page.next_cursor}
        next_url = f"{urls.path_for(request, 'web_search')}?{urlencode(query, doseq=True)}"
    context = {
        "q": q,
        "types": types,
        "page": page,
        "errors": errors,
        "link": link,
        "kinds": list(SearchType),
        "next_url": next_url,
    }
    return render(request, "search.html", context, status=422 if errors else 200)
