from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
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
    parent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("organisations.id", ondelete="RESTRICT"))

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
