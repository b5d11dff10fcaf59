"""The reading pages of the record: the dashboard and each record's own page (a decision
with its chain, a recommendation, an organisation, a regulator, a case). Every figure comes
from the services; the lists and search are in `lists`."""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from app import labels
from app.access import public
from app.errors import Invalid
from app.models import Recommendation
from app.schemas.common import MAX_ID
from app.schemas.decision import DecisionRead
from app.schemas.filters import DecisionFilter, OrganisationFilter, RecommendationFilter
from app.services import compliance
from app.services.evidence import documents as evidence
from app.services.readmodel import store as read_store
from app.services.record import (
    cases,
    chains,
    decisions,
    duplicates,
    organisations,
    origins,
    ownership,
    recommendations,
    regulators,
)
from app.services.reporting import dashboard as dashboard_data
from app.services.shared import kept
from app.unit_of_work import SessionDep
from app.vocab import Status
from app.web import charts, forms
from app.web.templating import render

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
TIMELINE_LIMIT = 200
# A regulator's or party's page shows its newest decisions and first recommendations this many
# at a time, the rest one link away (its lists, filtered: paged, by status, with their CSV), so
# that the UN review's page stays small (194 KB with 200 of each at the UPR data's size).
OWNER_PAGE = 50


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


def record_page(
    request: Request, template: str, build: Callable[[dt.date | None], dict[str, Any]]
) -> HTMLResponse:
    """A record's page as of the day asked (`as_of`, blank is today): `build` gives what the
    page shows as of that day; a bad day is reported beside its field (422)."""
    as_of, errors = as_of_of(request)
    context = build(as_of) | {"as_of": as_of, "errors": errors}
    # A bad choice within the page (which of its recommendations) is a 422 too, said beside it.
    return render(request, template, context, status=422 if errors or context.get("choice_errors") else 200)


def owner_record(
    session: Any,
    as_of: dt.date | None,
    *,
    organisation_id: int | None = None,
    regulator_id: int | None = None,
) -> dict[str, Any]:
    """A regulator's or party's decisions (newest first) and the recommendations issued by or
    addressed to it, with the references of their decisions."""
    owner = {"organisation_id": organisation_id, "regulator_id": regulator_id, "as_of": as_of}
    timeline = decisions.list_(
        session, DecisionFilter.model_validate(owner), sort="-issued_on", limit=OWNER_PAGE
    )
    recs = recommendations.list_(session, RecommendationFilter.model_validate(owner), limit=OWNER_PAGE)
    refs = decisions.references(session, {r.decision_id for r in recs.items})
    return {"timeline": timeline, "recs": recs, "decision_refs": refs}


# Bars from x=180 to at most 480 of the 640-wide chart: the rest holds the widest figure
# ("1 032 699 (100 %)" in French) at 14 px.
CHART_WIDTH = 300


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
    def build(as_of: dt.date | None) -> dict[str, Any]:
        # The record's part is kept between changes (data: the page is rendered per reader).
        data = dashboard_data.read(session, as_of=as_of)
        return {
            "stats": data.summary,
            "bars": bars(data.summary.recommendations_by_status),
            "charts": charts.dashboard_charts(data.charts, label=labels.label),
            "overdue": data.overdue,
            "latest": data.latest,
            "activity": data.activity,
            "org_names": data.org_names,
            "kept": evidence.kept(session, sources=data.sources),
        }

    return record_page(request, "dashboard.html", build)


# -- Decisions ---------------------------------------------------------------------------


def decision_chain(session: Any, decision: DecisionRead, as_of: dt.date | None) -> list[chains.Step]:
    """The decision's chain. Most decisions link to no other either way: their chain is the
    decision alone, read from what its read model already holds (links both ways, standing)
    instead of five queries that find nothing."""
    if decision.related or decision.related_by:
        return chains.chain(session, decision_id=decision.id, as_of=as_of)
    d = decision
    return [chains.Step(d.id, d.reference, d.title, d.issued_on, d.standing, [])]


# The recommendations a decision page shows at once (a UPR review holds hundreds: 390 cards
# made a page of 431 KB).
REC_PAGE = 50


