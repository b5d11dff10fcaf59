"""The decisions API. The two current reads (the list, and an item) are on a router of their
own, `current`, served from the stored read model; the writes, on `router`."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import TypeAdapter
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
    current_token,
    get_database,
    item_id,
    sort_param,
)
from app.api.idempotency import ApiRoute
from app.schemas.common import Page
from app.schemas.decision import DecisionCreate, DecisionRead, DecisionUpdate
from app.schemas.duplicates import MergeRequest
from app.schemas.filters import DecisionFilter
from app.services import decision_edits, decisions, documents, duplicates, merges
from app.services.documents import READ_JSON

router = APIRouter(prefix="/decisions", tags=["decisions"], route_class=ApiRoute)
# Without the API's router-wide token dependency (a plain function needing a session, so a
# worker thread for every request): these routes read the token themselves, when one is sent.
current = APIRouter(prefix="/decisions", tags=["decisions"], route_class=ApiRoute)
PAGE_JSON: TypeAdapter[Page[DecisionRead]] = TypeAdapter(Page[DecisionRead])
# A current read's answer: the version (for the ETag; None for a list) and the JSON.
Answer = tuple[int | None, bytes]


@contextmanager
def _on_the_loop(request: Request) -> Iterator[Session]:
    """A read-only session for an anonymous current read, used on the event loop itself.

    Such a read is served from the stored read model (app/services/documents.py): a lookup
    by primary key, or one page of an indexed list, and one statement for the names. Those
    database calls are short and synchronous, and they are made here, on the event loop,
    rather than in a worker thread: on SQLite (the embedded default) they are calls into a
    library with no network, taking from tens of microseconds to about a millisecond, about
    what handing the request to a thread and back costs alone (and the thread pool's 40
    threads no longer bound how many reads are in flight). On PostgreSQL each is one round
    trip on a pooled connection; the loop waits for it, a fraction of a millisecond on a
    local network, while several app processes share the load. (A truly async driver would
    need a second engine and pool beside the sync one every other route uses.)
    """
    session = get_database(request).session()
    try:
        yield session
    finally:
        session.close()


def _as_caller(request: Request, read: Callable[[Session], Answer]) -> Answer:
    """A read for a caller with a token (checked first, as on every API route: a bad one gets
    401) or as of a day (derived from the history): in a worker thread, as other routes."""
    session = get_database(request).session()
    try:
        current_token(request, session, request.headers.get("authorization"))
        answer = read(session)
        session.commit()
        return answer
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _answer(answer: Answer) -> Response:
    version, body = answer
    response = Response(body, media_type="application/json")
    if version is not None:
        with_etag(response, version)
    return response


DecisionId = Annotated[int, item_id("decision_id")]
Sort = sort_param(decisions.SORTS)


@current.get("", response_model=Page[DecisionRead], responses=READ)
@public
async def list_decisions(
    request: Request,
    filters: Annotated[DecisionFilter, Query()],
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
    sort: Sort = "-issued_on",  # type: ignore[valid-type]  # a Literal made at import
) -> Response:
    def stored(session: Session) -> Answer:
        return None, documents.page(session, filters, sort=sort, limit=limit, cursor=cursor)

    def derived(session: Session) -> Answer:
        page = decisions.list_(session, filters, sort=sort, limit=limit, cursor=cursor)
        return None, PAGE_JSON.dump_json(page, by_alias=True)

    if filters.as_of is not None:
        return _answer(await run_in_threadpool(_as_caller, request, derived))
    if "authorization" in request.headers:
        return _answer(await run_in_threadpool(_as_caller, request, stored))
    with _on_the_loop(request) as session:
        return _answer(stored(session))


@current.get("/{decision_id}", response_model=DecisionRead, responses=READ_ITEM)
@public
async def get_decision(decision_id: DecisionId, request: Request, as_of: AsOf = None) -> Response:
    def stored(session: Session) -> Answer:
        return documents.one(session, decision_id)

    def derived(session: Session) -> Answer:
        read = decisions.read(session, decision_id=decision_id, as_of=as_of)
        return read.version, READ_JSON.dump_json(read, by_alias=True)

    if as_of is not None:
        return _answer(await run_in_threadpool(_as_caller, request, derived))
    if "authorization" in request.headers:
        return _answer(await run_in_threadpool(_as_caller, request, stored))
    with _on_the_loop(request) as session:
        return _answer(stored(session))


@router.post("", status_code=201, response_model=DecisionRead, responses=CREATE)
def create_decision(
    data: DecisionCreate, session: SessionDep, _: Editor, request: Request, response: Response
) -> DecisionRead:
    # The same act again is refused (409, naming it); a near match is created, and named.
    near = duplicates.refuse_exact(session, data)
    decision = decision_edits.create(session, data=data)
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
