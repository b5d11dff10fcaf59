import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, Versioned, enum_column, utcnow
from app.vocab import AssertedBy, RecommendationKind, Status


class Recommendation(Versioned, Base):
    """What a decision asks or orders an organisation to do."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    decision_id: Mapped[int] = mapped_column(BigId, ForeignKey("decisions.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id", ondelete="RESTRICT"))
    # The decision's own number for it (TAIC's `063/05`), unique within the decision.
    reference: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[RecommendationKind] = enum_column(RecommendationKind)
    due_on: Mapped[dt.date | None]
    # The status of the latest assessment, kept in step with each new assessment in the
    # same transaction; reads `as_of` a date derive it from the history instead.
    status: Mapped[Status] = enum_column(Status, default=Status.pending)
    last_assessed_on: Mapped[dt.date | None]

    __table_args__ = (
        Index("ix_recommendations_decision_id", "decision_id", "status"),
        Index("ix_recommendations_organisation_id", "organisation_id", "status"),
        Index("ix_recommendations_status_id", "status", "id"),
        Index("ix_recommendations_decision_id_reference", "decision_id", "reference", unique=True),
        # Covers the overdue test (due_on, then status) without reading the rows.
        Index("ix_recommendations_due_on_status", "due_on", "status"),
        Index("ix_recommendations_last_assessed_on", "last_assessed_on", "id"),
    )


class Assessment(Base):
    """A dated claim about a recommendation's compliance, with its evidence. Append-only: a
    mistaken one is retracted (marked), never edited or removed."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("recommendations.id", ondelete="CASCADE")
    )
    status: Mapped[Status] = enum_column(Status)
    # The day the status took effect.
    assessed_on: Mapped[dt.date]
    asserted_by: Mapped[AssertedBy] = enum_column(AssertedBy)
    note: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    source_title: Mapped[str | None] = mapped_column(String(500))
    source_quote: Mapped[str | None] = mapped_column(Text)
    # When and by whom it was recorded, kept apart from when it took effect.
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The full actor (`user:<e-mail>`, `token:<name>`): admins see it, in the audit log.
    recorded_by: Mapped[str] = mapped_column(String(200))
    # The public attribution: the account's display name, or the role or kind of the writer.
    recorded_by_name: Mapped[str] = mapped_column(String(200))
    # A mistaken assessment retracted by an admin: kept in the history, marked, and left out
    # of every derived status (see app/services/compliance.py, COUNTS).
    retracted_at: Mapped[dt.datetime | None]
    retracted_by: Mapped[str | None] = mapped_column(String(200))
    retracted_by_name: Mapped[str | None] = mapped_column(String(200))
    retraction_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_assessments_recommendation_id", "recommendation_id", "assessed_on", "id"),
        Index("ix_assessments_assessed_on_id", "assessed_on", "id"),
        Index("ix_assessments_recorded_at", "recorded_at"),
    )
