"""recommendations: a reference is unique within its decision and addressee

A recommendation made to several parties (TAIC's `005/24`, to Transdev Wellington and to
Auckland One Rail) is one recommendation for each, under the same number: the unique index on
(decision_id, reference) becomes one on (decision_id, organisation_id, reference). Every
record that held before still holds. Downgrading refuses where two parties share a number in
one decision (the old index cannot hold them): rename one first.

Revision ID: 9c2d5e7f3a18
Revises: 4b7e2c9a1d53
Create Date: 2026-12-11 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9c2d5e7f3a18"
down_revision: str | None = "4b7e2c9a1d53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_recommendations_decision_id_reference", table_name="recommendations")
    op.create_index(
        "ix_recommendations_decision_organisation_reference",
        "recommendations",
        ["decision_id", "organisation_id", "reference"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_recommendations_decision_organisation_reference", table_name="recommendations")
    op.create_index(
        "ix_recommendations_decision_id_reference",
        "recommendations",
        ["decision_id", "reference"],
        unique=True,
    )
