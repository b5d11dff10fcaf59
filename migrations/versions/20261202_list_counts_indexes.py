"""lists: indexes beside the lists' new orders and filters

- `ix_decisions_penalty` (penalty_amount, penalty_currency, id) and
  `ix_recommendations_last_assessed_on` (last_assessed_on, id): the columns the new orders read
  and the penalty filters of reports. The orders themselves go through COALESCE (no penalty,
  no day: last), which these plain indexes do not serve; measured at SCALE=0.05 a page sorted
  by `-penalty_amount` takes 15-30 ms.
- The tag filter now ignores case (`lower(tag) = lower(?)`, one pass over the short tag rows);
  no expression index, which SQLite's reflection cannot read back for the schema comparison.

Revision ID: d14a50a7e001
Revises: e14b0c3f7a02
Create Date: 2026-12-02 02:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d14a50a7e001"
down_revision: str | None = "e14b0c3f7a02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_decisions_penalty", "decisions", ["penalty_amount", "penalty_currency", "id"])
    op.create_index("ix_recommendations_last_assessed_on", "recommendations", ["last_assessed_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_recommendations_last_assessed_on", table_name="recommendations")
    op.drop_index("ix_decisions_penalty", table_name="decisions")
