"""lists: indexes for the lists' new orders

(The tag filter now ignores case, `lower(tag) = lower(?)`; it probes each decision's tags by
the primary key as before, so it needs no index of its own. An expression index would also
be one that SQLite's reflection cannot read back, for the schema comparison.)

- `ix_decisions_penalty`: decisions by penalty amount, the penalty column of the lists
  (`sort=-penalty_amount`), and the currency beside it.
- `ix_recommendations_last_assessed_on`: recommendations by the day last assessed.

Revision ID: d14a50a7e001
Revises: b8afd30fc503
Create Date: 2026-12-02 02:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d14a50a7e001"
down_revision: str | None = "b8afd30fc503"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_decisions_penalty", "decisions", ["penalty_amount", "penalty_currency", "id"])
    op.create_index("ix_recommendations_last_assessed_on", "recommendations", ["last_assessed_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_recommendations_last_assessed_on", table_name="recommendations")
    op.drop_index("ix_decisions_penalty", table_name="decisions")
