"""Duplicates a person can work through: the suspected pairs as last computed (kept in step
with every write that changes a name, a party or a decision's facts), the pairs an editor
said are not the same (never suggested again), and the log of merges (each with what it
moved, so that it can be undone)."""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, Versioned, utcnow


class DuplicateSuspicion(Base):
    """Two records (`kind` "decision" or "organisation", `first_id` < `second_id`) suspected
    to be one: `match` "exact", "currency" or "near" (app/services/record/duplicates.py), and
    why. No foreign keys: a pair goes when either record changes or goes."""

    __tablename__ = "duplicate_suspicions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    first_id: Mapped[int] = mapped_column(BigId)
    second_id: Mapped[int] = mapped_column(BigId)
    match: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("kind", "first_id", "second_id"),
        Index("ix_duplicate_suspicions_second", "kind", "second_id"),
    )


class DuplicateDismissal(Base):
    """An editor's "not the same" about two records (`first_id` < `second_id`): the pair is
    never suggested again, whatever is imported or edited later."""

    __tablename__ = "duplicate_dismissals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    first_id: Mapped[int] = mapped_column(BigId)
    second_id: Mapped[int] = mapped_column(BigId)
    dismissed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    dismissed_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("kind", "first_id", "second_id"),)


class Merge(Versioned, Base):
    """One merge of `merged_id` into `into_id` (`kind` "decision" or "organisation"): who and
    when, what moved (`moved`, as the audit log says it), and every row the merge could touch
    as it was before (`before`) and as the merge left it (`after`), so that an undo restores
    exactly the rows before, and only while they are still as the merge left them."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    merged_id: Mapped[int] = mapped_column(BigId)
    into_id: Mapped[int] = mapped_column(BigId)
    merged_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    merged_by: Mapped[str] = mapped_column(String(200))
    moved: Mapped[dict[str, Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    undone_at: Mapped[dt.datetime | None]
    undone_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_merges_into", "kind", "into_id"),
        Index("ix_merges_merged", "kind", "merged_id"),
    )