def _rec_choice(request: Request) -> tuple[Status | None, str | None, dict[str, str]]:
    """The decision page's choice of recommendations: a status (`rec_status`) and the page
    (`rec_cursor`, the list's own cursor)."""
    raw = request.query_params.get("rec_status", "").strip()
    cursor = request.query_params.get("rec_cursor", "").strip()[:500] or None
    if not raw:
        return None, cursor, {}
    try:
        return Status(raw), cursor, {}
    except ValueError:
        return None, None, {"rec_status": "should be " + labels.in_words([s.value for s in Status])}


def decision_data(
    session: Any, decision_id: int, as_of: dt.date | None, rec_status: Status | None, rec_cursor: str | None
) -> dict[str, Any]:
    """What a decision's page shows of the record (the same for every reader)."""
    decision = (
        decisions.read(session, decision_id=decision_id, as_of=as_of)
        if as_of
        else DecisionRead.model_validate_json(read_store.one(session, decision_id)[1])
    )
    rec_errors: dict[str, str] = {}
    rec_filter = RecommendationFilter(decision_id=decision_id, as_of=as_of, status=rec_status)
    try:
        rec_page = recommendations.list_(session, rec_filter, limit=REC_PAGE, cursor=rec_cursor)
    except Invalid as exc:
        rec_errors, rec_cursor = {"rec_cursor": exc.detail}, None
        rec_page = recommendations.list_(session, rec_filter, limit=REC_PAGE)
    recs = rec_page.items
    # Counted only where one page does not hold them all (most decisions: no query).
    whole = rec_cursor is None and rec_page.next_cursor is None
    rec_total = len(recs) if whole else recommendations.count(session, rec_filter)
    # The parties' names are in the read; only others (a finding's or recommendation's
    # organisation that is not a party) are looked up.
    org_names = {o.organisation_id: o.name for o in decision.organisations}
    others = {o for r in recs for o in (r.organisation_id, *r.recommended_by)} | {
        f.organisation_id for f in decision.findings if f.organisation_id is not None
    }
    if others - org_names.keys():
        org_names |= organisations.names(session, others - org_names.keys())
    case_title = cases.titles(session, [decision.case_id]).get(decision.case_id) if decision.case_id else None
    history = recommendations.histories(session, recommendation_ids=[r.id for r in recs], as_of=as_of)
    # Kept beyond this request (`DECISION_PAGES`): taken out of the session, so that nothing
    # done to it later (a rollback expires what it holds) can unload them.
    for assessment in (a for h in history.values() for a in h):
        session.expunge(assessment)
    return {
        "d": decision,
        "recs": recs,
        "rec_page": rec_page,
        "rec_total": rec_total,
        "rec_status": rec_status,
        "cursor_errors": rec_errors,
        "review": compliance.review_counts(session, Recommendation.decision_id == decision_id, as_of=as_of),
        "history": history,
        # Where each imported assessment came from, said in its timeline.
        "origins": origins.of(session, "assessment", [a.id for h in history.values() for a in h]),
        "org_names": org_names,
        "chain": decision_chain(session, decision, as_of),
        "possible_duplicates": duplicates.decision_matches(session, decision_id),
        "archived": evidence.read_many(
            session,
            [s.document_id for s in decision.sources] + [a.document_id for h in history.values() for a in h],
        ),
        "case_title": case_title,
    }


# The decision pages' data (never their HTML: it is rendered per reader), kept between changes
# like the stats (`kept.cached`: keyed by the record's version, the day, `as_of` and the choice
# of recommendations), the newest 64 apart from the figures. The worker's changes to archived
# copies write no audit entry: the 30 s age limit bounds how long a page can miss them.
DECISION_PAGES = kept.Store(64)


