"""records in their own language: a decision's `language`, translations searched beside the
originals, French stems on PostgreSQL

- `decisions.language` (ISO 639, NOT NULL, 'en' for the decisions already kept: every title
  and summary entered so far is English) and `decisions.translations` (JSON, null for none:
  `{"fr": {"title", "summary"}}`);
- `recommendations.translations` (JSON, null for none: `{"fr": {"text"}}`).

The search documents of decisions and recommendations get the translations beside the
original (a decision's translated titles in its title, the translated summaries in its body; a
recommendation's translated texts in its body), so that a search in either language finds
them: the SQLite triggers and the PostgreSQL refresh function are re-created with the new
SELECTs (the update triggers also watch `translations`, and a decision's `language`), and
those documents are rebuilt.

PostgreSQL also stems French (« surveillée » finds « surveillance »): a configuration
`findings_french` (PostgreSQL's `french`, its words run through `unaccent` before the
Snowball stemmer), and two columns of `search_index`, `title_fr` and `body_fr`, holding a
document's French text (a French decision's own title and summary, or a recommendation's own
text where its decision is French, and their French translations). The generated `document`
holds the words as written (title A, body D) and the French text's stems (title B, body C), so
that a query looks for its words as written among the first and for their French stems among
the second only (app/services/search/query.py): « commissioner » does not find « Commission ».
The generated column cannot change its expression in place: it is dropped and added again
(its GIN index with it). SQLite's FTS5 has no French stemmer: there case and accents are
folded, as before.

Revision ID: 2d8f4b6a9c13
Revises: 5d2b8f4a6c19
Create Date: 2026-12-13
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2d8f4b6a9c13"
down_revision: str | None = "5d2b8f4a6c19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORDS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"
DECISION_FRENCH = (
    "concat_ws(' · ', CASE WHEN d.language = 'fr' THEN d.title END, d.translations -> 'fr' ->> 'title'), "
    "concat_ws(' ', CASE WHEN d.language = 'fr' THEN d.summary END, d.translations -> 'fr' ->> 'summary')"
)
RECOMMENDATION_FRENCH = (
    "'', concat_ws(' ', CASE WHEN (SELECT e.language FROM decisions e WHERE e.id = r.decision_id) = 'fr' "
    "THEN r.text END, r.translations -> 'fr' ->> 'text')"
)


def _translated(dialect: str, table: str, key: str, separator: str) -> str:
    """The `key` of each translation of the row `table` (title, summary, text), joined."""
    if dialect == "sqlite":
        return (
            f"(SELECT group_concat(json_extract(t.value, '$.{key}'), '{separator}') "
            f"FROM json_each({table}.translations) t)"
        )
    return (
        f"(SELECT string_agg(t.value ->> '{key}', '{separator}' ORDER BY t.key) "
        f"FROM json_each({table}.translations) t)"
    )


def _selects(dialect: str, translated: bool) -> dict[str, tuple[int, str, str, str]]:
    """Per table: its kind code, the columns its documents fill, the SELECT of its documents
    (ending in a WHERE to which `= <id>` is added) and the columns its update trigger watches."""
    if not translated:
        return {
            "decisions": (
                1,
                "doc_id, title, body, exact",
                "SELECT d.id * 8 + 1, d.title || ' · ' || d.reference, coalesce(d.summary, ''), "
                "d.title FROM decisions d WHERE d.id",
                "title, reference, summary",
            ),
            "recommendations": (
                3,
                "doc_id, title, body, exact",
                "SELECT r.id * 8 + 3, coalesce(r.reference, ''), r.text, NULL "
                "FROM recommendations r WHERE r.id",
                "text, reference",
            ),
        }
    titles = _translated(dialect, "d", "title", " · ")
    summaries = _translated(dialect, "d", "summary", " ")
    texts = _translated(dialect, "r", "text", " ")
    postgresql = dialect == "postgresql"
    return {
        "decisions": (
            1,
            "doc_id, title, body, exact" + (", title_fr, body_fr" if postgresql else ""),
            f"SELECT d.id * 8 + 1, d.title || ' · ' || d.reference || coalesce(' · ' || {titles}, ''), "
            f"coalesce(d.summary, '') || coalesce(' ' || {summaries}, ''), d.title"
            + (f", {DECISION_FRENCH}" if postgresql else "")
            + " FROM decisions d WHERE d.id",
            "title, reference, summary, language, translations",
        ),
        "recommendations": (
            3,
            "doc_id, title, body, exact" + (", title_fr, body_fr" if postgresql else ""),
            f"SELECT r.id * 8 + 3, coalesce(r.reference, ''), r.text || coalesce(' ' || {texts}, ''), NULL"
            + (f", {RECOMMENDATION_FRENCH}" if postgresql else "")
            + " FROM recommendations r WHERE r.id",
            "text, reference, translations",
        ),
    }


def _pg_refresh(selects: dict[str, tuple[int, str, str, str]]) -> str:
    """findings_search_refresh() as the recommendation-reference migration left it, with the
    decisions' and recommendations' documents given (the other kinds unchanged)."""
    aliases = (
        "(SELECT string_agg(a.alias, ', ' ORDER BY a.position) "
        "FROM organisation_aliases a WHERE a.organisation_id = o.id)"
    )
    alias_lines = (
        "(SELECT string_agg(a.alias, chr(10) ORDER BY a.position) "
        "FROM organisation_aliases a WHERE a.organisation_id = o.id)"
    )
    plain = "doc_id, title, body, exact"
    by_code = {
        1: selects["decisions"][1:3],
        2: (
            plain,
            "SELECT f.id * 8 + 2, '', f.text || coalesce(' (' || f.provision || ')', ''), NULL "
            "FROM findings f WHERE f.id",
        ),
        3: selects["recommendations"][1:3],
        4: (
            plain,
            f"SELECT o.id * 8 + 4, o.name || coalesce(' (' || {aliases} || ')', ''), '', "
            f"o.name || coalesce(chr(10) || {alias_lines}, '') FROM organisations o WHERE o.id",
        ),
        5: (
            plain,
            "SELECT g.id * 8 + 5, g.name || coalesce(' (' || g.short_name || ')', ''), '', "
            "g.name || coalesce(chr(10) || g.short_name, '') FROM regulators g WHERE g.id",
        ),
        6: (plain, "SELECT c.id * 8 + 6, c.title, coalesce(c.summary, ''), c.title FROM cases c WHERE c.id"),
    }
    branches = " ".join(
        f"WHEN {code} THEN INSERT INTO search_index ({columns}) {select} = ref;"
        for code, (columns, select) in by_code.items()
    )
    return (
        "CREATE OR REPLACE FUNCTION findings_search_refresh(code integer, ref bigint) RETURNS void "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "DELETE FROM search_index WHERE doc_id = ref * 8 + code; "
        f"CASE code {branches} END CASE; "
        "END $$"
    )


def _document(french: bool) -> None:
    """The generated tsvector: the words as written (title A, body D), and with `french` the
    French text's stems (title B, body C)."""
    parts = [
        "setweight(to_tsvector('findings_search', findings_search_text(title)), 'A')",
        "setweight(to_tsvector('findings_search', findings_search_text(body)), 'D')",
    ]
    if french:
        parts += [
            "setweight(to_tsvector('findings_french', findings_search_text(title_fr)), 'B')",
            "setweight(to_tsvector('findings_french', findings_search_text(body_fr)), 'C')",
        ]
    op.execute("ALTER TABLE search_index DROP COLUMN document")
    op.execute(
        "ALTER TABLE search_index ADD COLUMN document tsvector "
        f"GENERATED ALWAYS AS ({' || '.join(parts)}) STORED"
    )
    op.execute("CREATE INDEX ix_search_index_document ON search_index USING gin (document)")


