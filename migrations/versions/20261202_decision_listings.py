"""decision_listings: each decision's place in its regulators' and parties' current lists

One row per (decision, regulator or party), with the decision's kept compliance and its day,
indexed in the order an owner's page of one compliance is read. app/services/readmodel/store.py
keeps it with the documents. The documents are emptied here, so that `findings migrate` makes
them again after the last revision (app/migrate.py: `read_store.refresh_stale`), and the
listings with them, with the code of the head revision.

Revision ID: 7c31f0d2a9e4
Revises: 3b7e2d91c0a4
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c31f0d2a9e4"
down_revision: str | None = "3b7e2d91c0a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "decision_listings",
        sa.Column("decision_id", big_id, nullable=False),
        sa.Column("owner", sa.String(length=1), nullable=False),
        sa.Column("owner_id", big_id, nullable=False),
        sa.Column("compliance", sa.String(length=32), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_listings_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("decision_id", "owner", "owner_id", name=op.f("pk_decision_listings")),
    )
    op.create_index(
        "ix_decision_listings_owner",
        "decision_listings",
        ["owner", "owner_id", "compliance", "issued_on", "decision_id"],
    )
    op.execute("DELETE FROM decision_documents")


def downgrade() -> None:
    op.drop_index("ix_decision_listings_owner", table_name="decision_listings")
    op.drop_table("decision_listings")
