from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.access import public
from app.api.common import CREATE, DELETE, READ, READ_ITEM, UPDATE, created, with_etag
from app.api.deps import (
    DEFAULT_PAGE,
    AsOf,
    Cursor,
    Editor,
    IfMatch,
    Limit,
    RegulatorSortParam,
    SessionDep,
    item_id,
)
from app.api.idempotency import ApiRoute
from app.schemas.common import Page
from app.schemas.filters import RegulatorFilter
from app.schemas.regulator import RegulatorCreate, RegulatorRead, RegulatorUpdate
from app.services.record import regulators
from app.vocab import RegulatorSort

router = APIRouter(prefix="/regulators", tags=["regulators"], route_class=ApiRoute)
RegulatorId = Annotated[int, item_id("regulator_id")]


@router.get("", response_model=Page[RegulatorRead], responses=READ)
@public
def list_regulators(
    session: SessionDep,
    filters: Annotated[RegulatorFilter, Query()],
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
    sort: RegulatorSortParam = RegulatorSort.name_asc,
) -> Page[RegulatorRead]:
    return regulators.list_(session, filters, sort=sort, limit=limit, cursor=cursor)


@router.post("", status_code=201, response_model=RegulatorRead, responses=CREATE)
def create_regulator(
    data: RegulatorCreate, session: SessionDep, _: Editor, request: Request, response: Response
) -> RegulatorRead:
    regulator = regulators.create(session, data=data)
    created(response, str(request.url_for("get_regulator", regulator_id=regulator.id)), regulator.version)
    return regulators.read(session, regulator_id=regulator.id, as_of=None)


@router.get("/{regulator_id}", response_model=RegulatorRead, responses=READ_ITEM)
@public
def get_regulator(
    regulator_id: RegulatorId, session: SessionDep, response: Response, as_of: AsOf = None
) -> RegulatorRead:
    read = regulators.read(session, regulator_id=regulator_id, as_of=as_of)
    with_etag(response, read.version)
    return read


@router.patch("/{regulator_id}", response_model=RegulatorRead, responses=UPDATE)
def update_regulator(
    regulator_id: RegulatorId,
    data: RegulatorUpdate,
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> RegulatorRead:
    regulator = regulators.update(session, regulator_id=regulator_id, data=data, expected_version=version)
    with_etag(response, regulator.version)
    return regulators.read(session, regulator_id=regulator_id, as_of=None)


@router.delete("/{regulator_id}", status_code=204, responses=DELETE)
def delete_regulator(regulator_id: RegulatorId, session: SessionDep, _: Editor, version: IfMatch) -> Response:
    regulators.delete(session, regulator_id=regulator_id, expected_version=version)
    return Response(status_code=204)
