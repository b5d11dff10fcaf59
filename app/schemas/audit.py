import datetime as dt
from typing import Any

from app.schemas.common import OutputModel


class AuditRead(OutputModel):
    """One change to the record: who made it, when (UTC), what, and the record before and after."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
