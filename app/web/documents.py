"""Archived documents in the browser: a document's page (what is held, its text, where it is
cited) and its bytes (`/raw`), served so that nothing archived runs in the site's origin:
`Content-Security-Policy: sandbox`, `X-Content-Type-Options: nosniff`, and a download
(`Content-Disposition: attachment`) for anything but a PDF or an image."""

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from app.access import public
from app.models import Assessment, Decision, DecisionSource, DocumentPage
from app.schemas.common import MAX_ID
from app.services.evidence import documents, sniff
from app.unit_of_work import SessionDep
from app.web.templating import render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
INLINE = (sniff.PDF, sniff.PNG, sniff.JPEG)
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@router.get("/documents/{document_id}", response_class=HTMLResponse, name="web_document")
@public
def document_page(request: Request, document_id: Id, session: SessionDep) -> HTMLResponse:
    document = documents.read(session, document_id=document_id)
    pages = session.execute(
        select(DocumentPage.number, DocumentPage.text)
        .where(DocumentPage.document_id == document_id)
        .order_by(DocumentPage.number)
    ).all()
    cited = session.execute(
        select(Decision.id, Decision.reference, Decision.title)
        .join(DecisionSource, DecisionSource.decision_id == Decision.id)
        .where(DecisionSource.document_id == document_id)
        .order_by(Decision.issued_on.desc(), Decision.id)
    ).all()
    assessments = session.execute(
        select(
            Assessment.id,
            Assessment.recommendation_id,
            Assessment.status,
            Assessment.assessed_on,
            Assessment.assessed_on_precision,
            Assessment.source_page,
        )
        .where(Assessment.document_id == document_id)
        .order_by(Assessment.assessed_on.desc(), Assessment.id)
    ).all()
    context = {"doc": document, "pages": pages, "cited": cited, "assessments": assessments}
    return render(request, "documents/detail.html", context)


@router.get("/documents/{document_id}/raw", name="web_document_raw")
@public
def document_raw(request: Request, document_id: Id, session: SessionDep) -> Response:
    """The bytes as kept: ETag the SHA-256, one byte range on request (206, or 416)."""
    document, data = documents.raw(session, document_id=document_id)
    media = document.media_type or "application/octet-stream"
    name = f"document-{document.id}.{sniff.extension(media)}"
    headers = {
        "ETag": f'"{document.sha256}"',
        "Accept-Ranges": "bytes",
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'{"inline" if media in INLINE else "attachment"}; filename="{name}"',
        "Cache-Control": "public, max-age=31536000, immutable",
    }
    if request.headers.get("if-none-match", "").strip() == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    asked = RANGE.match(request.headers.get("range", "").strip())
    if asked is None or (request.headers.get("if-range") not in (None, headers["ETag"])):
        return Response(data, media_type=media, headers=headers)
    first, last = asked.groups()
    size = len(data)
    if first == "":  # the last N bytes
        start, end = max(size - int(last or 0), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if first == last == "" or start >= size or start > end:
        return Response(status_code=416, headers=headers | {"Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(data[start : end + 1], status_code=206, media_type=media, headers=headers)
