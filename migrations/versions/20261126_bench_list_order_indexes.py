"""decisions: index compliance and kind with the list order; recommendations: cover overdue

A list filtered by compliance or by kind (alone or with a regulator, a party...) walked the
`compliance` (or `kind`) index and then sorted every match by date: at 200,000 decisions, 28 ms
for a page of 50 of one compliance, 130 ms of one kind with a big regulator. With
(compliance, issued_on, id) and (kind, issued_on, id) it reads the matches already in the list's
order and stops after a page. Each new index starts with the old one's column, so it serves
every query the old one did, and the old one is dropped.

Counting overdue recommendations (due_on in the past, status not complied or withdrawn) read
each matching row through the `due_on` index: 1.7 s at 1,000,000 recommendations. With
(due_on, status) the count is read from the index alone.

Revision ID: 3f1c2b7d9a10
Revises: 5ec0a7d1e2b3
Create Date: 2026-11-26 15:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3f1c2b7d9a10"
down_revision: str | None = "5ec0a7d1e2b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_decisions_compliance_issued_on", ["compliance", "issued_on", "id"], unique=False
        )
        batch_op.drop_index("ix_decisions_compliance")
        batch_op.create_index("ix_decisions_kind_issued_on", ["kind", "issued_on", "id"], unique=False)
        batch_op.drop_index("ix_decisions_kind")
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index("ix_recommendations_due_on_status", ["due_on", "status"], unique=False)
        batch_op.drop_index("ix_recommendations_due_on")


def downgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index("ix_recommendations_due_on", ["due_on"], unique=False)
        batch_op.drop_index("ix_recommendations_due_on_status")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index("ix_decisions_compliance", ["compliance"], unique=False)
        batch_op.drop_index("ix_decisions_compliance_issued_on")
        batch_op.create_index("ix_decisions_kind", ["kind"], unique=False)
        batch_op.drop_index("ix_decisions_kind_issued_on")
