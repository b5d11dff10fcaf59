from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.access import public
from app.api.common import CREATE, DELETE, READ, READ_ITEM, UPDATE, created, with_etag
from app.api.deps import (
    DEFAULT_PAGE,
    AsOf,
    CaseSortParam,
    Cursor,
    Editor,
    IfMatch,
    Limit,
    SessionDep,
    item_id,
)
from app.api.idempotency import ApiRoute
from app.schemas.case import CaseCreate, CaseRead, CaseUpdate
from app.schemas.common import Page
from app.schemas.filters import CaseFilter
from app.services.record import cases
from app.vocab import CaseSort

router = APIRouter(prefix="/cases", tags=["cases"], route_class=ApiRoute)
CaseId = Annotated[int, item_id("case_id")]


@router.get("", response_model=Page[CaseRead], responses=READ)
@public
def list_cases(
    session: SessionDep,
    filters: Annotated[CaseFilter, Query()],
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
    sort: CaseSortParam = CaseSort.title_asc,
) -> Page[CaseRead]:
    return cases.list_(session, filters, sort=sort, limit=limit, cursor=cursor)


@router.post("", status_code=201, response_model=CaseRead, responses=CREATE)
def create_case(
    data: CaseCreate, session: SessionDep, _: Editor, request: Request, response: Response
) -> CaseRead:
    case = cases.create(session, data=data)
    created(response, str(request.url_for("get_case", case_id=case.id)), case.version)
    return cases.read(session, case_id=case.id, as_of=None)


@router.get("/{case_id}", response_model=CaseRead, responses=READ_ITEM)
@public
def get_case(case_id: CaseId, session: SessionDep, response: Response, as_of: AsOf = None) -> CaseRead:
    read = cases.read(session, case_id=case_id, as_of=as_of)
    with_etag(response, read.version)
    return read


@router.patch("/{case_id}", response_model=CaseRead, responses=UPDATE)
def update_case(
    case_id: CaseId,
    data: CaseUpdate,
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> CaseRead:
    case = cases.update(session, case_id=case_id, data=data, expected_version=version)
    with_etag(response, case.version)
    return cases.read(session, case_id=case_id, as_of=None)


@router.delete("/{case_id}", status_code=204, responses=DELETE)
def delete_case(case_id: CaseId, session: SessionDep, _: Editor, version: IfMatch) -> Response:
    cases.delete(session, case_id=case_id, expected_version=version)
    return Response(status_code=204)
