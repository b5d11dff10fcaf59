"""decisions.issued_on_precision, assessments.assessed_on_precision: dates as precise as their source

`day`, `month` or `year` (app/schemas/precision.py): a month or a year is kept as its first
day. Every existing date reads `day`, as it was entered: the record cannot tell a placeholder
(an import's 1 January of a year) from a real 1 January, so none is guessed; a re-import with
a mapping naming the precision, or an edit, says it. The read documents carry the new field:
their digest changes with the read schema, so `findings migrate` rewrites them. (The stored
read documents' digest follows the read schema: nothing to mark here.)

Revision ID: 4b7e2c9a1d53
Revises: 3f9a7c2e5b61
Create Date: 2026-12-11 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b7e2c9a1d53"
down_revision: str | None = "3f9a7c2e5b61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRECISIONS = ("day", "month", "year")
COLUMNS = (("decisions", "issued_on_precision"), ("assessments", "assessed_on_precision"))
CHECK = "{column} IN (" + ", ".join(f"'{p}'" for p in PRECISIONS) + ")"


def upgrade() -> None:
    for table, column in COLUMNS:
        if op.get_bind().dialect.name == "sqlite":
            # In place, with the check on the column: a batch copy would drop the tables'
            # search triggers, and the column's own check lets SQLite drop it again.
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(32) DEFAULT 'day' NOT NULL "
                f"CONSTRAINT ck_{table}_dateprecision CHECK ({CHECK.format(column=column)})"
            )
        else:
            op.add_column(table, sa.Column(column, sa.String(32), server_default="day", nullable=False))
            op.create_check_constraint(op.f(f"ck_{table}_dateprecision"), table, CHECK.format(column=column))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_constraint(op.f(f"ck_{table}_dateprecision"), table, type_="check")
            op.drop_column(table, column)
