"""Penalties paid (issue 26): a decision's penalty has an obligation to pay, a recommendation of
the new kind `payment`, whose assessments say paid, partly paid (with `amount_paid`), unpaid or
contested.

- `recommendations.kind` may be `payment`; at most one payment obligation per decision (a
  partial unique index).
- `assessments.amount_paid` (the amount a partly paid assessment says was paid, in the
  penalty's currency).
- Every penalised decision with a respondent gets its obligation, addressed to its first
  respondent, each creation written to the audit log. A decision with a penalty and no
  respondent has no one to owe it, and gets none (as the app does).

On SQLite the kind's check is part of the table's text: it is widened in place (writable_schema,
as 20261202 did for `decisions.compliance`), because rebuilding `recommendations` would drop its
search triggers and, with foreign keys on, cascade deletes.

Revision ID: 6a1c3e9d0b52
Revises: 7c4e2a9d1f38
Create Date: 2026-12-12
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "6a1c3e9d0b52"
down_revision: str | None = "7c4e2a9d1f38"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("recommendation", "order", "undertaking")
NEW = ("recommendation", "order", "undertaking", "payment")
CHECK = "ck_recommendations_recommendationkind"
AMOUNT_CHECK = "amount_paid IS NULL OR amount_paid >= 0"


def _in_list(values: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _set_check(values: Sequence[str], was: Sequence[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        sql = bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'recommendations'"
        ).scalar_one()
        old, new = _in_list(was), _in_list(values)
        if old not in sql:
            raise RuntimeError(f"recommendations: check {CHECK} not found as expected ({old})")
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
        bind.exec_driver_sql("PRAGMA writable_schema = ON")
        bind.execute(
            sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'recommendations'"),
            {"sql": sql.replace(old, new)},
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    else:
        op.drop_constraint(op.f(CHECK), "recommendations", type_="check")
        op.create_check_constraint(op.f(CHECK), "recommendations", _in_list(values))


def obligation_text(amount: Decimal, currency: str) -> str:
    """The obligation's text, as app/services/payments writes it."""
    return f"Pay the penalty of {currency} {amount:,.2f}."


def _create_obligations() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT d.id, d.penalty_amount, d.penalty_currency,"
            " (SELECT o.organisation_id FROM decision_organisations o"
            "  WHERE o.decision_id = d.id AND o.role = 'respondent'"
            "  ORDER BY o.position LIMIT 1) AS respondent"
            " FROM decisions d WHERE d.penalty_amount IS NOT NULL ORDER BY d.id"
        )
    ).all()
    now = dt.datetime.now(dt.UTC)
    for decision_id, amount, currency, respondent in rows:
        if respondent is None:
            continue
        text = obligation_text(Decimal(amount), currency)
        new_id = bind.execute(
            sa.text(
                "INSERT INTO recommendations (decision_id, organisation_id, text, kind, status, version,"
                " created_at, updated_at) VALUES (:d, :o, :t, 'payment', 'pending', 1, :now, :now)"
                " RETURNING id"
            ),
            {"d": decision_id, "o": respondent, "t": text, "now": now},
        ).scalar_one()
        after = {
            "id": new_id,
            "decision_id": decision_id,
            "organisation_id": respondent,
            "reference": None,
            "text": text,
            "kind": "payment",
            "due_on": None,
            "status": "pending",
            "last_assessed_on": None,
            "status_origin": None,
            "status_reviewed": None,
            "suggested_status": None,
            "version": 1,
        }
        bind.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after)"
                " VALUES (:now, 'migration:penalty_payments', 'create', 'recommendation', :id, NULL, :after)"
            ).bindparams(sa.bindparam("after", type_=sa.JSON)),
            {"now": now, "id": new_id, "after": after},
        )


def upgrade() -> None:
    _set_check(NEW, OLD)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # A column with its check, added in place (ALTER TABLE ADD COLUMN takes a CHECK).
        bind.exec_driver_sql(
            "ALTER TABLE assessments ADD COLUMN amount_paid NUMERIC(20, 2)"
            f" CONSTRAINT ck_assessments_amount_paid_positive CHECK ({AMOUNT_CHECK})"
        )
    else:
        op.add_column("assessments", sa.Column("amount_paid", sa.Numeric(20, 2), nullable=True))
        op.create_check_constraint(op.f("ck_assessments_amount_paid_positive"), "assessments", AMOUNT_CHECK)
    op.create_index(
        "ix_recommendations_payment",
        "recommendations",
        ["decision_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'payment'"),
        postgresql_where=sa.text("kind = 'payment'"),
    )
    _create_obligations()
    # The read documents carry the paid part of each penalty: `findings migrate` rewrites the
    # stale ones after the last revision (their schema digest changed).


def downgrade() -> None:
    bind = op.get_bind()
    # The obligations (and their history) go with the kind: they cannot be kept as another kind.
    # (Foreign keys are off while SQLite migrates: no cascade, so the history goes first.)
    payment = "SELECT id FROM recommendations WHERE kind = 'payment'"
    history = f"SELECT id FROM assessments WHERE recommendation_id IN ({payment})"
    op.execute(f"UPDATE assessments SET corrects_id = NULL WHERE corrects_id IN ({history})")
    op.execute(f"DELETE FROM assessments WHERE recommendation_id IN ({payment})")
    op.execute("DELETE FROM recommendations WHERE kind = 'payment'")
    op.drop_index("ix_recommendations_payment", table_name="recommendations")
    if bind.dialect.name == "sqlite":
        op.execute("ALTER TABLE assessments DROP COLUMN amount_paid")
    else:
        op.drop_constraint(op.f("ck_assessments_amount_paid_positive"), "assessments", type_="check")
        op.drop_column("assessments", "amount_paid")
    _set_check(OLD, NEW)
