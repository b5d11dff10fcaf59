"""Archived documents: the evidence a decision or an assessment rests on, kept as the exact
bytes (addressed by their SHA-256), with their text read page by page for search and, for a
page fetched from the web, its WARC record (see app/services/evidence/)."""

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, BigId, Versioned, enum_column
from app.vocab import DocumentStatus, LinkStatus, TextStatus


class Document(Versioned, Base):
    """A source document: uploaded (its bytes at once) or given as a link (fetched by the
    worker). Several documents may hold the same bytes (one link and an upload of the same
    file); the bytes are stored once (`DocumentBlob`, or a file under `DOCUMENT_DIR`)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[DocumentStatus] = enum_column(DocumentStatus)
    # The bytes, once held: their hash, their media type (sniffed from the bytes) and size.
    sha256: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    # A fetched document: the link given, where it led, the answer and when.
    url: Mapped[str | None] = mapped_column(String(2000))
    final_url: Mapped[str | None] = mapped_column(String(2000))
    http_status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fetched_at: Mapped[dt.datetime | None]
    warc_sha256: Mapped[str | None] = mapped_column(String(64))
    failure: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    # Its text, read by the worker.
    text_status: Mapped[TextStatus] = enum_column(TextStatus, default=TextStatus.pending)
    text_reason: Mapped[str | None] = mapped_column(String(500))
    page_count: Mapped[int | None] = mapped_column(Integer)
    # The original link, checked again from time to time (link rot).
    link_status: Mapped[LinkStatus] = enum_column(LinkStatus, default=LinkStatus.unchecked)
    link_checked_at: Mapped[dt.datetime | None]
    link_next_check_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(200))
    pages: Mapped[list["DocumentPage"]] = relationship(
        order_by="DocumentPage.number", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    __table_args__ = (
        Index("ix_documents_sha256", "sha256"),
        Index("ix_documents_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_documents_text_status", "text_status"),
        Index("ix_documents_link_next_check_at", "link_next_check_at"),
    )


class DocumentBlob(Base):
    """The bytes of a document (or of a WARC record), stored once per SHA-256, in the database
    (the default: backups, exports and replicas carry them)."""

    __tablename__ = "document_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DocumentPage(Base):
    """The text of one page of a document (a PDF's page; the whole text of any other kind is
    its page 1), indexed by the full-text search."""

    __tablename__ = "document_pages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[int] = mapped_column(BigId, ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("document_id", "number"),)
