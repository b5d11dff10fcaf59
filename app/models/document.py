"""The stored read model: each decision's current read document (see app/services/documents.py)."""

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId


class DecisionDocument(Base):
    """A decision's current read (`GET /api/v1/decisions/{id}` without `as_of`), as JSON text
    in which the names of its regulators and parties (and the regulators' jurisdictions) are
    slots filled at read time, so that a rename rewrites nothing here."""

    __tablename__ = "decision_documents"

    decision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    # The decision's version, its ETag: read without opening the document.
    version: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
