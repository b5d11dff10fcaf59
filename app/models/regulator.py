from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, Versioned, enum_column
from app.vocab import RegulatorKind


class Regulator(Versioned, Base):
    __tablename__ = "regulators"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(100))
    # ISO 3166-1 alpha-2 ("CA") or ISO 3166-2 ("CA-BC").
    jurisdiction: Mapped[str] = mapped_column(String(6))
    kind: Mapped[RegulatorKind] = enum_column(RegulatorKind)
    website: Mapped[str | None] = mapped_column(String(2000))

    __table_args__ = (Index("ix_regulators_jurisdiction", "jurisdiction"),)
