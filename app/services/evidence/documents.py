"""Documents: uploads kept at once, reads, and where each is cited.

An upload is refused when it is over `MAX_DOCUMENT_BYTES` (413) or of a type the record does
not keep (415, from the bytes); bytes already uploaded give back the document that holds them
(nothing is stored twice). Its text is read later by the worker (`extract`).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import FieldError, NotFound, TooLarge, UnsupportedMediaType
from app.models import DecisionSource, Document
from app.schemas.evidence import DocumentRead
from app.services.evidence import sniff, storage
from app.services.shared import audit
from app.services.shared.common import get_or_404
from app.vocab import DocumentStatus, LinkStatus, TextStatus


def upload(session: Session, *, data: bytes, title: str | None) -> tuple[Document, bool]:
    """Keep uploaded bytes; return their document and whether it is new."""
    limit = get_settings().max_document_bytes
    if len(data) > limit:
        raise TooLarge(
            f"The file is {len(data):,} bytes; documents are kept up to {limit:,} bytes.",
            [FieldError("file", f"over {limit} bytes", "too_large")],
        )
    media = sniff.media_type(data)
    if media is None:
        raise UnsupportedMediaType(
            "The file is none of the types kept: PDF, HTML, plain text, PNG or JPEG "
            "(the type is read from the file itself).",
            [FieldError("file", "not PDF, HTML, plain text, PNG or JPEG", "media_type")],
        )
    digest = storage.sha256(data)
    same = session.scalar(
        select(Document).where(Document.sha256 == digest, Document.url.is_(None)).order_by(Document.id)
    )
    if same is not None:
        return same, False
    storage.put(session, data)
    document = Document(
        title=title,
        status=DocumentStatus.stored,
        sha256=digest,
        media_type=media,
        size=len(data),
        text_status=TextStatus.no_text if media.startswith("image/") else TextStatus.pending,
        created_by=audit.actor(session),
    )
    session.add(document)
    session.flush()
    audit.created(session, "document", document.id, audit.row(document))
    return document, True


def read_many(session: Session, ids: Iterable[int | None]) -> dict[int, DocumentRead]:
    """The documents of these ids (None and unknown ones left out), by id."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    found = session.scalars(select(Document).where(Document.id.in_(wanted)))
    return {d.id: DocumentRead.model_validate(d) for d in found}


def read(session: Session, *, document_id: int) -> DocumentRead:
    return DocumentRead.model_validate(get_or_404(session, Document, document_id))


def raw(session: Session, *, document_id: int) -> tuple[Document, bytes]:
    """A stored document and its bytes (404 while a link is not yet fetched, or failed)."""
    document = get_or_404(session, Document, document_id)
    data = storage.get(session, document.sha256) if document.sha256 else None
    if data is None:
        reason = {
            DocumentStatus.pending: "is not fetched yet",
            DocumentStatus.failed: f"could not be fetched ({document.failure})",
        }.get(document.status, "has lost its bytes (`findings documents verify` reports it)")
        raise NotFound(f"Document {document.id} {reason}.")
    return document, data


@dataclass(frozen=True)
class Kept:
    """How much of the record's evidence outlives its links (today, whatever the as_of)."""

    sources: int  # decision sources
    archived: int  # of which point at an archived copy
    documents: int  # documents held (stored)
    links_checked: int  # archived links asked again at least once
    links_gone: int
    links_moved: int


def kept(session: Session, *, sources: tuple[int, int] | None = None) -> Kept:
    """`sources`: the decision sources and how many are archived, when the caller keeps them
    (the dashboard: they change only with the record, whose version keys them)."""
    if sources is None:
        sources = source_counts(session)
    return _kept(session, *sources)


def source_counts(session: Session) -> tuple[int, int]:
    """The decision sources, and how many of them point at an archived copy."""
    sources, archived = session.execute(
        select(func.count(), func.count(DecisionSource.document_id)).select_from(DecisionSource)
    ).one()
    return int(sources), int(archived)


def _kept(session: Session, sources: int, archived: int) -> Kept:
    links = dict(
        session.execute(
            select(Document.link_status, func.count())
            .where(Document.status == DocumentStatus.stored)
            .group_by(Document.link_status)
        ).all()
    )
    return Kept(
        sources=sources,
        archived=archived,
        documents=sum(links.values()),
        links_checked=sum(n for status, n in links.items() if status != LinkStatus.unchecked),
        links_gone=links.get(LinkStatus.gone, 0),
        links_moved=links.get(LinkStatus.moved, 0),
    )
