from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.access import public
from app.api.common import CREATE, DELETE, READ, READ_ITEM, UPDATE, created, with_etag
from app.api.deps import (
    DEFAULT_PAGE,
    AsOf,
    Cursor,
    Editor,
    FilterId,
    IfMatch,
    Limit,
    Q,
    SessionDep,
    item_id,
    sort_param,
)
from app.api.idempotency import ApiRoute
from app.schemas.common import IsoDate, Page
from app.schemas.decision import DecisionCreate, DecisionRead, DecisionUpdate
from app.schemas.duplicates import MergeRequest
from app.services import decisions, duplicates, merges
from app.vocab import Compliance, DecisionKind

router = APIRouter(prefix="/decisions", tags=["decisions"], route_class=ApiRoute)
DecisionId = Annotated[int, item_id("decision_id")]
Sort = sort_param(decisions.SORTS)
Jurisdiction = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$",
        description="`CA` matches regulators of `CA` and of its subdivisions such as `CA-BC`.",
    ),
]


@router.get("", response_model=Page[DecisionRead], responses=READ)
@public
def list_decisions(
    session: SessionDep,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
    as_of: AsOf = None,
    regulator_id: FilterId = None,
    organisation_id: FilterId = None,
    case_id: FilterId = None,
    jurisdiction: Jurisdiction = None,
    kind: DecisionKind | None = None,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    issued_from: IsoDate | None = None,
    issued_to: IsoDate | None = None,
    compliance: Compliance | None = None,
    q: Q = None,
    sort: Sort = "-issued_on",  # type: ignore[valid-type]  # a Literal made at import
) -> Page[DecisionRead]:
    return decisions.list_(
        session,
        regulator_id=regulator_id,
        organisation_id=organisation_id,
        case_id=case_id,
        jurisdiction=jurisdiction,
        kind=kind,
        tag=tag,
        issued_from=issued_from,
        issued_to=issued_to,
        compliance_is=compliance,
        q=q,
        as_of=as_of,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )


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
def get_decision(
    decision_id: DecisionId, session: SessionDep, response: Response, as_of: AsOf = None
) -> DecisionRead:
    read = decisions.read(session, decision_id=decision_id, as_of=as_of)
    with_etag(response, read.version)
    return read


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
