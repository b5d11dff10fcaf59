"""The reading pages: dashboard, lists and records. Every figure comes from the services.

Over 400 lines: one short route per reading page (and the decision page's chain shortcut);
split by entity when the next page comes.
"""

import datetime as dt
from collections import defaultdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from app import labels
from app.access import public
from app.api.deps import SessionDep
from app.errors import Invalid
from app.schemas.common import MAX_ID
from app.schemas.decision import DecisionRead
from app.schemas.filters import DecisionFilter, OrganisationFilter, RecommendationFilter
from app.services.readmodel import store as read_store
from app.services.record import (
    cases,
    chains,
    decisions,
    duplicates,
    organisations,
    recommendations,
    regulators,
)
from app.services.reporting import figures, stats
from app.services.search import engine as search_service
from app.vocab import CaseSort, DecisionSort, OrganisationSort, RecommendationSort, RegulatorSort, SearchType
from app.web import charts, forms, urls
from app.web.templating import render

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
TIMELINE_LIMIT = 200


class AsOfQuery(BaseModel):
    as_of: dt.date | None = None


def as_of_of(request: Request) -> tuple[dt.date | None, dict[str, str]]:
    """The page's `as_of` (blank is today); a bad one is reported beside the field."""
    raw = request.query_params.get("as_of", "").strip()
    if not raw:
        return None, {}
    try:
        return AsOfQuery.model_validate({"as_of": raw}).as_of, {}
    except ValidationError as exc:
        return None, forms.errors_of(exc)


def _summary(session: Any, service: Any, query: Any) -> dict[str, Any]:
    """A filtered list's total, where this page starts in it, and the counts of its facets."""
    filters = query.filter()
    return {
        "total": service.count(session, filters),
        "start": service.start(session, filters, sort=query.sort, cursor=query.cursor),
        "facets": service.facets(session, filters),
        "filters": filters,
    }


def _list_page(
    request: Request,
    session: Any,
    template: str,
    query_type: type[forms.ListQuery],
    load: Any,
    context: dict[str, Any],
    names: Any = None,
    summary: Any = None,
) -> HTMLResponse:
    """A list page: the query from the address, one page of the service's list, (through
    `names`) the names of the records the page links to and (through `summary`) its total and
    facet counts."""
    params, choice_errors, chosen = forms.resolve_list_choices(session, request.query_params)
    query, errors = query_type.parse(params)
    errors = choice_errors | errors
    context = context | {"chosen": chosen}
    status = 200
    page = None
    if not errors:
        try:
            page = load(query)
        except Invalid as exc:
            errors = forms.errors_of(exc.errors) or {"": exc.detail}
    if errors:
        status = 422
    if page is not None and names is not None:
        context = context | names(page)
    if page is not None and summary is not None:
        context = context | summary(query)
    context = {"query": query, "page": page, "errors": errors, "as_of": query.as_of, **context}
    return render(request, template, context, status=status)


CHART_WIDTH = 360


def bars(counts: dict[Any, int]) -> list[dict[str, Any]]:
    """The bars of the dashboard's chart: length relative to the largest, share of the total."""
    top = max(counts.values(), default=0) or 1
    total = sum(counts.values()) or 1
    return [
        {
            "status": str(status),
            "count": n,
            "width": round(n / top * CHART_WIDTH, 1) if n else 0,
            "percent": round(n * 100 / total),
        }
        for status, n in counts.items()
    ]


@router.get("/", response_class=HTMLResponse, name="web_dashboard")
@public
def dashboard(request: Request, session: SessionDep) -> HTMLResponse:
    as_of, errors = as_of_of(request)
    summary = stats.summary(session, as_of=as_of)
    overdue = recommendations.list_(
        session, RecommendationFilter(overdue=True, as_of=as_of), sort="id", limit=10
    )
    latest = decisions.list_(session, DecisionFilter(as_of=as_of), sort="-issued_on", limit=8)
    activity = recommendations.latest_assessments(session, as_of=as_of, limit=8)
    return render(
        request,
        "dashboard.html",
        {
            "stats": summary,
            "bars": bars(summary.recommendations_by_status),
            "charts": charts.dashboard_charts(figures.charts(session, as_of=as_of), label=labels.label),
            "overdue": overdue,
            "latest": latest.items,
            "activity": activity,
            "as_of": as_of,
            "errors": errors,
            "org_names": organisations.names(session, {r.organisation_id for r in overdue.items}),
        },
        status=422 if errors else 200,
    )


# -- Decisions ---------------------------------------------------------------------------


