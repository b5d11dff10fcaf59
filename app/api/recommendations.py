from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from app.access import public
from app.api.common import CREATE, DELETE, READ, READ_ITEM, UPDATE, created, problems, with_etag
from app.api.current_reads import Answer, serve
from app.api.deps import (
    DEFAULT_PAGE,
    Admin,
    AsOf,
    Cursor,
    Editor,
    IfMatch,
    Limit,
    RecommendationSortParam,
    SessionDep,
    item_id,
)
from app.api.idempotency import ApiRoute
from app.schemas.common import Page
from app.schemas.filters import RecommendationFilter
from app.schemas.recommendation import (
    AssessmentCreate,
    AssessmentRead,
    AssessmentRetract,
    RecommendationCreate,
    RecommendationRead,
    RecommendationUpdate,
)
from app.services.record import recommendations
from app.vocab import RecommendationSort

router = APIRouter(prefix="/recommendations", tags=["recommendations"], route_class=ApiRoute)
# The list, without the router-wide token dependency (app/api/current_reads.py).
current = APIRouter(prefix="/recommendations", tags=["recommendations"], route_class=ApiRoute)
RecommendationId = Annotated[int, item_id("recommendation_id")]
CREATE_CHILD = problems(400, 401, 403, 404, 413, 422)
RETRACT = problems(400, 401, 403, 404, 409, 413, 422)


@current.get("", response_model=Page[RecommendationRead], responses=READ)
@public
async def list_recommendations(
    request: Request,
    filters: Annotated[RecommendationFilter, Query()],
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
    sort: RecommendationSortParam = RecommendationSort.id_asc,
) -> Response:
    # The page's JSON straight from the service, not validated again through the response
    # model (which stays for the OpenAPI description): the same bytes, without the cost.
    def read(session: Session) -> Answer:
        return None, recommendations.list_json(session, filters, sort=sort, limit=limit, cursor=cursor)

    # As of a day, each status is derived from the history: heavier, so in a worker thread.
    return await serve(request, read, in_thread=filters.as_of is not None)


@router.post("", status_code=201, response_model=RecommendationRead, responses=CREATE)
def create_recommendation(
    data: RecommendationCreate,
    session: SessionDep,
    _: Editor,
    request: Request,
    response: Response,
) -> RecommendationRead:
    rec = recommendations.create(session, data=data)
    created(response, str(request.url_for("get_recommendation", recommendation_id=rec.id)), rec.version)
    return recommendations.read(session, recommendation_id=rec.id, as_of=None)


@router.get("/{recommendation_id}", response_model=RecommendationRead, responses=READ_ITEM)
@public
def get_recommendation(
    recommendation_id: RecommendationId,
    session: SessionDep,
    response: Response,
    as_of: AsOf = None,
) -> RecommendationRead:
    read = recommendations.read(session, recommendation_id=recommendation_id, as_of=as_of)
    with_etag(response, read.version)
    return read


@router.patch("/{recommendation_id}", response_model=RecommendationRead, responses=UPDATE)
def update_recommendation(
    recommendation_id: RecommendationId,
    data: RecommendationUpdate,
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> RecommendationRead:
    rec = recommendations.update(
        session, recommendation_id=recommendation_id, data=data, expected_version=version
    )
    with_etag(response, rec.version)
    return recommendations.read(session, recommendation_id=recommendation_id, as_of=None)


@router.delete("/{recommendation_id}", status_code=204, responses=DELETE)
def delete_recommendation(
    recommendation_id: RecommendationId, session: SessionDep, token: Editor, version: IfMatch
) -> Response:
    """Delete a recommendation. One with assessments (compliance history) needs an admin token."""
    recommendations.delete(
        session, recommendation_id=recommendation_id, expected_version=version, role=token.role
    )
    return Response(status_code=204)


@router.get("/{recommendation_id}/assessments", response_model=list[AssessmentRead], responses=READ_ITEM)
@public
def list_assessments(
    recommendation_id: RecommendationId, session: SessionDep, as_of: AsOf = None
) -> list[AssessmentRead]:
    """The recommendation's compliance history, oldest first."""
    return recommendations.assessment_reads(
        session, recommendations.assessments(session, recommendation_id=recommendation_id, as_of=as_of)
    )


@router.post(
    "/{recommendation_id}/assessments", status_code=201, response_model=AssessmentRead, responses=CREATE_CHILD
)
def create_assessment(
    recommendation_id: RecommendationId,
    data: AssessmentCreate,
    session: SessionDep,
    _: Editor,
    request: Request,
    response: Response,
) -> AssessmentRead:
    """Log a dated compliance status with its evidence. History is append-only: a correction
    is a new assessment."""
    assessment = recommendations.add_assessment(session, recommendation_id=recommendation_id, data=data)
    response.headers["Location"] = str(
        request.url_for("list_assessments", recommendation_id=recommendation_id)
    )
    return AssessmentRead.model_validate(assessment)


@router.post(
    "/{recommendation_id}/assessments/{assessment_id}/retract",
    response_model=AssessmentRead,
    responses=RETRACT,
)
def retract_assessment(
    recommendation_id: RecommendationId,
    assessment_id: Annotated[int, item_id("assessment_id")],
    data: AssessmentRetract,
    session: SessionDep,
    _: Admin,
) -> AssessmentRead:
    """Retract a mistaken assessment (admin). It stays in the history, marked with who
    retracted it, when and why, and no longer counts in any status, compliance, list filter,
    statistic, export or feed; 409 if it is already retracted."""
    assessment = recommendations.retract_assessment(
        session, recommendation_id=recommendation_id, assessment_id=assessment_id, reason=data.reason
    )
    return recommendations.assessment_reads(session, [assessment])[0]
