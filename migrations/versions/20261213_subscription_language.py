"""subscriptions.language: the language a subscription's e-mails are written in

A subscription keeps the language it was made in (issue 28, part 1): the follow form's page
language, or the API's `language` (else the request's Accept-Language). Existing
subscriptions read English, as their e-mails always were. Downgrading drops the column.

Revision ID: 5d2b8f4a6c19
Revises: 1e6c3a9f7d25
Create Date: 2026-12-13
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2b8f4a6c19"
down_revision: str | None = "1e6c3a9f7d25"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("language")
