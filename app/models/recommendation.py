import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Translations, Versioned, enum_column, utcnow
from app.vocab import (
    AssertedBy,
    DatePrecision,
    Origin,
    RecommendationKind,
    RecommendationRole,
    Review,
    Status,
)


class Recommendation(Versioned, Base):
    """What a decision asks or orders an organisation to do."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    decision_id: Mapped[int] = mapped_column(BigId, ForeignKey("decisions.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id", ondelete="RESTRICT"))
    # The decision's own number for it (TAIC's `063/05`), unique within the decision and
    # addressee (one made to two parties is one recommendation for each, under one number).
    reference: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    # Its text in other languages than its decision's: {"fr": {"text"}}.
    translations: Mapped[dict[str, Any]] = mapped_column(Translations, default=dict, nullable=True)
    kind: Mapped[RecommendationKind] = enum_column(RecommendationKind)
    due_on: Mapped[dt.date | None]
    # The status of the latest assessment, kept in step with each new assessment in the
    # same transaction; reads `as_of` a date derive it from the history instead.
    status: Mapped[Status] = enum_column(Status, default=Status.pending)
    last_assessed_on: Mapped[dt.date | None]
    # Kept in step the same way (app/services/compliance.py, `refresh_recommendation`): how the
    # status was known (the origin of the latest counted assessment; None without one), whether
    # a person stands behind it (entered, imported as given, or confirmed: not a machine reading
    # awaiting review), and the latest suggestion newer than it (a machine reading below the
    # import's bar, which makes no status until an editor confirms it).
    status_origin: Mapped[Origin | None] = enum_column(Origin, nullable=True)
    status_reviewed: Mapped[bool | None] = mapped_column(Boolean)
    suggested_status: Mapped[Status | None] = enum_column(Status, check="suggested_status", nullable=True)
    # The parties that made it (`recommended_by`), as the record export reads them; written
    # through app/services/record/recommending.py.
    recommended_by: Mapped[list["RecommendationParty"]] = relationship(
        order_by="RecommendationParty.position", lazy="raise", viewonly=True
    )

    __table_args__ = (
        Index("ix_recommendations_decision_id", "decision_id", "status"),
        Index("ix_recommendations_organisation_id", "organisation_id", "status"),
        Index("ix_recommendations_status_id", "status", "id"),
        Index(
            "ix_recommendations_decision_organisation_reference",
            "decision_id",
            "organisation_id",
            "reference",
            unique=True,
        ),
        # Covers the overdue test (due_on, then status) without reading the rows.
        Index("ix_recommendations_due_on_status", "due_on", "status"),
        Index("ix_recommendations_last_assessed_on", "last_assessed_on", "id"),
        # One obligation to pay per decision (app/services/payments): a merge or an import can
        # never leave two for one penalty.
        Index(
            "ix_recommendations_payment",
            "decision_id",
            unique=True,
            sqlite_where=sql_text("kind = 'payment'"),
            postgresql_where=sql_text("kind = 'payment'"),
        ),
    )


class RecommendationParty(Base):
    """A party that made a recommendation (UPR's recommending States: `recommended_by`), beside
    the organisation it is addressed to."""

    __tablename__ = "recommendation_parties"

    recommendation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("recommendations.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True
    )
    role: Mapped[RecommendationRole] = enum_column(
        RecommendationRole, default=RecommendationRole.recommending
    )
    position: Mapped[int]

    __table_args__ = (
        Index("ix_recommendation_parties_organisation_id", "organisation_id", "recommendation_id"),
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
    # What was paid, in the penalty's currency: given with a partly paid (`partially_complied`)
    # assessment of a payment obligation, and only there (app/services/payments).
    amount_paid: Mapped[Decimal | None]
    # The day the status took effect.
    assessed_on: Mapped[dt.date]
    # How much of `assessed_on` its source gives (app/schemas/precision.py).
    assessed_on_precision: Mapped[DatePrecision] = enum_column(DatePrecision, default=DatePrecision.day)
    asserted_by: Mapped[AssertedBy] = enum_column(AssertedBy)
    note: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    source_title: Mapped[str | None] = mapped_column(String(500))
    source_quote: Mapped[str | None] = mapped_column(Text)
    # The archived copy of the source (app/models/evidence.py) and the page the quote is on.
    document_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("documents.id", ondelete="SET NULL"))
    source_page: Mapped[int | None] = mapped_column(Integer)
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
    # Provenance: where the status came from, and whether it counts. Only counted assessments
    # make a status (app/services/compliance.py, COUNTS): not a retracted one, nor a machine
    # reading whose rule's measured precision is below the import's `accept_at` (a
    # suggestion) until an editor confirms it.
    origin: Mapped[Origin] = enum_column(Origin, default=Origin.entered)
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    review: Mapped[Review] = enum_column(Review, default=Review.not_needed)
    # A classified one: the rule that matched (`mapping:name`), its measured precision, and
    # the matched sentence as offsets into the note.
    rule: Mapped[str | None] = mapped_column(String(200))
    confidence: Mapped[float | None] = mapped_column(Float)
    evidence_start: Mapped[int | None] = mapped_column(Integer)
    evidence_end: Mapped[int | None] = mapped_column(Integer)
    # The editor who confirmed or corrected it (the full actor for admins, and the public name).
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_by_name: Mapped[str | None] = mapped_column(String(200))
    # A correction: the machine reading it supersedes (both stay in the history).
    corrects_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("assessments.id", ondelete="SET NULL"))
    # Changes with each review or retraction; the ETag of GET /api/v1/assessments/{id}.
    version: Mapped[int] = mapped_column(default=1)

    @property
    def evidence(self) -> dict[str, Any] | None:
        """The matched sentence and its offsets into the note, or None."""
        if self.evidence_start is None or self.evidence_end is None or self.note is None:
            return None
        start, end = self.evidence_start, self.evidence_end
        return {"text": self.note[start:end], "start": start, "end": end}

    __table_args__ = (
        Index("ix_assessments_recommendation_id", "recommendation_id", "assessed_on", "id"),
        Index("ix_assessments_assessed_on_id", "assessed_on", "id"),
        Index("ix_assessments_recorded_at", "recorded_at"),
        # The review queue: the machine readings not yet reviewed, oldest first.
        Index("ix_assessments_review_id", "review", "id"),
        CheckConstraint("retracted_at IS NULL OR NOT counted", name="retracted_not_counted"),
        CheckConstraint("(evidence_start IS NULL) = (evidence_end IS NULL)", name="evidence_pair"),
        CheckConstraint("source_page IS NULL OR source_page >= 1", name="source_page_positive"),
        CheckConstraint("amount_paid IS NULL OR amount_paid >= 0", name="amount_paid_positive"),
        Index("ix_assessments_document_id", "document_id"),
    )
    __mapper_args__ = {"version_id_col": version}
