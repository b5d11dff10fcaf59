"""documents: archived source documents, their bytes, their pages' text (searchable)

- `documents`: one per upload or link, with the SHA-256, media type and size of its bytes,
  the fetch's answer, the state of its text and of its original link.
- `document_blobs`: the bytes, once per SHA-256 (unless `DOCUMENT_DIR` keeps them as files).
- `document_pages`: the text of each page, indexed by the full-text search as kind 7
  (`search_index` key `id * 8 + 7`), kept in step by triggers like the other kinds.
- `decision_sources.document_id`: a decision's source may point at its archived copy.

Revision ID: 8e3b6f1a2c94
Revises: c4f1a9e27b53
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e3b6f1a2c94"
down_revision: str | None = "c4f1a9e27b53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = 7
# A page's search document: the document's title (or its type) and the page number as title,
# the page's text as body.
DOCUMENT = (
    "SELECT p.id * 8 + 7, coalesce(d.title, 'Document ' || d.id) || ' · page ' || p.number, p.text, NULL "
    "FROM document_pages p JOIN documents d ON d.id = p.document_id WHERE p.id"
)


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "documents",
        sa.Column("id", big_id, nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "stored",
                "failed",
                name="documentstatus",
                native_enum=False,
                length=32,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("final_url", sa.String(length=2000), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warc_sha256", sa.String(length=64), nullable=True),
        sa.Column("failure", sa.String(length=500), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "text_status",
            sa.Enum(
                "pending",
                "extracted",
                "unreadable",
                "no_text",
                name="textstatus",
                native_enum=False,
                length=32,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("text_reason", sa.String(length=500), nullable=True),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column(
            "link_status",
            sa.Enum(
                "unchecked",
                "live",
                "moved",
                "gone",
                name="linkstatus",
                native_enum=False,
                length=32,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("link_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("link_next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    op.create_index("ix_documents_status_next_attempt_at", "documents", ["status", "next_attempt_at"])
    op.create_index("ix_documents_text_status", "documents", ["text_status"])
    op.create_index("ix_documents_link_next_check_at", "documents", ["link_next_check_at"])
    op.create_table(
        "document_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_document_blobs")),
    )
    op.create_table(
        "document_pages",
        sa.Column("id", big_id, nullable=False),
        sa.Column("document_id", big_id, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_pages_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_pages")),
        sa.UniqueConstraint("document_id", "number", name=op.f("uq_document_pages_document_id_number")),
    )
    with op.batch_alter_table("decision_sources") as batch:
        batch.add_column(sa.Column("document_id", big_id, nullable=True))
        batch.create_foreign_key(
            op.f("fk_decision_sources_document_id_documents"),
            "documents",
            ["document_id"],
            ["id"],
            ondelete="SET NULL",
        )
    if op.get_bind().dialect.name == "postgresql":
        _index_postgresql()
    else:
        _index_sqlite()


def _index_sqlite() -> None:
    insert = f"INSERT INTO search_index (rowid, title, body, exact) {DOCUMENT}"
    op.execute(
        "CREATE TRIGGER search_document_pages_insert AFTER INSERT ON document_pages "
        f"BEGIN {insert} = new.id; END"
    )
    op.execute(
        "CREATE TRIGGER search_document_pages_update AFTER UPDATE OF text, number ON document_pages BEGIN "
        f"DELETE FROM search_index WHERE rowid = old.id * 8 + {CODE}; {insert} = new.id; END"
    )
    op.execute(
        "CREATE TRIGGER search_document_pages_delete AFTER DELETE ON document_pages BEGIN "
        f"DELETE FROM search_index WHERE rowid = old.id * 8 + {CODE}; END"
    )
    # A new title renames the document's pages in the index.
    op.execute(
        "CREATE TRIGGER search_documents_title AFTER UPDATE OF title ON documents BEGIN "
        f"DELETE FROM search_index WHERE rowid IN (SELECT id * 8 + {CODE} FROM document_pages "
        "WHERE document_id = new.id); "
        f"INSERT INTO search_index (rowid, title, body, exact) {DOCUMENT} IN "
        "(SELECT id FROM document_pages WHERE document_id = new.id); END"
    )


def _index_postgresql() -> None:
    op.execute(
        "CREATE FUNCTION findings_search_document_page() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP IN ('UPDATE', 'DELETE') THEN "
        f"DELETE FROM search_index WHERE doc_id = OLD.id * 8 + {CODE}; END IF; "
        "IF TG_OP IN ('INSERT', 'UPDATE') THEN "
        f"INSERT INTO search_index (doc_id, title, body, exact) {DOCUMENT} = NEW.id; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER search_index_sync AFTER INSERT OR DELETE OR UPDATE OF text, number ON document_pages "
        "FOR EACH ROW EXECUTE FUNCTION findings_search_document_page()"
    )
    op.execute(
        "CREATE FUNCTION findings_search_document_title() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"DELETE FROM search_index WHERE doc_id IN (SELECT id * 8 + {CODE} FROM document_pages "
        "WHERE document_id = NEW.id); "
        f"INSERT INTO search_index (doc_id, title, body, exact) {DOCUMENT} IN "
        "(SELECT id FROM document_pages WHERE document_id = NEW.id); "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER search_index_title AFTER UPDATE OF title ON documents "
        "FOR EACH ROW EXECUTE FUNCTION findings_search_document_title()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS search_index_title ON documents")
        op.execute("DROP TRIGGER IF EXISTS search_index_sync ON document_pages")
        op.execute("DROP FUNCTION IF EXISTS findings_search_document_title()")
        op.execute("DROP FUNCTION IF EXISTS findings_search_document_page()")
    else:
        for name in (
            "document_pages_insert",
            "document_pages_update",
            "document_pages_delete",
            "documents_title",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS search_{name}")
    key = "doc_id" if op.get_bind().dialect.name == "postgresql" else "rowid"
    op.execute(f"DELETE FROM search_index WHERE {key} % 8 = {CODE}")
    with op.batch_alter_table("decision_sources") as batch:
        batch.drop_constraint(op.f("fk_decision_sources_document_id_documents"), type_="foreignkey")
        batch.drop_column("document_id")
    op.drop_table("document_pages")
    op.drop_table("document_blobs")
    op.drop_index("ix_documents_link_next_check_at", table_name="documents")
    op.drop_index("ix_documents_text_status", table_name="documents")
    op.drop_index("ix_documents_status_next_attempt_at", table_name="documents")
    op.drop_index("ix_documents_sha256", table_name="documents")
    op.drop_table("documents")
