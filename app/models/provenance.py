"""Where imported records came from: each run of a CSV import (its data set, file and mapping)
and, per record it created, the row of the file it was made from."""

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, utcnow


class ImportRun(Base):
    """One import of one file with one mapping (`findings import-csv`, `POST /api/v1/import/csv`)."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(500))
    dataset_url: Mapped[str | None] = mapped_column(String(2000))
    caveats: Mapped[list[str]] = mapped_column(JSON, default=list)
    mapping: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(200))


class ImportedRow(Base):
    """A record an import created, and the row of the file (the header is row 1) it came from."""

    __tablename__ = "imported_rows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(BigId, ForeignKey("imports.id", ondelete="CASCADE"))
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(BigId)
    row: Mapped[int] = mapped_column(Integer)

    # Not unique: should an id be used again (a record deleted, its id reused), the newest
    # import of it is the one that counts.
    __table_args__ = (
        Index("ix_imported_rows_record", "record_type", "record_id"),
        Index("ix_imported_rows_import_id", "import_id"),
    )
