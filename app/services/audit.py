"""The audit log: every change, with who made it, when, and the record before and after.

Written in the same transaction as the change, by the service that makes it.
"""

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.models import AuditEntry, Base

SYSTEM_ACTOR = "system"


def actor(session: Session) -> str:
    """Who is changing the record in this session (set by the request or the command line)."""
    return str(session.info.get("actor", SYSTEM_ACTOR))


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
