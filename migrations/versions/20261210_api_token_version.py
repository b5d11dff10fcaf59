"""api_tokens.version: a token's ETag, named by If-Match when it is revoked (like every DELETE)

Revision ID: 6a1d4c93e2b8
Revises: 3f8b2d61c0a7
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6a1d4c93e2b8"
down_revision: str | None = "3f8b2d61c0a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("version")
