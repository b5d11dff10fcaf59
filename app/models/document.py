"""The stored read model: each decision's current read document, and its place in its owners'
lists (see app/services/readmodel/store.py)."""

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
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
    # The digest of the read schema the document was built with (`read_store.DIGEST`): one
    # that differs from the code's is rebuilt by `findings migrate`.
    digest: Mapped[str] = mapped_column(String(16), server_default="")


class DecisionListing(Base):
    """Where a decision stands in the current lists of each of its regulators and parties: one
    row per (decision, owner), with the decision's kept compliance and its day, so that the
    page of one owner's decisions of one compliance is read in order from one index instead of
    probing thousands of rows (a busy regulator's `partially_complied` decisions). Kept by
    app/services/readmodel/store.py with the documents, in the same statements' transaction."""

    __tablename__ = "decision_listings"

    decision_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True
    )
    owner: Mapped[str] = mapped_column(String(1), primary_key=True)  # R: a regulator, O: a party
    owner_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    compliance: Mapped[str] = mapped_column(String(32))
    issued_on: Mapped[dt.date]

    __table_args__ = (
        Index("ix_decision_listings_owner", "owner", "owner_id", "compliance", "issued_on", "decision_id"),
    )
