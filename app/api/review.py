"""The review queue (editors): machine readings awaiting an editor, claimed one at a time, each
confirmed or corrected; an assessment read on its own (with its ETag, for `If-Match`); and
readers' error reports: filed by anyone (limited), accepted or declined by an editor."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from app.access import public
from app.api.common import READ_ITEM, problems, with_etag
from app.api.deps import DEFAULT_PAGE, Cursor, Editor, IfMatch, Limit, SessionDep, item_id, require
from app.api.idempotency import ApiRoute
from app.errors import NotFound
from app.models import ApiToken
from app.schemas.recommendation import AssessmentRead
from app.schemas.review import (
    ReportAction,
    ReportCreate,
    ReportRead,
    ReviewAction,
    ReviewFilter,
    ReviewItem,
    ReviewOutcome,
    ReviewPage,
)
from app.services.record import recommendations
from app.services.review import actions, claims, queue, reports
from app.services.shared import audit
from app.vocab import Role

router = APIRouter(tags=["review"], route_class=ApiRoute)
AssessmentId = Annotated[int, item_id("assessment_id")]
ItemAfter = Annotated[int | None, Query(ge=1, description="Claim the next item after this one (by id).")]
ItemBefore = Annotated[int | None, Query(ge=1, description="Claim the last item before this one (by id).")]


@router.get("/review", response_model=ReviewPage)
def list_review_items(
    filters: Annotated[ReviewFilter, Query()],
    session: SessionDep,
    _: Editor,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> ReviewPage:
    """The machine readings awaiting review, oldest first, each with what it is about and who
    holds it; with how many readings under the same filters are reviewed (`reviewed` of
    `total`)."""
    if filters.kind == "report":
        return reports.page(session, limit=limit, cursor=cursor)
    return queue.list_(session, filters, limit=limit, cursor=cursor)


@router.post("/review/claim", response_model=ReviewItem, responses=problems(404))
def claim_review_item(
    filters: Annotated[ReviewFilter, Query()],
    session: SessionDep,
    _: Editor,
    after: ItemAfter = None,
    before: ItemBefore = None,
) -> ReviewItem:
    """Claim the next reading awaiting review that no other editor holds (held for 10 minutes,
    or until you review it or claim another); 404 when none is left under the filters."""
    if filters.kind == "report":
        report = reports.claim_next(session, after=after)
        if report is None:
            raise NotFound("No report awaits an editor (or the others are held).")
        return reports.items(session, [report])[0]
    found = claims.claim_next(session, filters, after=after, before=before)
    if found is None:
        raise NotFound("No machine reading awaits review under these filters (or the others are held).")
    return queue.items(session, [found])[0]


@router.get("/assessments/{assessment_id}", response_model=AssessmentRead, responses=READ_ITEM)
@public
def get_assessment(assessment_id: AssessmentId, session: SessionDep, response: Response) -> AssessmentRead:
    """One assessment, with its provenance and review; its `ETag` is what a review sends in `If-Match`."""
    assessment = actions.get(session, assessment_id=assessment_id)
    with_etag(response, assessment.version)
    return recommendations.assessment_reads(session, [assessment])[0]


@router.post(
    "/assessments/{assessment_id}/review",
    response_model=ReviewOutcome,
    responses=problems(404, 409, 412, 428),
)
def review_assessment(
    assessment_id: AssessmentId,
    action: Annotated[ReviewAction, Body()],
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> ReviewOutcome:
    """Confirm a machine reading (`{"action": "confirm"}`: it counts from now on) or correct it
    (`{"action": "correct", "status": ..., "note": ...}`: a new assessment entered by you, dated
    as the reading, supersedes it; both stay in the history). `If-Match` is the reading's ETag
    (412 when stale, 428 without); 409 while another editor holds it (naming them and until
    when) or when it is already reviewed; 422 for a status outside the vocabulary."""
    reading, correction = actions.review(
        session, assessment_id=assessment_id, action=action, expected_version=version
    )
    with_etag(response, reading.version)
    return ReviewOutcome(
        reviewed=recommendations.assessment_reads(session, [reading])[0],
        correction=AssessmentRead.model_validate(correction) if correction is not None else None,
    )


ReportId = Annotated[int, item_id("report_id")]
AnyToken = Annotated[ApiToken, Depends(require(Role.reader))]


@router.post("/reports", status_code=201, response_model=ReportRead, responses=problems(404, 413, 429))
def create_report(
    data: ReportCreate, session: SessionDep, token: AnyToken, request: Request, response: Response
) -> ReportRead:
    """Report that a decision, recommendation or organisation is wrong (any token, a reader's
    too; 30 an hour per token; without an account, readers report from the pages' "Report an
    error" form): at most 5,000 characters (413 above), 429 with `Retry-After` over the limit.
    It waits in the review queue for an editor."""
    report = reports.create(
        session,
        data=data,
        user=None,
        reporter_name=audit.public_name(session),
        client=f"token:{token.id}",
        limit=reports.LIMIT_ACCOUNT,
    )
    response.headers["Location"] = str(request.url_for("get_report", report_id=report.id))
    with_etag(response, report.version)
    return ReportRead.model_validate(report)


@router.get("/reports/{report_id}", response_model=ReportRead, responses=READ_ITEM)
def get_report(report_id: ReportId, session: SessionDep, _: Editor, response: Response) -> ReportRead:
    """One report (editors); its `ETag` is what resolving it sends in `If-Match`."""
    report = reports.get(session, report_id=report_id)
    with_etag(response, report.version)
    return ReportRead.model_validate(report)


@router.post("/reports/{report_id}/review", response_model=ReportRead, responses=problems(404, 409, 412, 428))
def review_report(
    report_id: ReportId,
    action: Annotated[ReportAction, Body()],
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> ReportRead:
    """Accept a report (`{"action": "accept", "note": ..., "led_to": {"type": "assessment", "id":
    ...}}`: the change it led to) or decline it (`{"action": "decline", "reason": ...}`). The
    reporter, when signed in, is told by e-mail. 409 while another editor holds it or when it
    is already resolved; If-Match as for any change."""
    report = reports.resolve(session, report_id=report_id, action=action, expected_version=version)
    with_etag(response, report.version)
    return ReportRead.model_validate(report)
