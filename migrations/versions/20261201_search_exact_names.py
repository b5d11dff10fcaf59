"""search: exact names found by an index

The search ranks first the records whose name (a decision's or case's title, an
organisation's name or alias, a regulator's name or short name) is, word for word, the
query. That was a function called on every match; it is now a lookup by index:

- SQLite: an FTS5 table `search_names` (rowid = the document's key in `search_index`), one
  row per document that has names, each name between two markers glued to its first and
  last words (`xqxbFacial recognitionxqxe`), so that the phrase
  `"xqxbfacial recognitionxqxe"` finds exactly the documents with that name, and quickly:
  its first and last words are rare however common the name's words are (a name that starts
  or ends with punctuation has the marker as a word of its own; the search asks for those
  forms too). Same tokenizer as `search_index` (case and accents ignored). Kept in step by triggers on the
  source tables, in the transaction of each write, like `search_index`.
- PostgreSQL: an expression GIN index on `findings_search_names(exact)`, the array of the
  names' `tsvector`s as text; the query's own `tsvector` is looked up in it.

Revision ID: b8afd30fc503
Revises: 9c4e1a7b3d52
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b8afd30fc503"
down_revision: str | None = "9c4e1a7b3d52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEGIN, END = "xqxb", "xqxe"

ALIASES = (
    "(SELECT group_concat(a.alias, char(10)) FROM organisation_aliases a WHERE a.organisation_id = o.id)"
)
# Per source table: its kind code, its names (one a line), the FROM ending in a WHERE on the
# id, and the columns the names come from.
NAMES = {
    "decisions": (1, "d.title", "FROM decisions d WHERE d.id", "title"),
    "organisations": (
        4,
        f"o.name || coalesce(char(10) || {ALIASES}, '')",
        "FROM organisations o WHERE o.id",
        "name",
    ),
    "regulators": (
        5,
        "g.name || coalesce(char(10) || g.short_name, '')",
        "FROM regulators g WHERE g.id",
        "name, short_name",
    ),
    "cases": (6, "c.title", "FROM cases c WHERE c.id", "title"),
}


def _insert(code: int, names: str, source: str) -> str:
    """An INSERT of the documents' names, to be completed by `IS NOT NULL` or `= <id>`."""
    wrapped = f"'{BEGIN}' || replace({names}, char(10), '{END} {BEGIN}') || '{END}'"
    alias = source.split()[-1].split(".")[0]
    return f"INSERT INTO search_names (rowid, name) SELECT {alias}.id * 8 + {code}, {wrapped} {source} "


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION findings_search_names(names text) RETURNS text[] "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            "AS $$ SELECT array(SELECT to_tsvector('findings_search', findings_search_text(name))::text "
            "FROM regexp_split_to_table(coalesce(names, ''), E'\\n') AS name) $$"
        )
        op.execute(
            "CREATE INDEX ix_search_index_names ON search_index USING gin (findings_search_names(exact)) "
            "WHERE exact IS NOT NULL"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE search_names USING fts5(name, tokenize = 'unicode61 remove_diacritics 2')"
    )
    for table, (code, names, source, columns) in NAMES.items():
        insert = _insert(code, names, source)
        op.execute(f"{insert}IS NOT NULL")
        op.execute(
            f"CREATE TRIGGER search_names_{table}_insert AFTER INSERT ON {table} BEGIN {insert}= new.id; END"
        )
        op.execute(
            f"CREATE TRIGGER search_names_{table}_update AFTER UPDATE OF {columns} ON {table} BEGIN "
            f"DELETE FROM search_names WHERE rowid = old.id * 8 + {code}; {insert}= new.id; END"
        )
        op.execute(
            f"CREATE TRIGGER search_names_{table}_delete AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM search_names WHERE rowid = old.id * 8 + {code}; END"
        )
    insert = _insert(*NAMES["organisations"][:3])

    def refresh(row: str) -> str:
        owner = f"{row}.organisation_id"
        return f"DELETE FROM search_names WHERE rowid = {owner} * 8 + 4; {insert}= {owner};"

    op.execute(
        "CREATE TRIGGER search_names_organisation_aliases_insert AFTER INSERT ON organisation_aliases "
        f"BEGIN {refresh('new')} END"
    )
    op.execute(
        "CREATE TRIGGER search_names_organisation_aliases_update AFTER UPDATE ON organisation_aliases "
        f"BEGIN {refresh('old')} {refresh('new')} END"
    )
    op.execute(
        "CREATE TRIGGER search_names_organisation_aliases_delete AFTER DELETE ON organisation_aliases "
        f"BEGIN {refresh('old')} END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_search_index_names")
        op.execute("DROP FUNCTION findings_search_names(text)")
        return
    for table in (*NAMES, "organisation_aliases"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS search_names_{table}_{event}")
    op.execute("DROP TABLE search_names")
