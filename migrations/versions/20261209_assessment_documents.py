"""An assessment's archived copy: `document_id` (SET NULL if the document goes) and the page its
quote is on (`source_page`).

Revision ID: 2b7d4e9c1a58
Revises: 8e3b6f1a2c94
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2b7d4e9c1a58"
down_revision: str | None = "8e3b6f1a2c94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # assessments is referenced by no other table, and has no trigger: SQLite's batch copy of
    # the table loses nothing.
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("document_id", BigId, nullable=True))
        batch.add_column(sa.Column("source_page", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_assessments_document_id_documents"),
            "documents",
            ["document_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_check_constraint("source_page_positive", "source_page IS NULL OR source_page >= 1")
        batch.create_index("ix_assessments_document_id", ["document_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_index("ix_assessments_document_id")
        batch.drop_constraint("source_page_positive", type_="check")
        batch.drop_constraint(op.f("fk_assessments_document_id_documents"), type_="foreignkey")
        batch.drop_column("source_page")
        batch.drop_column("document_id")