@router.get("/decisions", response_class=HTMLResponse, name="web_decisions")
@public
def decision_list(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(
        request,
        session,
        "decisions/list.html",
        forms.DecisionQuery,
        lambda q: decisions.list_(session, q.filter(), sort=q.sort, limit=q.limit, cursor=q.cursor),
        {"sorts": forms.sort_choices(DecisionSort)},
        summary=lambda q: _summary(session, decisions, q),
    )


def decision_chain(session: Any, decision: DecisionRead, as_of: dt.date | None) -> list[chains.Step]:
    """The decision's chain. Most decisions link to no other either way: their chain is the
    decision alone, read from what its read model already holds (links both ways, standing)
    instead of five queries that find nothing."""
    if decision.related or decision.related_by:
        return chains.chain(session, decision_id=decision.id, as_of=as_of)
    d = decision
    return [chains.Step(d.id, d.reference, d.title, d.issued_on, d.standing, [])]


@router.get("/decisions/{decision_id}", response_class=HTMLResponse, name="web_decision")
@public
def decision_page(request: Request, decision_id: Id, session: SessionDep) -> HTMLResponse:
    as_of, errors = as_of_of(request)
    decision = (
        decisions.read(session, decision_id=decision_id, as_of=as_of)
        if as_of
        else DecisionRead.model_validate_json(read_store.one(session, decision_id)[1])
    )
    recs = recommendations.list_(
        session, RecommendationFilter(decision_id=decision_id, as_of=as_of), limit=500
    ).items
    history = recommendations.histories(session, recommendation_ids=[r.id for r in recs], as_of=as_of)
    # The parties' names are in the read; only others (a finding's or recommendation's
    # organisation that is not a party) are looked up.
    org_names = {o.organisation_id: o.name for o in decision.organisations}
    others = {r.organisation_id for r in recs} | {
        f.organisation_id for f in decision.findings if f.organisation_id is not None
    }
    if others - org_names.keys():
        org_names |= organisations.names(session, others - org_names.keys())
    return render(
        request,
        "decisions/detail.html",
        {
            "d": decision,
            "recs": recs,
            "history": history,
            "org_names": org_names,
            "chain": decision_chain(session, decision, as_of),
            "possible_duplicates": duplicates.decision_matches(session, decision_id),
            "case_title": cases.titles(session, [decision.case_id]).get(decision.case_id)
            if decision.case_id
            else None,
            "as_of": as_of,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


# -- Recommendations ---------------------------------------------------------------------


@router.get("/recommendations", response_class=HTMLResponse, name="web_recommendations")
@public
def recommendation_list(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(
        request,
        session,
        "recommendations/list.html",
        forms.RecommendationQuery,
        lambda q: recommendations.list_(session, q.filter(), sort=q.sort, limit=q.limit, cursor=q.cursor),
        {"sorts": forms.sort_choices(RecommendationSort)},
        lambda page: {
            "decision_refs": decisions.references(session, {r.decision_id for r in page.items}),
            "org_names": organisations.names(session, {r.organisation_id for r in page.items}),
        },
        lambda q: _summary(session, recommendations, q),
    )


@router.get("/recommendations/{recommendation_id}", response_class=HTMLResponse, name="web_recommendation")
@public
def recommendation_page(
    request: Request, recommendation_id: Id, session: SessionDep
) -> HTMLResponse:
    as_of, errors = as_of_of(request)
    rec = recommendations.read(session, recommendation_id=recommendation_id, as_of=as_of)
    history = recommendations.assessments(session, recommendation_id=recommendation_id, as_of=as_of)
    return render(
        request,
        "recommendations/detail.html",
        {
            "r": rec,
            "history": history,
            "decision_reference": decisions.references(session, [rec.decision_id])[rec.decision_id],
            "org_name": organisations.names(session, [rec.organisation_id])[rec.organisation_id],
            "as_of": as_of,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


# -- Organisations, regulators, cases ---------------------------------------------------------


@router.get("/organisations", response_class=HTMLResponse, name="web_organisations")
@public
def organisation_list(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(
        request,
        session,
        "organisations/list.html",
        forms.OrganisationQuery,
        lambda q: organisations.list_(session, q.filter(), sort=q.sort, limit=q.limit, cursor=q.cursor),
        {"sorts": forms.sort_choices(OrganisationSort)},
    )


@router.get("/organisations/{organisation_id}", response_class=HTMLResponse, name="web_organisation")
@public
def organisation_page(
    request: Request, organisation_id: Id, session: SessionDep
) -> HTMLResponse:
    as_of, errors = as_of_of(request)
    org = organisations.read(session, organisation_id=organisation_id, as_of=as_of)
    timeline = decisions.list_(
        session,
        DecisionFilter(organisation_id=organisation_id, as_of=as_of),
        sort="-issued_on",
        limit=TIMELINE_LIMIT,
    )
    recs = recommendations.list_(
        session, RecommendationFilter(organisation_id=organisation_id, as_of=as_of), limit=TIMELINE_LIMIT
    )
    subsidiaries = organisations.list_(
        session, OrganisationFilter(parent_id=organisation_id), limit=100
    ).items
    return render(
        request,
        "organisations/detail.html",
        {
            "o": org,
            "timeline": timeline,
            "recs": recs,
            "subsidiaries": subsidiaries,
            "parent_name": organisations.names(session, [org.parent_id]).get(org.parent_id)
            if org.parent_id
            else None,
            "decision_refs": decisions.references(session, {r.decision_id for r in recs.items}),
            "as_of": as_of,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


@router.get("/regulators", response_class=HTMLResponse, name="web_regulators")
@public
def regulator_list(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(
        request,
        session,
        "regulators/list.html",
        forms.RegulatorQuery,
        lambda q: regulators.list_(session, q.filter(), sort=q.sort, limit=q.limit, cursor=q.cursor),
        {"sorts": forms.sort_choices(RegulatorSort)},
    )


@router.get("/regulators/{regulator_id}", response_class=HTMLResponse, name="web_regulator")
@public
def regulator_page(request: Request, regulator_id: Id, session: SessionDep) -> HTMLResponse:
    as_of, errors = as_of_of(request)
    reg = regulators.read(session, regulator_id=regulator_id, as_of=as_of)
    timeline = decisions.list_(
        session,
        DecisionFilter(regulator_id=regulator_id, as_of=as_of),
        sort="-issued_on",
        limit=TIMELINE_LIMIT,
    )
    recs = recommendations.list_(
        session, RecommendationFilter(regulator_id=regulator_id, as_of=as_of), limit=TIMELINE_LIMIT
    )
    return render(
        request,
        "regulators/detail.html",
        {
            "g": reg,
            "timeline": timeline,
            "recs": recs,
            "org_names": organisations.names(session, {r.organisation_id for r in recs.items}),
            "decision_refs": decisions.references(session, {r.decision_id for r in recs.items}),
            "as_of": as_of,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


@router.get("/cases", response_class=HTMLResponse, name="web_cases")
@public
def case_list(request: Request, session: SessionDep) -> HTMLResponse:
    return _list_page(
        request,
        session,
        "cases/list.html",
        forms.CaseQuery,
        lambda q: cases.list_(session, q.filter(), sort=q.sort, limit=q.limit, cursor=q.cursor),
        {"sorts": forms.sort_choices(CaseSort)},
    )


def side_by_side(items: list[Any], order: list[str]) -> list[tuple[list[str], list[Any]]]:
    """A case's decisions side by side: a column per jurisdiction, where jurisdictions that
    decided together (a joint decision of regulators of several) share one column, so each
    decision is shown once, with all its regulators. Columns follow `order`, decisions keep
    theirs."""
    group: dict[str, str] = {}  # union-find over jurisdictions: each one's representative

    def root(j: str) -> str:
        while group.setdefault(j, j) != j:
            j = group[j]
        return j

    for d in items:
        for r in d.regulators:
            first, other = root(d.regulators[0].jurisdiction), root(r.jurisdiction)
            if other != first:
                group[other] = first
    rank = {j: i for i, j in enumerate(order)}
    members: dict[str, list[str]] = defaultdict(list)
    for j in sorted(group, key=lambda j: (rank.get(j, len(rank)), j)):
        members[root(j)].append(j)
    decided: dict[str, list[Any]] = defaultdict(list)
    for d in items:
        if d.regulators:
            decided[root(d.regulators[0].jurisdiction)].append(d)
    return [(members[r], decided[r]) for r in members if decided[r]]


@router.get("/cases/{case_id}", response_class=HTMLResponse, name="web_case")
@public
def case_page(request: Request, case_id: Id, session: SessionDep) -> HTMLResponse:
    as_of, errors = as_of_of(request)
    case = cases.read(session, case_id=case_id, as_of=as_of)
    timeline = decisions.list_(
        session, DecisionFilter(case_id=case_id, as_of=as_of), sort="issued_on", limit=TIMELINE_LIMIT
    )
    return render(
        request,
        "cases/detail.html",
        {
            "c": case,
            "timeline": timeline,
            "columns": side_by_side(timeline.items, case.jurisdictions),
            "as_of": as_of,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


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
        errors["q"] = "At most 500 characters."
    types = [SearchType(t) for t in wanted if t in SearchType.__members__]
    if len(types) != len(wanted):
        errors["type"] = "Choose among the listed kinds of record."
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
