"""Where the bytes of documents live: in the database by default (`document_blobs`, one row
per SHA-256, so that backups, exports and replicas carry them), or as files under
`DOCUMENT_DIR` (`ab/abcdef….bin`) for large deployments. Either way identical bytes are kept
once, and what is read back can be checked against its name (`verify`)."""

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.models import Document, DocumentBlob


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _path(folder: Path, digest: str) -> Path:
    return folder / digest[:2] / f"{digest}.bin"


def put(session: Session, data: bytes) -> str:
    """Keep `data` (once: bytes already held are not written again); return its SHA-256.

    In the database, the row is written in the session's transaction. In a folder, the file
    is written (to a temporary name, then renamed) before the transaction commits: a rolled
    back transaction leaves at worst an unreferenced file, never a reference without bytes."""
    digest = sha256(data)
    folder = get_settings().document_dir
    if folder is None:
        if session.get(DocumentBlob, digest) is None:
            session.add(DocumentBlob(sha256=digest, size=len(data), data=data))
            session.flush()
        return digest
    path = _path(folder, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp.name, path)
    return digest


def get(session: Session, digest: str) -> bytes | None:
    """The bytes named `digest`, or None when they are not held."""
    folder = get_settings().document_dir
    if folder is None:
        return session.scalar(select(DocumentBlob.data).where(DocumentBlob.sha256 == digest))
    path = _path(folder, digest)
    return path.read_bytes() if path.exists() else None


def held(session: Session, digest: str) -> bool:
    folder = get_settings().document_dir
    if folder is None:
        return session.scalar(select(DocumentBlob.sha256).where(DocumentBlob.sha256 == digest)) is not None
    return _path(folder, digest).exists()


@dataclass(frozen=True)
class Problem:
    """A document whose bytes are missing, or no longer hash to their name."""

    document_id: int
    sha256: str
    found: str | None  # the hash of what is there now; None when nothing is


def verify(session: Session) -> Iterator[Problem]:
    """Recompute the hash of every held document (and WARC record), one at a time."""
    rows = session.execute(
        select(Document.id, Document.sha256, Document.warc_sha256)
        .where(Document.sha256.is_not(None))
        .order_by(Document.id)
    ).all()
    for document_id, digest, warc in rows:
        for name in (digest, warc):
            if name is None:
                continue
            data = get(session, name)
            found = None if data is None else sha256(data)
            if found != name:
                yield Problem(document_id, name, found)
