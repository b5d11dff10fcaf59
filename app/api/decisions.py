from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.access import public
from app.api.common import CREATE, DELETE, READ, READ_ITEM, UPDATE, created, with_etag
from app.api.deps import (
    DEFAULT_PAGE,
    AsOf,
    Cursor,
    Editor,
    IfMatch,
    Limit,
    SessionDep,
    get_database,
    item_id,
    sort_param,
)
from app.api.idempotency import ApiRoute
from app.schemas.common import Page
from app.schemas.decision import DecisionCreate, DecisionRead, DecisionUpdate
from app.schemas.duplicates import MergeRequest
from app.schemas.filters import DecisionFilter
from app.services import decisions, documents, duplicates, merges
from app.services.documents import READ_JSON

router = APIRouter(prefix="/decisions", tags=["decisions"], route_class=ApiRoute)
ReadT = TypeVar("ReadT")


@contextmanager
def _reading(request: Request) -> Iterator[Session]:
    """A read-only session for a current read, on the event loop itself.

    The two current reads below are served from the stored read model (app/services/
    documents.py): a lookup by primary key, or one page of an indexed list, and one statement
    for the names. Their database calls are short and synchronous, and they are made here,
    on the event loop, rather than in a worker thread: on SQLite (the embedded default) they
    are calls into a library with no network, taking microseconds to about a millisecond,
    less than handing the request to a thread and back (and the thread pool's 40 threads no
    longer bound how many reads are in flight). On PostgreSQL each is one round trip on the
    pool's connection; the loop waits for it, which on a local network is a fraction of a
    millisecond, with several app processes behind the load balancer. (A truly async driver
    would need a second engine and pool beside the sync one every other route uses.)
    """
    session = get_database(request).session()
    try:
        yield session
    finally:
        session.close()


def _computed(request: Request, read: Callable[[Session], ReadT]) -> ReadT:
    """A read derived from the history (as of a day), in a worker thread, as other routes."""
    session = get_database(request).session()
    try:
        return read(session)
    finally:
        session.close()


DecisionId = Annotated[int, item_id("decision_id")]
Sort = sort_param(decisions.SORTS)


@router.get("", response_model=Page[DecisionRead], responses=READ)
@public
async def list_decisions(
    request: Request,
    filters: Annotated[DecisionFilter, Query()],
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
    sort: Sort = "-issued_on",  # type: ignore[valid-type]  # a Literal made at import
) -> Response | Page[DecisionRead]:
    if filters.as_of is not None:
        return await run_in_threadpool(
            _computed, request, lambda s: decisions.list_(s, filters, sort=sort, limit=limit, cursor=cursor)
        )
    with _reading(request) as session:
        body = documents.page(session, filters, sort=sort, limit=limit, cursor=cursor)
    return Response(body, media_type="application/json")


@router.post("", status_code=201, response_model=DecisionRead, responses=CREATE)
def create_decision(
    data: DecisionCreate, session: SessionDep, _: Editor, request: Request, response: Response
) -> DecisionRead:
    # The same act again is refused (409, naming it); a near match is created, and named.
    near = duplicates.refuse_exact(session, data)
    decision = decisions.create(session, data=data)
    created(response, str(request.url_for("get_decision", decision_id=decision.id)), decision.version)
    if near is not None:
        response.headers["Possible-Duplicate-Of"] = str(near.decision_id)
        response.headers["Link"] = (
            f'<{request.url_for("get_decision", decision_id=near.decision_id).path}>; rel="duplicate"'
        )
    return decisions.read(session, decision_id=decision.id, as_of=None)


@router.get("/{decision_id}", response_model=DecisionRead, responses=READ_ITEM)
@public
async def get_decision(decision_id: DecisionId, request: Request, as_of: AsOf = None) -> Response:
    if as_of is not None:
        read = await run_in_threadpool(
            _computed, request, lambda s: decisions.read(s, decision_id=decision_id, as_of=as_of)
        )
        version, body = read.version, READ_JSON.dump_json(read, by_alias=True)
    else:
        with _reading(request) as session:
            version, body = documents.one(session, decision_id)
    response = Response(body, media_type="application/json")
    with_etag(response, version)
    return response


@router.patch("/{decision_id}", response_model=DecisionRead, responses=UPDATE)
def update_decision(
    decision_id: DecisionId,
    data: DecisionUpdate,
    session: SessionDep,
    _: Editor,
    version: IfMatch,
    response: Response,
) -> DecisionRead:
    decision = decisions.update(session, decision_id=decision_id, data=data, expected_version=version)
    with_etag(response, decision.version)
    return decisions.read(session, decision_id=decision_id, as_of=None)


@router.delete("/{decision_id}", status_code=204, responses=DELETE)
def delete_decision(decision_id: DecisionId, session: SessionDep, _: Editor, version: IfMatch) -> Response:
    decisions.delete(session, decision_id=decision_id, expected_version=version)
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
