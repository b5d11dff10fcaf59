"""assessments: provenance and review; recommendations: how their status was known

- `assessments.origin` (`entered`, `imported`, `classified`), `counted`, `review`
  (`not_needed`, `awaiting`, `confirmed`, `rejected`), the classifying `rule`, its measured
  `confidence`, the `evidence_start`/`evidence_end` of the matched sentence in the note, who
  reviewed it and when, the machine reading a correction supersedes (`corrects_id`), and a `version` (the
  ETag of a review). Only counted assessments make a status: a retracted one is not counted
  (checked by the database), nor a machine reading below its import's bar until confirmed.
- `recommendations.status_origin`, `status_reviewed`, `suggested_status`, kept in step with
  the history like `status`.

Existing rows, decided from what the record says of them: the assessments the CSV importer
wrote name their mapping in `recorded_by` (`import-csv:taic.toml`). The shipped mapping that
classified statuses from the reply's words was `taic.toml`: its rows become `classified`,
awaiting review. Their rule and its measured precision were not kept, so none can be said
to clear a bar: they become suggestions (not counted) until an editor reviews them, and the
statuses they made read `pending` beside the suggestion. (Re-importing the file into a new
database classifies them again, with rule, confidence and evidence.) The other mappings'
assessments (`import-csv:upr.toml`: the States' own positions) are `imported`; everything
else, written through the pages, the API, the demo or a JSON import, is `entered`. Retracted
ones are not counted. Every recommendation's kept columns and every decision's compliance are
then derived again by the rule of this revision, and the read documents are marked stale, so
that `findings migrate` rewrites them after the last revision.

Revision ID: a7f3b9d21c64
Revises: 5d2a8c4e1f70
Create Date: 2026-12-08 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7f3b9d21c64"
down_revision: str | None = "5d2a8c4e1f70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ORIGINS = ("entered", "imported", "classified")
REVIEWS = ("not_needed", "awaiting", "confirmed", "rejected")
STATUSES = ("pending", "complied", "partially_complied", "not_complied", "disputed", "withdrawn")
# The shipped mappings whose `assessment.status` was classified from text when this revision
# was written.
CLASSIFYING = ("import-csv:taic.toml",)


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _latest(column: str) -> str:
    """`column` of recommendation `recommendations.id`'s latest counted assessment."""
    return (
        f"(SELECT {column} FROM assessments a WHERE a.recommendation_id = recommendations.id "
        "AND a.counted ORDER BY a.assessed_on DESC, a.id DESC LIMIT 1)"
    )


REVIEWED = "(a.review <> 'awaiting')"
SUGGESTED = (
    "(SELECT s.status FROM assessments s WHERE s.recommendation_id = recommendations.id"
    " AND s.origin = 'classified' AND NOT s.counted AND s.review = 'awaiting'"
    " AND s.retracted_at IS NULL AND NOT EXISTS (SELECT 1 FROM assessments c"
    " WHERE c.recommendation_id = s.recommendation_id AND c.counted"
    " AND (c.assessed_on > s.assessed_on OR (c.assessed_on = s.assessed_on AND c.id > s.id)))"
    " ORDER BY s.assessed_on DESC, s.id DESC LIMIT 1)"
)


def _count(*statuses: str) -> str:
    return f"coalesce(sum(CASE WHEN {_in('r.status', statuses)} THEN 1 ELSE 0 END), 0)"


def _compliance() -> str:
    """The derived compliance of decision `decisions.id`, the rule as of this revision."""
    total = _count(*(s for s in STATUSES if s != "withdrawn"))
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


