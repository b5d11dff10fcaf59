"""accounts: one-time codes used once under concurrency, confirmations carry their password

Revision ID: 3f8b2d61c0a7
Revises: 6c1e8f2a9d47
Create Date: 2026-12-10 09:00:00

- Recovery codes move from a JSON list on `users` to rows of their own (`recovery_codes`),
  each used once by a conditional UPDATE ... WHERE used_at IS NULL (a list rewritten by two
  requests at once let one code open several sessions on PostgreSQL).
- `user_sessions.code_attempts`: the second-factor codes tried on a pending session.
- `sign_in_failures.second_factor`: a wrong code after the right password (counted per account).
- `account_tokens.password_hash`, `.name`: what the sign-up that sent a confirmation gave; the
  confirmation sets them (a stranger's earlier sign-up with your address leaves no password).
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "3f8b2d61c0a7"
down_revision: str | None = "6c1e8f2a9d47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    recovery = op.create_table(
        "recovery_codes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("user_id", "code_hash", name=op.f("uq_recovery_codes_user_id_code_hash")),
    )
    bind = op.get_bind()
    rows = []
    for user_id, codes in bind.execute(sa.text("SELECT id, recovery_codes FROM users")):
        if isinstance(codes, str):
            codes = json.loads(codes)
        rows += [{"user_id": user_id, "code_hash": h} for h in dict.fromkeys(codes or [])]
    if rows:
        op.bulk_insert(recovery, rows)
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("recovery_codes")
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.add_column(sa.Column("code_attempts", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("sign_in_failures") as batch_op:
        batch_op.add_column(
            sa.Column("second_factor", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("account_tokens") as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account_tokens") as batch_op:
        batch_op.drop_column("name")
        batch_op.drop_column("password_hash")
    with op.batch_alter_table("sign_in_failures") as batch_op:
        batch_op.drop_column("second_factor")
    with op.batch_alter_table("user_sessions") as batch_op:
        batch_op.drop_column("code_attempts")
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("recovery_codes", sa.JSON(), nullable=True))
    bind = op.get_bind()
    unused: dict[int, list[str]] = {}
    for user_id, code_hash in bind.execute(
        sa.text("SELECT user_id, code_hash FROM recovery_codes WHERE used_at IS NULL ORDER BY id")
    ):
        unused.setdefault(user_id, []).append(code_hash)
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("recovery_codes", sa.JSON()))
    for user_id, codes in unused.items():
        bind.execute(sa.update(users).where(users.c.id == user_id).values(recovery_codes=codes))
    op.drop_table("recovery_codes")
