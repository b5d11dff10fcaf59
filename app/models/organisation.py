import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Versioned, enum_column
from app.vocab import OrganisationKind


class Organisation(Versioned, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[OrganisationKind] = enum_column(OrganisationKind)
    # ISO 3166-1 alpha-2.
    country: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(2000))
    # The parent it belongs to now, and since when (None: since before the record knows).
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organisations.id", ondelete="RESTRICT"))
    parent_since: Mapped[dt.date | None] = mapped_column(Date)

    former_parents: Mapped[list["OrganisationFormerParent"]] = relationship(
        cascade="all, delete-orphan",
        order_by="OrganisationFormerParent.position",
        foreign_keys="OrganisationFormerParent.organisation_id",
        lazy="raise",
    )
    aliases: Mapped[list["OrganisationAlias"]] = relationship(
        back_populates="organisation",
        cascade="all, delete-orphan",
        order_by="OrganisationAlias.position",
        lazy="raise",
    )

    __table_args__ = (
        Index("ix_organisations_name", "name"),
        Index("ix_organisations_parent_id", "parent_id"),
    )


class OrganisationAlias(Base):
    """Another name the same party is known by ("Clearview" for "Clearview AI, Inc.")."""

    __tablename__ = "organisation_aliases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id", ondelete="CASCADE"))
    position: Mapped[int]
    alias: Mapped[str] = mapped_column(String(300))

    organisation: Mapped[Organisation] = relationship(back_populates="aliases", lazy="raise")

    __table_args__ = (
        UniqueConstraint("organisation_id", "alias"),
        Index("ix_organisation_aliases_alias", "alias"),
    )


class OrganisationFormerParent(Base):
    """A parent the organisation belonged to before: from `since` (None: from before the record
    knows) until the day before `until`. An organisation's periods never overlap, and at no day
    do the parents make a loop (app/services/record/ownership.py)."""

    __tablename__ = "organisation_former_parents"

    organisation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    parent_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id", ondelete="RESTRICT"))
    since: Mapped[dt.date | None] = mapped_column(Date)
    until: Mapped[dt.date] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("since IS NULL OR since < until", name="since_before_until"),
        Index("ix_organisation_former_parents_parent_id", "parent_id"),
    )
