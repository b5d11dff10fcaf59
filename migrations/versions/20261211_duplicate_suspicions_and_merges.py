"""Duplicates a person can work through: the suspected pairs as stored (`duplicate_suspicions`,
kept in step with the writes; filled by `findings migrate`), the pairs dismissed as not the
same (`duplicate_dismissals`) and the log of merges with what each moved (`merges`), so that a
merge can be undone. Merges made before this revision have no log and cannot be undone.

Revision ID: 5d2b8e4f1a73
Revises: 9c2d5e7f3a18
Create Date: 2026-12-11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2b8e4f1a73"
down_revision: str | None = "9c2d5e7f3a18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "duplicate_suspicions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("first_id", BigId, nullable=False),
        sa.Column("second_id", BigId, nullable=False),
        sa.Column("match", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_suspicions")),
        sa.UniqueConstraint(
            "kind", "first_id", "second_id", name=op.f("uq_duplicate_suspicions_kind_first_id_second_id")
        ),
    )
    op.create_index("ix_duplicate_suspicions_second", "duplicate_suspicions", ["kind", "second_id"])
    op.create_table(
        "duplicate_dismissals",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("first_id", BigId, nullable=False),
        sa.Column("second_id", BigId, nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_dismissals")),
        sa.UniqueConstraint(
            "kind", "first_id", "second_id", name=op.f("uq_duplicate_dismissals_kind_first_id_second_id")
        ),
    )
    op.create_table(
        "merges",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("merged_id", BigId, nullable=False),
        sa.Column("into_id", BigId, nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_by", sa.String(length=200), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merges")),
    )
    op.create_index("ix_merges_into", "merges", ["kind", "into_id"])
    op.create_index("ix_merges_merged", "merges", ["kind", "merged_id"])


def downgrade() -> None:
    op.drop_index("ix_merges_merged", table_name="merges")
    op.drop_index("ix_merges_into", table_name="merges")
    op.drop_table("merges")
    op.drop_table("duplicate_dismissals")
    op.drop_index("ix_duplicate_suspicions_second", table_name="duplicate_suspicions")
    op.drop_table("duplicate_suspicions")
