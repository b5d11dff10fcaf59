"""recommendations: their own reference (TAIC's `063/05`), unique within a decision, searched

A nullable `reference` column and a unique index on (decision_id, reference): NULLs do not
clash, so recommendations without one are as before. The search document of a
recommendation gets the reference as its title (the body stays its text), so that a search
for `063/05` finds it in the title tier: the SQLite triggers and the PostgreSQL refresh
function are re-created with the new SELECT (and the update trigger also watches
`reference`), and the recommendations' documents are rebuilt.

Revision ID: 0ae89b3a019e
Revises: b8afd30fc503
Create Date: 2026-12-02 02:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0ae89b3a019e"
down_revision: str | None = "b8afd30fc503"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "SELECT r.id * 8 + 3, '', r.text, NULL FROM recommendations r WHERE r.id"
NEW = "SELECT r.id * 8 + 3, coalesce(r.reference, ''), r.text, NULL FROM recommendations r WHERE r.id"


def _pg_refresh(recommendations: str) -> str:
    """findings_search_refresh() as the full-text migration wrote it, with the recommendations'
    SELECT given (the other kinds unchanged)."""
    aliases = (
        "(SELECT string_agg(a.alias, ', ' ORDER BY a.position) "
        "FROM organisation_aliases a WHERE a.organisation_id = o.id)"
    )
    alias_lines = (
        "(SELECT string_agg(a.alias, chr(10) ORDER BY a.position) "
        "FROM organisation_aliases a WHERE a.organisation_id = o.id)"
    )
    selects = {
        1: "SELECT d.id * 8 + 1, d.title || ' · ' || d.reference, coalesce(d.summary, ''), "
        "d.title FROM decisions d WHERE d.id",
        2: "SELECT f.id * 8 + 2, '', f.text || coalesce(' (' || f.provision || ')', ''), NULL "
        "FROM findings f WHERE f.id",
        3: recommendations,
        4: f"SELECT o.id * 8 + 4, o.name || coalesce(' (' || {aliases} || ')', ''), '', "
        f"o.name || coalesce(chr(10) || {alias_lines}, '') FROM organisations o WHERE o.id",
        5: "SELECT g.id * 8 + 5, g.name || coalesce(' (' || g.short_name || ')', ''), '', "
        "g.name || coalesce(chr(10) || g.short_name, '') FROM regulators g WHERE g.id",
        6: "SELECT c.id * 8 + 6, c.title, coalesce(c.summary, ''), c.title FROM cases c WHERE c.id",
    }
    branches = " ".join(
        f"WHEN {code} THEN INSERT INTO search_index (doc_id, title, body, exact) {select} = ref;"
        for code, select in selects.items()
    )
    return (
        "CREATE OR REPLACE FUNCTION findings_search_refresh(code integer, ref bigint) RETURNS void "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "DELETE FROM search_index WHERE doc_id = ref * 8 + code; "
        f"CASE code {branches} END CASE; "
        "END $$"
    )


def _search(select: str, columns: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_refresh(select))
        op.execute("DROP TRIGGER search_index_sync ON recommendations")
        op.execute(
            f"CREATE TRIGGER search_index_sync AFTER INSERT OR DELETE OR UPDATE OF {columns} "
            "ON recommendations FOR EACH ROW EXECUTE FUNCTION findings_search_row('3', 'id')"
        )
        op.execute("DELETE FROM search_index WHERE doc_id % 8 = 3")
        op.execute(f"INSERT INTO search_index (doc_id, title, body, exact) {select} IS NOT NULL")
        return
    insert = f"INSERT INTO search_index (rowid, title, body, exact) {select}"
    op.execute("DROP TRIGGER IF EXISTS search_recommendations_insert")
    op.execute("DROP TRIGGER IF EXISTS search_recommendations_update")
    op.execute(
        "CREATE TRIGGER search_recommendations_insert AFTER INSERT ON recommendations "
        f"BEGIN {insert} = new.id; END"
    )
    op.execute(
        f"CREATE TRIGGER search_recommendations_update AFTER UPDATE OF {columns} ON recommendations BEGIN "
        f"DELETE FROM search_index WHERE rowid = old.id * 8 + 3; {insert} = new.id; END"
    )
    op.execute("DELETE FROM search_index WHERE rowid IN (SELECT id * 8 + 3 FROM recommendations)")
    op.execute(f"{insert} IS NOT NULL")


def upgrade() -> None:
    op.add_column("recommendations", sa.Column("reference", sa.String(length=100), nullable=True))
    op.create_index(
        "ix_recommendations_decision_id_reference",
        "recommendations",
        ["decision_id", "reference"],
        unique=True,
    )
    _search(NEW, "text, reference")


def downgrade() -> None:
    _search(OLD, "text")
    op.drop_index("ix_recommendations_decision_id_reference", table_name="recommendations")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("recommendations", "reference")
        return
    # SQLite 3.35+ drops a plain column in place; the table's triggers stay.
    op.execute("ALTER TABLE recommendations DROP COLUMN reference")
