"""review_claims: an editor's lease on one item of the review queue

While a claim holds (`expires_at`), no other editor is given the item or may review it.

Revision ID: b3c8e2f49d17
Revises: a7f3b9d21c64
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3c8e2f49d17"
down_revision: str | None = "a7f3b9d21c64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "review_claims",
        sa.Column("id", BigId, nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_claims")),
        sa.UniqueConstraint("item_kind", "item_id", name=op.f("uq_review_claims_item_kind_item_id")),
    )
    op.create_index("ix_review_claims_holder", "review_claims", ["holder"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_review_claims_holder", table_name="review_claims")
    op.drop_table("review_claims")
