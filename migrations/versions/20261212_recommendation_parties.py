"""recommendation_parties: the parties that made a recommendation (`recommended_by`)

The UN's Universal Periodic Review lists a recommendation once per recommending State; the
import makes it one recommendation, each recommending State a party of it with the role
`recommending` (issue 25, part 4). Upgrading adds an empty table; downgrading drops it.

Revision ID: 1e6c3a9f7d25
Revises: 6a1c3e9d0b52
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1e6c3a9f7d25"
down_revision: str | None = "6a1c3e9d0b52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "recommendation_parties",
        sa.Column("recommendation_id", BigId, nullable=False),
        sa.Column("organisation_id", BigId, nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "recommending",
                name="recommendationrole",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_recommendation_parties_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
            name=op.f("fk_recommendation_parties_recommendation_id_recommendations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "organisation_id", name=op.f("pk_recommendation_parties")
        ),
    )
    op.create_index(
        "ix_recommendation_parties_organisation_id",
        "recommendation_parties",
        ["organisation_id", "recommendation_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_recommendation_parties_organisation_id", table_name="recommendation_parties")
    op.drop_table("recommendation_parties")
