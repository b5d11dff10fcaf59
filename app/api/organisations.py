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
    OrganisationSortParam,
    SessionDep,
    item_id,
)
from app.api.idempotency import ApiRoute
from app.schemas.common import Page
from app.schemas.duplicates import MergeRequest
from app.schemas.filters import OrganisationFilter
from app.schemas.organisation import OrganisationCreate, OrganisationRead, OrganisationUpdate
from app.services.record import merges, organisations
from app.vocab import OrganisationSort

router = APIRouter(prefix="/organisations", tags=["organisations"], route_class=ApiRoute)
OrganisationId = Annotated[int, item_id("organisation_id")]


@router.get("", response_model=Page[OrganisationRead], responses=READ)
@public
def list_organisations(
    session: SessionDep,
    filters: Annotated[OrganisationFilter, Query()],
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
    sort: OrganisationSortParam = OrganisationSort.name_asc,
) -> Page[OrganisationRead]:
    return organisations.list_(session, filters, sort=sort, limit=limit, cursor=cursor)


@router.post("", status_code=201, response_model=OrganisationRead, responses=CREATE)
def create_organisation(
    data: OrganisationCreate, session: SessionDep, _: Editor, request: Request, response: Response
) -> OrganisationRead:
    organisation = organisations.create(session, data=data)
    created(
        response,
        str(request.url_for("get_organisation", organisation_id=organisation.id)),
        organisation.version,
    )
    return organisations.read(session, organisation_id=organisation.id, as_of=None)


@router.get("/{organisation_id}", response_model=OrganisationRead, responses=READ_ITEM)
@public
def get_organisation(
    organisation_id: OrganisationId, session: SessionDep, response: Response, as_of: AsOf = None
) -> OrganisationRead:
    read = organisations.read(session, organisation_id=organisation_id, as_of=as_of)
    with_etag(response, read.version)
    return read


@router.patch("/{organisation_id}", response_model=OrganisationRead, responses=UPDATE)
def update_organisation(
    organisation_id: OrganisationId,
    data: OrganisationUpdate,
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> OrganisationRead:
    organisation = organisations.update(
        session, organisation_id=organisation_id, data=data, expected_version=version
    )
    with_etag(response, organisation.version)
    return organisations.read(session, organisation_id=organisation_id, as_of=None)


@router.delete("/{organisation_id}", status_code=204, responses=DELETE)
def delete_organisation(
    organisation_id: OrganisationId, session: SessionDep, _: Editor, version: IfMatch
) -> Response:
    organisations.delete(session, organisation_id=organisation_id, expected_version=version)
    return Response(status_code=204)


@router.post("/{organisation_id}/merge", response_model=OrganisationRead, responses=UPDATE)
def merge_organisation(
    organisation_id: OrganisationId,
    data: MergeRequest,
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> OrganisationRead:
    """Merge this organisation (`If-Match`: its ETag) into the one `into` names: everything moves
    to the kept one, the merged names become its aliases, and this id then answers 308 to it.
    Refused (nothing changed): into itself or a missing one (422, 404), a stale ETag (412),
    a role clash on a shared decision (422)."""
    kept = merges.merge_organisation(
        session, organisation_id=organisation_id, into=data.into, expected_version=version
    )
    read = organisations.read(session, organisation_id=kept.id, as_of=None)
    with_etag(response, read.version)
    return read
