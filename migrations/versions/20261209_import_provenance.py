"""Where imported records came from: `imports` (each run: data set, file and its SHA-256,
mapping, when, by whom) and `imported_rows` (each record an import created, and its row).

Records imported before this revision have no row to name: they stay without provenance.

Revision ID: 6c1e8f2a9d47
Revises: 2b7d4e9c1a58
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6c1e8f2a9d47"
down_revision: str | None = "2b7d4e9c1a58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("dataset", sa.String(length=500), nullable=False),
        sa.Column("dataset_url", sa.String(length=2000), nullable=True),
        sa.Column("caveats", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.String(length=200), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_table(
        "imported_rows",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("import_id", BigId, nullable=False),
        sa.Column("record_type", sa.String(length=20), nullable=False),
        sa.Column("record_id", BigId, nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_imported_rows_import_id_imports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_rows")),
    )
    op.create_index("ix_imported_rows_import_id", "imported_rows", ["import_id"], unique=False)
    op.create_index("ix_imported_rows_record", "imported_rows", ["record_type", "record_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_imported_rows_record", table_name="imported_rows")
    op.drop_index("ix_imported_rows_import_id", table_name="imported_rows")
    op.drop_table("imported_rows")
    op.drop_table("imports")
