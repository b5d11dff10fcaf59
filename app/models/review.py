"""The review queue's own tables: readers' error reports, and who is reviewing which item,
until when (a lease)."""

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, Versioned, enum_column, utcnow
from app.vocab import ReportStatus, ReportTarget


class ReviewClaim(Base):
    """An editor's claim on one item of the review queue (`item_kind` "assessment" or
    "report"), held until `expires_at`: while it holds, no other editor is given the item or
    may review it. An editor holds at most one claim at a time. No foreign key: a claim
    outlives nothing it matters to (an expired one is simply replaced)."""

    __tablename__ = "review_claims"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(BigId)
    # The full actor (`user:<e-mail>`, `token:<name>`) and the name others are shown.
    holder: Mapped[str] = mapped_column(String(200))
    holder_name: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]

    __table_args__ = (
        UniqueConstraint("item_kind", "item_id"),
        Index("ix_review_claims_holder", "holder"),
    )


class ErrorReport(Versioned, Base):
    """A reader's report that something in the record is wrong: what, and an optional source.
    It waits in the review queue until an editor accepts it (linking the change it led to) or
    declines it (with a reason); a signed-in reporter is told by e-mail."""

    __tablename__ = "error_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # What it is about (no foreign key: the record reported on may later be merged or deleted,
    # and the report stays).
    target_kind: Mapped[ReportTarget] = enum_column(ReportTarget)
    target_id: Mapped[int] = mapped_column(BigId)
    text: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    # Who sent it: a signed-in account (told of the outcome by e-mail), or nobody known.
    reporter_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    reporter_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ReportStatus] = enum_column(ReportStatus, default=ReportStatus.open)
    # The editor's answer: why it was declined, or what was done.
    resolution: Mapped[str | None] = mapped_column(Text)
    # What an accepted report led to: an assessment, a decision, a recommendation, an organisation.
    led_to_kind: Mapped[str | None] = mapped_column(String(32))
    led_to_id: Mapped[int | None] = mapped_column(BigId)
    resolved_at: Mapped[dt.datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_by_name: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_error_reports_status_id", "status", "id"),
        Index("ix_error_reports_target", "target_kind", "target_id"),
    )
