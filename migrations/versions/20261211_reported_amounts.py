"""A decision's penalty as other sources report it: `decision_reported_amounts` (amount,
currency, source), never added to a total (issue 26, one act counted once).

Revision ID: 3f9a7c2e5b61
Revises: 8e5f0b27a4c1
Create Date: 2026-12-11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f9a7c2e5b61"
down_revision: str | None = "8e5f0b27a4c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "decision_reported_amounts",
        sa.Column("decision_id", BigId, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_decision_reported_amounts_amount_positive")),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_reported_amounts_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("decision_id", "position", name=op.f("pk_decision_reported_amounts")),
    )


def downgrade() -> None:
    op.drop_table("decision_reported_amounts")
