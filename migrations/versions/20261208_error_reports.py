"""error_reports: readers' reports that something in the record is wrong

Each waits in the review queue until an editor accepts it (linking the change it led to) or
declines it with a reason.

Revision ID: c4f1a9e27b53
Revises: b3c8e2f49d17
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4f1a9e27b53"
down_revision: str | None = "b3c8e2f49d17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "error_reports",
        sa.Column("id", BigId, nullable=False),
        sa.Column(
            "target_kind",
            _enum(("decision", "recommendation", "organisation"), "reporttarget"),
            nullable=False,
        ),
        sa.Column("target_id", BigId, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=True),
        sa.Column("reporter_user_id", BigId, nullable=True),
        sa.Column("reporter_name", sa.String(length=200), nullable=False),
        sa.Column("status", _enum(("open", "accepted", "declined"), "reportstatus"), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("led_to_kind", sa.String(length=32), nullable=True),
        sa.Column("led_to_id", BigId, nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_by_name", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"],
            ["users.id"],
            name=op.f("fk_error_reports_reporter_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_reports")),
    )
    op.create_index("ix_error_reports_status_id", "error_reports", ["status", "id"], unique=False)
    op.create_index("ix_error_reports_target", "error_reports", ["target_kind", "target_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_error_reports_target", table_name="error_reports")
    op.drop_index("ix_error_reports_status_id", table_name="error_reports")
    op.drop_table("error_reports")
