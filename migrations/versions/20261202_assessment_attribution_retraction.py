"""assessments: a public attribution, and retraction

- `recorded_by_name`: who recorded the assessment as the public may see it (the account's
  display name, or the role of the token or the kind of command that wrote it), kept apart
  from `recorded_by`, the full actor (`user:<e-mail>`, `token:<name>`), which only admins
  see (in the audit log). Existing rows get the display name of the account named by their
  actor, the role of the token, or else the actor's kind (the part before `:`).
- `retracted_at`, `retracted_by`, `retracted_by_name`, `retraction_reason`: an admin's
  retraction of a mistaken assessment. A retracted assessment stays in the history, marked,
  and no longer counts in any derived status.

Revision ID: e14b0c3f7a02
Revises: c4d19e7a52b3
Create Date: 2026-12-02 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e14b0c3f7a02"
down_revision: str | None = "c4d19e7a52b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("recorded_by_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("retracted_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("retracted_by_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("retraction_reason", sa.Text(), nullable=True))
    dialect = op.get_bind().dialect.name
    concat = "||"
    kind = (
        "substr(recorded_by, 1, instr(recorded_by, ':') - 1)"
        if dialect == "sqlite"
        else "split_part(recorded_by, ':', 1)"
    )
    op.execute(
        f"""
        UPDATE assessments SET recorded_by_name = COALESCE(
            (SELECT u.name FROM users u WHERE 'user:' {concat} u.email = assessments.recorded_by),
            (SELECT t.role FROM api_tokens t WHERE 'token:' {concat} t.name = assessments.recorded_by),
            CASE WHEN recorded_by LIKE 'user:%' OR recorded_by LIKE 'token:%' THEN 'editor'
                 WHEN recorded_by LIKE '%:%' THEN {kind}
                 ELSE recorded_by END
        )
        """
    )
    with op.batch_alter_table("assessments") as batch:
        batch.alter_column("recorded_by_name", existing_type=sa.String(200), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        for column in (
            "retraction_reason",
            "retracted_by_name",
            "retracted_by",
            "retracted_at",
            "recorded_by_name",
        ):
            batch.drop_column(column)
