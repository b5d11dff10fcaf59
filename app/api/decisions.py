"""The decisions API. The two current reads (the list, and an item) are on a router of their
own, `current`, served from the stored read model (app/api/current_reads.py); the writes, on
`router`."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from app.access import public
from app.api.common import CREATE, DELETE, READ, READ_ITEM, UPDATE, created, with_etag
from app.api.current_reads import Answer, serve
from app.api.deps import (
    DEFAULT_PAGE,
    AsOf,
    Cursor,
    DecisionSortParam,
    Editor,
    IfMatch,
    Limit,
    SessionDep,
    item_id,
)
from app.api.idempotency import ApiRoute
from app.schemas.common import Page
from app.schemas.decision import DecisionCreate, DecisionRead, DecisionUpdate
from app.schemas.duplicates import MergeRequest
from app.schemas.filters import DecisionFilter
from app.services.readmodel import store as read_store
from app.services.readmodel.store import READ_JSON
from app.services.record import decision_edits, decisions, merges
from app.vocab import DecisionSort

router = APIRouter(prefix="/decisions", tags=["decisions"], route_class=ApiRoute)
# Without the API's router-wide token dependency (a plain function needing a session, so a
# worker thread for every request): these routes read the token themselves, when one is sent.
current = APIRouter(prefix="/decisions", tags=["decisions"], route_class=ApiRoute)
PAGE_JSON: TypeAdapter[Page[DecisionRead]] = TypeAdapter(Page[DecisionRead])


DecisionId = Annotated[int, item_id("decision_id")]


@current.get("", response_model=Page[DecisionRead], responses=READ)
@public
async def list_decisions(
    request: Request,
    filters: Annotated[DecisionFilter, Query()],
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
    sort: DecisionSortParam = DecisionSort.issued_on_desc,
) -> Response:
    def stored(session: Session) -> Answer:
        return None, read_store.page(session, filters, sort=sort, limit=limit, cursor=cursor)

    def derived(session: Session) -> Answer:
        page = decisions.list_(session, filters, sort=sort, limit=limit, cursor=cursor)
        return None, PAGE_JSON.dump_json(page, by_alias=True)

    if filters.as_of is not None:
        return await serve(request, derived, in_thread=True)
    return await serve(request, stored)


@current.get("/{decision_id}", response_model=DecisionRead, responses=READ_ITEM)
@public
async def get_decision(decision_id: DecisionId, request: Request, as_of: AsOf = None) -> Response:
    def stored(session: Session) -> Answer:
        return read_store.one(session, decision_id)

    def derived(session: Session) -> Answer:
        read = decisions.read(session, decision_id=decision_id, as_of=as_of)
        return read.version, READ_JSON.dump_json(read, by_alias=True)

    if as_of is not None:
        return await serve(request, derived, in_thread=True)
    return await serve(request, stored)


@router.post("", status_code=201, response_model=DecisionRead, responses=CREATE)
def create_decision(
    data: DecisionCreate, session: SessionDep, _: Editor, request: Request, response: Response
) -> DecisionRead:
    # The same act again is refused (409, naming it); a near match is created, and named.
    decision, near = decision_edits.create_screened(session, data=data)
    created(response, str(request.url_for("get_decision", decision_id=decision.id)), decision.version)
    if near is not None:
        response.headers["Possible-Duplicate-Of"] = str(near.decision_id)
        response.headers["Link"] = (
            f'<{request.url_for("get_decision", decision_id=near.decision_id).path}>; rel="duplicate"'
        )
    return decisions.read(session, decision_id=decision.id, as_of=None)


@router.patch("/{decision_id}", response_model=DecisionRead, responses=UPDATE)
def update_decision(
    decision_id: DecisionId,
    data: DecisionUpdate,
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> DecisionRead:
    decision = decision_edits.update(session, decision_id=decision_id, data=data, expected_version=version)
    with_etag(response, decision.version)
    return decisions.read(session, decision_id=decision_id, as_of=None)


@router.delete("/{decision_id}", status_code=204, responses=DELETE)
def delete_decision(decision_id: DecisionId, session: SessionDep, _: Editor, version: IfMatch) -> Response:
    decision_edits.delete(session, decision_id=decision_id, expected_version=version)
    return Response(status_code=204)


@router.post("/{decision_id}/merge", response_model=DecisionRead, responses=UPDATE)
def merge_decision(
    decision_id: DecisionId,
    data: MergeRequest,
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> DecisionRead:
    """Merge this decision (`If-Match`: its ETag) into the one `into` names: everything moves
    to the kept one, and this id then answers 308 to it.
    Refused (nothing changed): into itself or a missing one (422, 404), a stale ETag (412),
    a decision of another regulator (422)."""
    kept = merges.merge_decision(session, decision_id=decision_id, into=data.into, expected_version=version)
    read = decisions.read(session, decision_id=kept.id, as_of=None)
    with_etag(response, read.version)
    return read
