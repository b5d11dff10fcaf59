"""Records merged into others: the old id of each answers 308 to the kept one."""

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, utcnow


class MergedRecord(Base):
    """`kind` ("organisation" or "decision") `merged_id` was merged into `into_id`.

    No foreign keys: the merged row is gone, and the kept one may later be merged itself
    (the lookup follows the chain).
    """

    __tablename__ = "merged_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    merged_id: Mapped[int] = mapped_column(BigId)
    into_id: Mapped[int] = mapped_column(BigId)
    merged_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("kind", "merged_id"),)
