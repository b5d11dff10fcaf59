"""Parents carry dates: an organisation's current parent has `parent_since`, and the parents it
belonged to before are `organisation_former_parents` (since, until), so that a group can be
counted as it was owned at each decision (issue 26, whole groups).

Revision ID: 7c4e2a9d1f38
Revises: 5d2b8e4f1a73
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c4e2a9d1f38"
down_revision: str | None = "5d2b8e4f1a73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # In place (a batch copy of the table would drop its search triggers).
    op.add_column("organisations", sa.Column("parent_since", sa.Date(), nullable=True))
    op.create_table(
        "organisation_former_parents",
        sa.Column("organisation_id", BigId, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("parent_id", BigId, nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "since IS NULL OR since < until", name=op.f("ck_organisation_former_parents_since_before_until")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_former_parents_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_former_parents_parent_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("organisation_id", "position", name=op.f("pk_organisation_former_parents")),
    )
    op.create_index("ix_organisation_former_parents_parent_id", "organisation_former_parents", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_organisation_former_parents_parent_id", table_name="organisation_former_parents")
    op.drop_table("organisation_former_parents")
    op.drop_column("organisations", "parent_since")
