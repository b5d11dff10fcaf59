"""search: a decision's recommendations read again when its language changes (PostgreSQL)

On PostgreSQL a recommendation's search document holds its text as French (its French stems,
`body_fr`) when its decision is French (migration 20261213_record_languages): a trigger on
`decisions`, AFTER UPDATE OF language (when it differs), rewrites the documents of its
recommendations in the same transaction, whoever changes the row. SQLite's documents do not
depend on the decision's language: nothing to do there.

Revision ID: 7f2c9e4b1d36
Revises: 2d8f4b6a9c13
Create Date: 2026-12-14
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7f2c9e4b1d36"
down_revision: str | None = "2d8f4b6a9c13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION findings_search_language() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM findings_search_refresh(3, r.id) FROM recommendations r WHERE r.decision_id = NEW.id; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER search_index_language AFTER UPDATE OF language ON decisions FOR EACH ROW "
        "WHEN (OLD.language IS DISTINCT FROM NEW.language) EXECUTE FUNCTION findings_search_language()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER search_index_language ON decisions")
    op.execute("DROP FUNCTION findings_search_language()")
