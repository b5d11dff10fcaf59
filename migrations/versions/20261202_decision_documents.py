"""decision_documents: the stored read model, each decision's current read document

One row per decision (dropped with it), holding the JSON of its current read and its version
(the ETag); app/services/readmodel/store.py keeps it in step with every write. The table is made
empty here: `findings migrate` (app/migrate.py) then makes the documents of the decisions that
have none with the code of the head revision, after every later revision has run. Calling the
app from this revision would read the decisions through today's models, which may hold columns
that a later revision adds. A later revision that changes what a document holds empties the
table (`DELETE FROM decision_documents`), and the same step makes them again.

Revision ID: 3b7e2d91c0a4
Revises: d14a50a7e001
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b7e2d91c0a4"
down_revision: str | None = "d14a50a7e001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "decision_documents",
        sa.Column("decision_id", big_id, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_documents_decision_id_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_decision_documents")),
    )


def downgrade() -> None:
    op.drop_table("decision_documents")
