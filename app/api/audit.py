"""The audit log (admin): every change, newest first. Read-only: no route changes it."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.common import READ, problems
from app.api.deps import DEFAULT_PAGE, Admin, Cursor, FilterId, Limit, SessionDep
from app.api.idempotency import ApiRoute
from app.schemas.audit import AuditRead
from app.schemas.common import Page, UtcDatetime
from app.services.shared import audit

router = APIRouter(route_class=ApiRoute, prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[AuditRead], responses=READ | problems(403))
def list_audit(
    session: SessionDep,
    _: Admin,
    entity: Annotated[str | None, Query(max_length=50, description="Such as `decision`.")] = None,
    entity_id: FilterId = None,
    actor: Annotated[str | None, Query(max_length=200, description="Such as `token:NAME`.")] = None,
    since: Annotated[
        UtcDatetime | None, Query(description="Only changes at or after this time (UTC when no offset).")
    ] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Page[AuditRead]:
    items, next_cursor = audit.list_(
        session, entity=entity, entity_id=entity_id, actor=actor, since=since, limit=limit, cursor=cursor
    )
    return Page(items=[AuditRead.model_validate(e) for e in items], next_cursor=next_cursor)
