"""The audit log: every change, with who made it, when, and the record before and after.

Written in the same transaction as the change, by the service that makes it.
"""

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.models import AuditEntry, Base
from app.services.shared.pagination import SortKey, paginate

SYSTEM_ACTOR = "system"


def actor(session: Session) -> str:
    """Who is changing the record in this session (set by the request or the command line)."""
    return str(session.info.get("actor", SYSTEM_ACTOR))


def public_name(session: Session) -> str:
    """Who is changing the record as the public may see it: an account's display name, or
    the role of the token (never an e-mail address or a token's name)."""
    name = session.info.get("actor_name")
    return str(name) if name else public_name_of(actor(session))


def public_name_of(actor_: str) -> str:
    """The public form of an actor written without a display name (the command line,
    imports, a file from elsewhere): an account or token becomes "editor", any other actor
    its kind (the part before `:`)."""
    kind, sep, _ = actor_.partition(":")
    if not sep:
        return actor_
    return "editor" if kind in ("user", "token") else kind


def jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def row(obj: Base, *, exclude: tuple[str, ...] = ("created_at", "updated_at")) -> dict[str, Any]:
    """The columns of one row as JSON-ready values."""
    return {
        attr.key: jsonable(getattr(obj, attr.key))
        for attr in inspect(obj).mapper.column_attrs
        if attr.key not in exclude
    }


def record(
    session: Session,
    *,
    action: str,
    entity: str,
    entity_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        AuditEntry(
            actor=actor(session),
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


def created(session: Session, entity: str, entity_id: int, after: dict[str, Any]) -> None:
    """Record that a row was created: nothing before, `after` its values."""
    record(session, action="create", entity=entity, entity_id=entity_id, before=None, after=after)


def updated(
    session: Session, entity: str, entity_id: int, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Record that a row changed from `before` to `after`."""
    record(session, action="update", entity=entity, entity_id=entity_id, before=before, after=after)


def deleted(session: Session, entity: str, entity_id: int, before: dict[str, Any]) -> None:
    """Record that a row was deleted: `before` its values, nothing after."""
    record(session, action="delete", entity=entity, entity_id=entity_id, before=before, after=None)


SORTS = {"-id": SortKey(AuditEntry.id, AuditEntry.id, descending=True)}


def list_(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEntry], str | None]:
    """The log, newest first, paged by keyset."""
    stmt = select(AuditEntry)
    if entity is not None:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if actor is not None:
        stmt = stmt.where(AuditEntry.actor == actor)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    rows, next_cursor = paginate(session, stmt, sorts=SORTS, sort="-id", limit=limit, cursor=cursor)
    return [row[0] for row in rows], next_cursor
