import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Translations, Versioned, enum_column
from app.vocab import (
    Compliance,
    DatePrecision,
    DecisionKind,
    FindingOutcome,
    OrganisationRole,
    RegulatorRole,
    Relation,
)


class Decision(Versioned, Base):
    """One act of a regulator or a court."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(300), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[DecisionKind] = enum_column(DecisionKind)
    issued_on: Mapped[dt.date]
    # How much of `issued_on` its source gives; a month or a year is kept as its first day
    # (app/schemas/precision.py).
    issued_on_precision: Mapped[DatePrecision] = enum_column(DatePrecision, default=DatePrecision.day)
    summary: Mapped[str | None] = mapped_column(Text)
    # The language it was issued in (ISO 639: title, summary and its recommendations' text are
    # in it), and its title and summary in others: {"fr": {"title", "summary"}}.
    language: Mapped[str] = mapped_column(String(3), default="en", server_default="en")
    translations: Mapped[dict[str, Any]] = mapped_column(Translations, default=dict, nullable=True)
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id", ondelete="RESTRICT"))
    penalty_amount: Mapped[Decimal | None]
    # ISO 4217.
    penalty_currency: Mapped[str | None] = mapped_column(String(3))
    # Current compliance, kept in step with its recommendations' statuses in the same
    # transaction; reads `as_of` a date derive it from the history instead.
    compliance: Mapped[Compliance] = enum_column(Compliance, default=Compliance.none)

    regulators: Mapped[list["DecisionRegulator"]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionRegulator.position", lazy="raise"
    )
    organisations: Mapped[list["DecisionOrganisation"]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionOrganisation.position", lazy="raise"
    )
    findings: Mapped[list["Finding"]] = relationship(
        cascade="all, delete-orphan", order_by="Finding.position", lazy="raise"
    )
    provisions: Mapped[list["DecisionProvision"]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionProvision.position", lazy="raise"
    )
    sources: Mapped[list["DecisionSource"]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionSource.position", lazy="raise"
    )
    tags: Mapped[list["DecisionTag"]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionTag.tag", lazy="raise"
    )
    # The same act's penalty as other sources report it (another currency): never in a total.
    reported_amounts: Mapped[list["DecisionReportedAmount"]] = relationship(
        cascade="all, delete-orphan", order_by="DecisionReportedAmount.position", lazy="raise"
    )
    related: Mapped[list["DecisionRelation"]] = relationship(
        cascade="all, delete-orphan",
        foreign_keys="DecisionRelation.decision_id",
        order_by="DecisionRelation.position",
        lazy="raise",
    )

    __table_args__ = (
        CheckConstraint("(penalty_amount IS NULL) = (penalty_currency IS NULL)", name="penalty_pair"),
        CheckConstraint("penalty_amount IS NULL OR penalty_amount >= 0", name="penalty_positive"),
        Index("ix_decisions_issued_on_id", "issued_on", "id"),
        Index("ix_decisions_case_id", "case_id"),
        # Compliance-filtered lists walk this in their order (newest first) instead of sorting.
        Index("ix_decisions_compliance_issued_on", "compliance", "issued_on", "id"),
        Index("ix_decisions_kind_issued_on", "kind", "issued_on", "id"),
        Index("ix_decisions_penalty", "penalty_amount", "penalty_currency", "id"),
    )


class DecisionRegulator(Base):
    __tablename__ = "decision_regulators"

    decision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    regulator_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("regulators.id", ondelete="RESTRICT"), primary_key=True
    )
    role: Mapped[RegulatorRole] = enum_column(RegulatorRole)
    position: Mapped[int]

    __table_args__ = (Index("ix_decision_regulators_regulator_id", "regulator_id", "decision_id"),)


class DecisionOrganisation(Base):
    __tablename__ = "decision_organisations"

    decision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organisations.id", ondelete="RESTRICT"), primary_key=True
    )
    role: Mapped[OrganisationRole] = enum_column(OrganisationRole)
    position: Mapped[int]

    __table_args__ = (Index("ix_decision_organisations_organisation_id", "organisation_id", "decision_id"),)


class Finding(Base):
    """A legal conclusion inside a decision."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    decision_id: Mapped[int] = mapped_column(BigId, ForeignKey("decisions.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    provision: Mapped[str | None] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    outcome: Mapped[FindingOutcome] = enum_column(FindingOutcome)

    __table_args__ = (
        Index("ix_findings_decision_id", "decision_id"),
        Index("ix_findings_organisation_id", "organisation_id"),
    )


class DecisionProvision(Base):
    """A legal provision a decision cites."""

    __tablename__ = "decision_provisions"

    decision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    provision: Mapped[str] = mapped_column(String(300))


class DecisionSource(Base):
    """A document backing a decision."""

    __tablename__ = "decision_sources"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    decision_id: Mapped[int] = mapped_column(BigId, ForeignKey("decisions.id", ondelete="CASCADE"))
    position: Mapped[int]
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(500))
    publisher: Mapped[str | None] = mapped_column(String(300))
    published_on: Mapped[dt.date | None]
    # Its archived copy (app/models/evidence.py), when one is kept.
    document_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("documents.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_decision_sources_decision_id", "decision_id"),)


class DecisionReportedAmount(Base):
    """The decision's penalty as another source reports it, in another currency (the GDPR
    tracker's EUR 9,000,000 for the ICO's GBP 7,552,800): one act counted once, this figure
    shown beside the penalty and never added to a total."""

    __tablename__ = "decision_reported_amounts"

    decision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount: Mapped[Decimal]
    # ISO 4217; never the decision's own penalty currency.
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(500))

    __table_args__ = (CheckConstraint("amount >= 0", name="amount_positive"),)


class DecisionTag(Base):
    __tablename__ = "decision_tags"

    decision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)

    __table_args__ = (Index("ix_decision_tags_tag", "tag", "decision_id"),)


class DecisionRelation(Base):
    """A link from a later decision (`decision_id`) to an earlier one."""

    __tablename__ = "decision_relations"

    decision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    related_decision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="RESTRICT"), primary_key=True
    )
    relation: Mapped[Relation] = enum_column(Relation)
    position: Mapped[int]

    __table_args__ = (
        CheckConstraint("decision_id <> related_decision_id", name="not_self"),
        Index("ix_decision_relations_related_decision_id", "related_decision_id"),
    )


# The parts of a decision kept in rows of their own, each naming its decision (`decision_id`):
# what the read model watches and what a merge of two decisions keeps an image of.
DECISION_PARTS = (
    DecisionRegulator,
    DecisionOrganisation,
    Finding,
    DecisionProvision,
    DecisionSource,
    DecisionTag,
    DecisionReportedAmount,
)