@router.get("/decisions/{decision_id}", response_class=HTMLResponse, name="web_decision")
@public
def decision_page(request: Request, decision_id: Id, session: SessionDep) -> HTMLResponse:
    def build(as_of: dt.date | None) -> dict[str, Any]:
        # A big decision (a UPR review makes hundreds) shows its recommendations a page at a
        # time, of one status where asked; a bad choice is said beside the list.
        rec_status, rec_cursor, rec_errors = _rec_choice(request)
        data = kept.cached(
            session,
            f"decision-page:{decision_id}",
            (as_of, rec_status, rec_cursor),
            lambda: decision_data(session, decision_id, as_of, rec_status, rec_cursor),
            store=DECISION_PAGES,
        )
        return data | {"choice_errors": rec_errors | data["cursor_errors"]}

    return record_page(request, "decisions/detail.html", build)


# -- Recommendations ---------------------------------------------------------------------


@router.get("/recommendations/{recommendation_id}", response_class=HTMLResponse, name="web_recommendation")
@public
def recommendation_page(request: Request, recommendation_id: Id, session: SessionDep) -> HTMLResponse:
    def build(as_of: dt.date | None) -> dict[str, Any]:
        rec = recommendations.read(session, recommendation_id=recommendation_id, as_of=as_of)
        history = recommendations.assessments(session, recommendation_id=recommendation_id, as_of=as_of)
        return {
            "r": rec,
            "history": history,
            "origins": origins.of(session, "assessment", [a.id for a in history]),
            "archived": evidence.read_many(session, (a.document_id for a in history)),
            "decision_reference": decisions.references(session, [rec.decision_id])[rec.decision_id],
            "decision_language": decisions.languages(session, [rec.decision_id])[rec.decision_id],
            "org_name": organisations.names(session, [rec.organisation_id])[rec.organisation_id],
            "org_names": organisations.names(session, rec.recommended_by),
        }

    return record_page(request, "recommendations/detail.html", build)


@router.get("/organisations/{organisation_id}", response_class=HTMLResponse, name="web_organisation")
@public
def organisation_page(request: Request, organisation_id: Id, session: SessionDep) -> HTMLResponse:
    def build(as_of: dt.date | None) -> dict[str, Any]:
        org = organisations.read(session, organisation_id=organisation_id, as_of=as_of)
        subsidiaries = organisations.list_(session, OrganisationFilter(parent_id=organisation_id), limit=100)
        formerly = organisations.former_subsidiaries(session, organisation_id)
        parent_names = organisations.names(
            session, {p.parent_id for p in org.former_parents} | ({org.parent_id} if org.parent_id else set())
        )
        parent = parent_names.get(org.parent_id) if org.parent_id else None
        review = compliance.review_counts(
            session, Recommendation.organisation_id == organisation_id, as_of=as_of
        )
        over_time = ownership.members_over_time(session, [organisation_id])
        day = compliance.AsOf(as_of).today
        members = ownership.members_on(over_time, day)[organisation_id] - {organisation_id}
        return {
            "o": org,
            "group_members": sorted(
                organisations.names(session, members).items(), key=lambda m: m[1].casefold()
            ),
            "subsidiaries": subsidiaries.items,
            "former_subsidiaries": formerly,
            "parent_name": parent,
            "parent_names": parent_names,
            "review": review,
        } | owner_record(session, as_of, organisation_id=organisation_id)

    return record_page(request, "organisations/detail.html", build)


@router.get("/regulators/{regulator_id}", response_class=HTMLResponse, name="web_regulator")
@public
def regulator_page(request: Request, regulator_id: Id, session: SessionDep) -> HTMLResponse:
    def build(as_of: dt.date | None) -> dict[str, Any]:
        record = owner_record(session, as_of, regulator_id=regulator_id)
        parties = organisations.names(session, {r.organisation_id for r in record["recs"].items})
        reg = regulators.read(session, regulator_id=regulator_id, as_of=as_of)
        return {"g": reg, "org_names": parties} | record

    return record_page(request, "regulators/detail.html", build)


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
    def build(as_of: dt.date | None) -> dict[str, Any]:
        case = cases.read(session, case_id=case_id, as_of=as_of)
        timeline = decisions.list_(
            session, DecisionFilter(case_id=case_id, as_of=as_of), sort="issued_on", limit=TIMELINE_LIMIT
        )
        return {"c": case, "timeline": timeline, "columns": side_by_side(timeline.items, case.jurisdictions)}

    return record_page(request, "cases/detail.html", build)
