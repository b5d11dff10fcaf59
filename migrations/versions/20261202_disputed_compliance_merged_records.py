"""decisions: compliance may be `disputed`; merged_records for the old ids of merged records

- The check on `decisions.compliance` gains `disputed`, and every kept compliance is derived
  again by the new rule (a decision whose recommendations are all disputed, or disputed and
  pending, read `not_complied`; it now reads `disputed`).
- `merged_records`: a merged organisation's or decision's id, and the id it was merged into.

On SQLite the check is part of the table's text: it is widened in place (writable_schema,
the documented way for a change that leaves every stored row valid), because rebuilding
`decisions` would drop its search triggers and, with foreign keys on, cascade deletes.

Revision ID: c4d19e7a52b3
Revises: 0ae89b3a019e
Create Date: 2026-12-02 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4d19e7a52b3"
down_revision: str | None = "0ae89b3a019e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("none", "pending", "complied", "partially_complied", "not_complied")
NEW = ("none", "pending", "complied", "partially_complied", "disputed", "not_complied")
CHECK = "ck_decisions_compliance"


def _in_list(values: Sequence[str]) -> str:
    return "compliance IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _count(*statuses: str) -> str:
    listed = ", ".join(f"'{s}'" for s in statuses)
    return f"coalesce(sum(CASE WHEN r.status IN ({listed}) THEN 1 ELSE 0 END), 0)"


def _derived() -> str:
    """The derived compliance of decision `decisions.id`, the rule as of this revision."""
    total = _count("pending", "complied", "partially_complied", "not_complied", "disputed")
    return (
        "(SELECT CASE"
        f" WHEN {total} = 0 THEN 'none'"
        f" WHEN {_count('complied')} = {total} THEN 'complied'"
        f" WHEN {_count('complied', 'partially_complied')} > 0 THEN 'partially_complied'"
        f" WHEN {_count('pending')} = {total} THEN 'pending'"
        f" WHEN {_count('disputed')} > 0 AND {_count('not_complied')} = 0 THEN 'disputed'"
        " ELSE 'not_complied' END"
        " FROM recommendations r WHERE r.decision_id = decisions.id)"
    )


def _set_check(values: Sequence[str], was: Sequence[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        sql = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'decisions'"
        ).scalar_one()
        old, new = _in_list(was), _in_list(values)
        if old not in sql:
            raise RuntimeError(f"decisions: check {CHECK} not found as expected ({old})")
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
        bind.exec_driver_sql("PRAGMA writable_schema = ON")
        bind.execute(
            sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'decisions'"),
            {"sql": sql.replace(old, new)},
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    else:
        op.drop_constraint(op.f(CHECK), "decisions", type_="check")
        op.create_check_constraint(op.f(CHECK), "decisions", _in_list(values))


def upgrade() -> None:
    _set_check(NEW, OLD)
    # Derived columns only: updated_at is left as it was.
    op.execute(f"UPDATE decisions SET compliance = {_derived()}")
    op.create_table(
        "merged_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("merged_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("into_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merged_records")),
        sa.UniqueConstraint("kind", "merged_id", name=op.f("uq_merged_records_kind_merged_id")),
    )


def downgrade() -> None:
    op.drop_table("merged_records")
    # The old rule had no `disputed`: those decisions read `not_complied` again.
    op.execute("UPDATE decisions SET compliance = 'not_complied' WHERE compliance = 'disputed'")
    _set_check(OLD, NEW)