def upgrade() -> None:
    # assessments is referenced by no other table, so SQLite's batch copy deletes nothing.
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(
            sa.Column("origin", _enum(ORIGINS, "origin"), server_default="entered", nullable=False)
        )
        batch.add_column(sa.Column("counted", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch.add_column(
            sa.Column("review", _enum(REVIEWS, "review"), server_default="not_needed", nullable=False)
        )
        batch.add_column(sa.Column("rule", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("evidence_start", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("evidence_end", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reviewed_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("reviewed_by_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("corrects_id", BigId, nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch.create_foreign_key(
            op.f("fk_assessments_corrects_id_assessments"),
            "assessments",
            ["corrects_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_assessments_review_id", ["review", "id"], unique=False)
    classified = ", ".join(f"'{actor}'" for actor in CLASSIFYING)
    op.execute(
        "UPDATE assessments SET"
        f" origin = CASE WHEN recorded_by IN ({classified}) THEN 'classified'"
        " WHEN recorded_by LIKE 'import-csv:%' THEN 'imported' ELSE 'entered' END,"
        f" review = CASE WHEN recorded_by IN ({classified}) THEN 'awaiting' ELSE 'not_needed' END,"
        f" counted = CASE WHEN retracted_at IS NULL AND recorded_by NOT IN ({classified})"
        " THEN 1 = 1 ELSE 1 = 0 END"
    )
    with op.batch_alter_table("assessments") as batch:
        batch.create_check_constraint("retracted_not_counted", "retracted_at IS NULL OR NOT counted")
        batch.create_check_constraint("evidence_pair", "(evidence_start IS NULL) = (evidence_end IS NULL)")
        batch.alter_column("origin", server_default=None)
        batch.alter_column("counted", server_default=None)
        batch.alter_column("review", server_default=None)
        batch.alter_column("version", server_default=None)

    # recommendations is referenced by assessments (ON DELETE CASCADE) and indexed for search
    # by triggers: plain ADD COLUMNs, never SQLite's copy of the table.
    for name, values, check in (
        ("status_origin", ORIGINS, "ck_recommendations_origin"),
        ("suggested_status", STATUSES, "ck_recommendations_suggested_status"),
    ):
        op.execute(
            f"ALTER TABLE recommendations ADD COLUMN {name} VARCHAR(32)"
            f" CONSTRAINT {check} CHECK ({_in(name, values)})"
        )
    op.add_column("recommendations", sa.Column("status_reviewed", sa.Boolean(), nullable=True))
    # Derived columns only: updated_at is left as it was.
    op.execute(
        "UPDATE recommendations SET"
        f" status = coalesce({_latest('a.status')}, 'pending'),"
        f" last_assessed_on = {_latest('a.assessed_on')},"
        f" status_origin = {_latest('a.origin')},"
        f" status_reviewed = {_latest(REVIEWED)},"
        f" suggested_status = {SUGGESTED}"
    )
    op.execute(f"UPDATE decisions SET compliance = {_compliance()}")
    # Their counts and compliance may have changed: `findings migrate` rewrites every document
    # (and its listings) whose digest is not the code's, after the last revision.
    op.execute("UPDATE decision_documents SET digest = ''")


def downgrade() -> None:
    # The suggestions count again, as they did before this revision (retracted ones do not).
    op.execute(
        "UPDATE recommendations SET"
        " status = coalesce((SELECT a.status FROM assessments a WHERE a.recommendation_id ="
        " recommendations.id AND a.retracted_at IS NULL ORDER BY a.assessed_on DESC, a.id DESC"
        " LIMIT 1), 'pending'),"
        " last_assessed_on = (SELECT max(a.assessed_on) FROM assessments a WHERE"
        " a.recommendation_id = recommendations.id AND a.retracted_at IS NULL)"
    )
    op.execute(f"UPDATE decisions SET compliance = {_compliance()}")
    op.execute("UPDATE decision_documents SET digest = ''")
    for column in ("status_reviewed", "suggested_status", "status_origin"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE recommendations DROP COLUMN {column}")
        else:
            op.drop_column("recommendations", column)
    with op.batch_alter_table("assessments") as batch:
        for check in ("evidence_pair", "retracted_not_counted", "origin", "review"):
            batch.drop_constraint(check, type_="check")
        batch.drop_index("ix_assessments_review_id")
        batch.drop_constraint(op.f("fk_assessments_corrects_id_assessments"), type_="foreignkey")
        for column in (
            "version",
            "corrects_id",
            "reviewed_by_name",
            "reviewed_by",
            "reviewed_at",
            "evidence_end",
            "evidence_start",
            "confidence",
            "rule",
            "review",
            "counted",
            "origin",
        ):
            batch.drop_column(column)
