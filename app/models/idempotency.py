import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, utcnow


class IdempotencyKey(Base):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed to its retries."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Whose key it is (the audit actor, such as `token:NAME`): keys of different callers never meet.
    actor: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the method, path, query and body: the same key with another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]

    __table_args__ = (
        UniqueConstraint("actor", "key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )
