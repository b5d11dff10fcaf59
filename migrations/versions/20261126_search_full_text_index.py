"""full-text search index, kept in step by triggers

One index over everything searchable, `search_index`, one row per document:

| kind (code)        | title column                          | body column               |
| ------------------ | ------------------------------------- | ------------------------- |
| decision (1)       | title · reference                     | summary                   |
| finding (2)        |                                       | text (provision)          |
| recommendation (3) |                                       | text                      |
| organisation (4)   | name (alias, alias, ...)              |                           |
| regulator (5)      | name (short name)                     |                           |
| case (6)           | title                                 | summary                   |

A document's key is `id * 8 + code` (the SQLite rowid, the PostgreSQL `doc_id`), so that a
write finds its document by primary key; ids stay far below 2**60. `exact` holds the names
(one a line) that an exact-match query ranks first.

- SQLite: an FTS5 table with the `unicode61 remove_diacritics 2` tokenizer (accents and case
  ignored), filled by AFTER INSERT/UPDATE/DELETE triggers on each source table.
- PostgreSQL: a table with a generated `tsvector` (title weighted A, body D) under a GIN index,
  in the text search configuration `findings_search` ('simple' words, run through the
  `unaccent` dictionary), filled by row triggers calling `findings_search_refresh()`.
  Punctuation is turned into spaces first (`findings_search_text()`), so that both databases
  split `2021-001` or `priv.gc.ca` into the same words.

Either way the index changes in the transaction that changes the record. A later migration
that rebuilds one of these tables on SQLite (batch mode copies and renames the table) drops
its triggers and must create them again.

Revision ID: 5e4a1c7d9b20
Revises: ebe6badc6a8a
Create Date: 2026-11-26 15:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e4a1c7d9b20"
down_revision: str | None = "ebe6badc6a8a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Characters turned into spaces before PostgreSQL's parser sees the text: ASCII punctuation
# and the Unicode punctuation, symbol and space blocks, independently of the locale.
SEPARATORS = (
    r"[\s!-/:-@\[-`{-~\u00a0-\u00bf\u00d7\u00f7\u2000-\u206f\u20a0-\u20cf"
    r"\u2100-\u214f\u2190-\u2bff\u2e00-\u2e7f\u3000-\u303f\ufe30-\ufe4f\uff01-\uff0f]+"
)


def _documents(dialect: str) -> dict[str, tuple[int, str, str]]:
    """Per source table: its kind code, the SELECT of its documents, and its indexed columns.

    Each SELECT yields (key, title, body, exact) and ends in a WHERE to which `= <id>` is added.
    """
    if dialect == "sqlite":
        own = "FROM organisation_aliases a WHERE a.organisation_id = o.id"
        aliases = f"(SELECT group_concat(a.alias, ', ') {own})"
        alias_lines = f"(SELECT group_concat(a.alias, char(10)) {own})"
        newline = "char(10)"
    else:
        aliases = (
            "(SELECT string_agg(a.alias, ', ' ORDER BY a.position) "
            "FROM organisation_aliases a WHERE a.organisation_id = o.id)"
        )
        alias_lines = (
            "(SELECT string_agg(a.alias, chr(10) ORDER BY a.position) "
            "FROM organisation_aliases a WHERE a.organisation_id = o.id)"
        )
        newline = "chr(10)"
    return {
        "decisions": (
            1,
            "SELECT d.id * 8 + 1, d.title || ' · ' || d.reference, coalesce(d.summary, ''), "
            "d.title FROM decisions d WHERE d.id",
            "title, reference, summary",
        ),
        "findings": (
            2,
            "SELECT f.id * 8 + 2, '', f.text || coalesce(' (' || f.provision || ')', ''), NULL "
            "FROM findings f WHERE f.id",
            "text, provision",
        ),
        "recommendations": (
            3,
            "SELECT r.id * 8 + 3, '', r.text, NULL FROM recommendations r WHERE r.id",
            "text",
        ),
        "organisations": (
            4,
            f"SELECT o.id * 8 + 4, o.name || coalesce(' (' || {aliases} || ')', ''), '', "
            f"o.name || coalesce({newline} || {alias_lines}, '') FROM organisations o WHERE o.id",
            "name",
        ),
        "regulators": (
            5,
            "SELECT g.id * 8 + 5, g.name || coalesce(' (' || g.short_name || ')', ''), '', "
            f"g.name || coalesce({newline} || g.short_name, '') FROM regulators g WHERE g.id",
            "name, short_name",
        ),
        "cases": (
            6,
            "SELECT c.id * 8 + 6, c.title, coalesce(c.summary, ''), c.title FROM cases c WHERE c.id",
            "title, summary",
        ),
    }


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*_documents("postgresql"), "organisation_aliases"):
            op.execute(f"DROP TRIGGER IF EXISTS search_index_sync ON {table}")
        op.execute("DROP TABLE search_index")
        op.execute("DROP FUNCTION findings_search_row()")
        op.execute("DROP FUNCTION findings_search_refresh(integer, bigint)")
        op.execute("DROP FUNCTION findings_search_exact(text, tsvector)")
        op.execute("DROP FUNCTION findings_search_text(text)")
        op.execute("DROP TEXT SEARCH CONFIGURATION findings_search")
        # The unaccent extension stays: other schemas may use it.
    else:
        for table in _documents("sqlite"):
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS search_{table}_{event}")
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS search_organisation_aliases_{event}")
        op.execute("DROP TABLE search_index")


def _upgrade_sqlite() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "title, body, exact UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')"
    )
    for table, (code, select, columns) in _documents("sqlite").items():
        insert = f"INSERT INTO search_index (rowid, title, body, exact) {select}"
        op.execute(f"{insert} IS NOT NULL")
        op.execute(
            f"CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table} BEGIN {insert} = new.id; END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_update AFTER UPDATE OF {columns} ON {table} BEGIN "
            f"DELETE FROM search_index WHERE rowid = old.id * 8 + {code}; {insert} = new.id; END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_delete AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM search_index WHERE rowid = old.id * 8 + {code}; END"
        )
    # An organisation's document holds its aliases.
    insert = (
        "INSERT INTO search_index (rowid, title, body, exact) " + _documents("sqlite")["organisations"][1]
    )

    def refresh(row: str) -> str:
        owner = f"{row}.organisation_id"
        return f"DELETE FROM search_index WHERE rowid = {owner} * 8 + 4; {insert} = {owner};"

    op.execute(
        "CREATE TRIGGER search_organisation_aliases_insert AFTER INSERT ON organisation_aliases "
        f"BEGIN {refresh('new')} END"
    )
    op.execute(
        "CREATE TRIGGER search_organisation_aliases_update AFTER UPDATE ON organisation_aliases "
        f"BEGIN {refresh('old')} {refresh('new')} END"
    )
    op.execute(
        "CREATE TRIGGER search_organisation_aliases_delete AFTER DELETE ON organisation_aliases "
        f"BEGIN {refresh('old')} END"
    )


def _upgrade_postgresql() -> None:
    # Trusted since PostgreSQL 13: a database owner may create it, a superuser always can.
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE TEXT SEARCH CONFIGURATION findings_search (COPY = pg_catalog.simple)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION findings_search ALTER MAPPING FOR "
        "asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart "
        "WITH unaccent, simple"
    )
    op.execute(
        "CREATE FUNCTION findings_search_text(value text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $$ SELECT regexp_replace(value, '{SEPARATORS}', ' ', 'g') $$"
    )
    # True where one of the names (one a line) is, word for word, the query.
    op.execute(
        "CREATE FUNCTION findings_search_exact(names text, query tsvector) RETURNS boolean "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "AS $$ SELECT EXISTS (SELECT 1 FROM regexp_split_to_table(coalesce(names, ''), E'\\n') AS name "
        "WHERE to_tsvector('findings_search', findings_search_text(name)) = query) $$"
    )
    op.execute(
        "CREATE TABLE search_index ("
        "doc_id bigint PRIMARY KEY, "
        "title text NOT NULL, "
        "body text NOT NULL, "
        "exact text, "
        "document tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('findings_search', findings_search_text(title)), 'A') || "
        "setweight(to_tsvector('findings_search', findings_search_text(body)), 'D')) STORED)"
    )
    op.execute("CREATE INDEX ix_search_index_document ON search_index USING gin (document)")
    documents = _documents("postgresql")
    branches = " ".join(
        f"WHEN {code} THEN INSERT INTO search_index (doc_id, title, body, exact) {select} = ref;"
        for code, select, _ in documents.values()
    )
    op.execute(
        "CREATE FUNCTION findings_search_refresh(code integer, ref bigint) RETURNS void "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "DELETE FROM search_index WHERE doc_id = ref * 8 + code; "
        f"CASE code {branches} END CASE; "
        "END $$"
    )
    # Row trigger: TG_ARGV[0] is the kind code, TG_ARGV[1] the column holding the id.
    op.execute(
        "CREATE FUNCTION findings_search_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP IN ('UPDATE', 'DELETE') THEN "
        "PERFORM findings_search_refresh(TG_ARGV[0]::integer, (to_jsonb(OLD) ->> TG_ARGV[1])::bigint); "
        "END IF; "
        "IF TG_OP IN ('INSERT', 'UPDATE') THEN "
        "PERFORM findings_search_refresh(TG_ARGV[0]::integer, (to_jsonb(NEW) ->> TG_ARGV[1])::bigint); "
        "END IF; "
        "RETURN NULL; END $$"
    )
    for table, (code, select, columns) in documents.items():
        op.execute(f"INSERT INTO search_index (doc_id, title, body, exact) {select} IS NOT NULL")
        op.execute(
            f"CREATE TRIGGER search_index_sync AFTER INSERT OR DELETE OR UPDATE OF {columns} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION findings_search_row('{code}', 'id')"
        )
    op.execute(
        "CREATE TRIGGER search_index_sync AFTER INSERT OR DELETE OR UPDATE ON organisation_aliases "
        "FOR EACH ROW EXECUTE FUNCTION findings_search_row('4', 'organisation_id')"
    )
