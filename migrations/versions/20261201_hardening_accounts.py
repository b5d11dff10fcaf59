"""hardening: audit log refuses REPLACE, sign-in failures apart, two-factor, idle sessions

Revision ID: 9c4e1a7b3d52
Revises: a1e7c0de5b16
Create Date: 2026-12-01 20:30:00

- SQLite: `INSERT OR REPLACE` (and `REPLACE`) into audit_log deletes the old row without
  firing its DELETE trigger; a BEFORE INSERT trigger now refuses an insert whose id exists.
- Failed sign-ins go to their own (prunable) table, by e-mail and by client address, instead
  of adding undeletable rows to the audit log.
- Users gain a TOTP secret, its enrolment time and hashed recovery codes; sessions gain
  their last use (idle timeout) and a "second factor pending" flag.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "9c4e1a7b3d52"
down_revision: str | None = "a1e7c0de5b16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_log is append-only: its entries cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index("ix_sign_in_failures_email", "sign_in_failures", ["email", "at"])
    op.create_index("ix_sign_in_failures_client", "sign_in_failures", ["client", "at"])
    # Earlier failures were audit rows, which cannot be removed; they simply stop counting.
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("totp_enabled_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("recovery_codes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("last_used_from", sa.String(length=64), nullable=True))
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.add_column(
            sa.Column("last_seen_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("second_factor_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
            "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_log_no_replace")
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.drop_column("second_factor_pending")
        batch_op.drop_column("last_seen_at")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("last_used_from")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("recovery_codes")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
    op.drop_index("ix_sign_in_failures_client", table_name="sign_in_failures")
    op.drop_index("ix_sign_in_failures_email", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
