"""decision_documents.digest: the digest of the read schema each document was built with

`findings migrate` rewrites, after the last revision, every document whose digest is not the
code's (app/migrate.py, `read_store.refresh_stale`): a change to the read shape rebuilds the
documents it makes stale, with no migration of its own. The documents there now carry an
empty digest, so the first `findings migrate` after this revision rewrites them all once.

Revision ID: 5d2a8c4e1f70
Revises: 7c31f0d2a9e4
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2a8c4e1f70"
down_revision: str | None = "7c31f0d2a9e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision_documents") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=16), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("decision_documents") as batch:
        batch.drop_column("digest")
