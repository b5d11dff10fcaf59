"""assessments: index by the day they took effect, for the newest compliance changes

The dashboard's and the feed's "latest assessments" read the assessments newest first by
`assessed_on` (then id). Without an index in that order, SQLite sorted all of them: 616 ms at
2,000,000 assessments. With (assessed_on, id) it reads the first few in order.

Revision ID: 7b2d4e6f8a01
Revises: 3f1c2b7d9a10
Create Date: 2026-11-26 17:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7b2d4e6f8a01"
down_revision: str | None = "3f1c2b7d9a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_assessments_assessed_on_id", "assessments", ["assessed_on", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_assessments_assessed_on_id", table_name="assessments")