def _search(translated: bool) -> None:
    dialect = op.get_bind().dialect.name
    selects = _selects(dialect, translated)
    if dialect == "postgresql":
        op.execute(_pg_refresh(selects))
        for table, (code, columns, select, watched) in selects.items():
            op.execute(f"DROP TRIGGER search_index_sync ON {table}")
            op.execute(
                f"CREATE TRIGGER search_index_sync AFTER INSERT OR DELETE OR UPDATE OF {watched} "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION findings_search_row('{code}', 'id')"
            )
            op.execute(f"DELETE FROM search_index WHERE doc_id % 8 = {code}")
            op.execute(f"INSERT INTO search_index ({columns}) {select} IS NOT NULL")
        return
    for table, (code, columns, select, watched) in selects.items():
        insert = f"INSERT INTO search_index (rowid{columns.removeprefix('doc_id')}) {select}"
        op.execute(f"DROP TRIGGER IF EXISTS search_{table}_insert")
        op.execute(f"DROP TRIGGER IF EXISTS search_{table}_update")
        op.execute(
            f"CREATE TRIGGER search_{table}_insert AFTER INSERT ON {table} BEGIN {insert} = new.id; END"
        )
        op.execute(
            f"CREATE TRIGGER search_{table}_update AFTER UPDATE OF {watched} ON {table} BEGIN "
            f"DELETE FROM search_index WHERE rowid = old.id * 8 + {code}; {insert} = new.id; END"
        )
        op.execute(f"DELETE FROM search_index WHERE rowid IN (SELECT id * 8 + {code} FROM {table})")
        op.execute(f"{insert} IS NOT NULL")


def upgrade() -> None:
    language = sa.Column("language", sa.String(length=3), server_default="en", nullable=False)
    op.add_column("decisions", language)
    op.add_column("decisions", sa.Column("translations", sa.JSON(), nullable=True))
    op.add_column("recommendations", sa.Column("translations", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TEXT SEARCH CONFIGURATION findings_french (COPY = pg_catalog.french)")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION findings_french ALTER MAPPING FOR {WORDS} "
            "WITH unaccent, french_stem"
        )
        op.execute("ALTER TABLE search_index ADD COLUMN title_fr text NOT NULL DEFAULT ''")
        op.execute("ALTER TABLE search_index ADD COLUMN body_fr text NOT NULL DEFAULT ''")
        _document(french=True)
    _search(translated=True)


def downgrade() -> None:
    _search(translated=False)
    if op.get_bind().dialect.name == "postgresql":
        _document(french=False)
        op.execute("ALTER TABLE search_index DROP COLUMN title_fr")
        op.execute("ALTER TABLE search_index DROP COLUMN body_fr")
        op.execute("DROP TEXT SEARCH CONFIGURATION findings_french")
        op.drop_column("recommendations", "translations")
        op.drop_column("decisions", "translations")
        op.drop_column("decisions", "language")
        return
    # SQLite 3.35+ drops a plain column in place; the tables' triggers stay.
    op.execute("ALTER TABLE recommendations DROP COLUMN translations")
    op.execute("ALTER TABLE decisions DROP COLUMN translations")
    op.execute("ALTER TABLE decisions DROP COLUMN language")
