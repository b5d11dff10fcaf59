"""Archived documents: upload a file (201); read what is held. The bytes themselves are
served outside the API (`/documents/{id}/raw`, app/web/documents.py), like the pages."""

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.access import public
from app.api.common import READ_ITEM, created, problems, with_etag
from app.api.deps import Editor, SessionDep, item_id
from app.api.idempotency import ApiRoute
from app.config import get_settings
from app.errors import FieldError, Invalid, TooLarge, UnsupportedMediaType
from app.schemas.evidence import DocumentLink, DocumentRead
from app.services.evidence import documents, fetch

router = APIRouter(prefix="/documents", tags=["documents"], route_class=ApiRoute)
DocumentId = Annotated[int, item_id("document_id")]

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "PDF, HTML, plain text, PNG or JPEG (read from the bytes).",
                        },
                        "title": {"type": "string", "maxLength": 500},
                    },
                }
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/DocumentLink"}},
        },
    }
}


@router.post(
    "",
    status_code=201,
    response_model=DocumentRead,
    responses={
        200: {"model": DocumentRead, "description": "These bytes were kept before: their document."},
        202: {"model": DocumentRead, "description": "The link is taken; the worker fetches it."},
        **problems(400, 401, 403, 413, 415, 422),
    },
    openapi_extra=UPLOAD_BODY,
)
async def create_document(
    request: Request, session: SessionDep, _: Editor, response: Response
) -> DocumentRead:
    """Upload a file (multipart, field `file`, optional `title`): kept at once, 201 (200 with
    the same document when these bytes were uploaded before). Or give a link to archive (JSON
    `{"url": ..., "title": ...}`): vetted at once (422 for a private address or another
    scheme), 202, and fetched by the worker, which keeps the page with its WARC record; read
    the document until its `status` is `stored` or `failed`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        limit = get_settings().max_document_bytes
        async with request.form(max_files=1, max_fields=5, max_part_size=limit + 1) as form:
            upload, title = form.get("file"), form.get("title")
            if not isinstance(upload, UploadFile):
                raise Invalid(
                    "The form needs a file in its `file` field.",
                    [FieldError("file", "is required", "missing")],
                )
            if upload.size is not None and upload.size > limit:
                raise TooLarge(
                    f"The file is over {limit:,} bytes.",
                    [FieldError("file", f"over {limit} bytes", "too_large")],
                )
            data = await upload.read()
        if title is not None and (not isinstance(title, str) or len(title) > 500):
            raise Invalid(
                "The title is at most 500 characters.",
                [FieldError("title", "at most 500 characters", "too_long")],
            )
        # The database work in a thread: the event loop never waits on it.
        document, new = await run_in_threadpool(
            documents.upload, session, data=data, title=(title or None) if isinstance(title, str) else None
        )
        response.status_code = 201 if new else 200
    elif kind == "application/json":
        try:
            link = DocumentLink.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
        document = await run_in_threadpool(fetch.submitted, session, url=str(link.url), title=link.title)
        response.status_code = 202
    else:
        raise UnsupportedMediaType(
            "Send a file as multipart/form-data (field `file`), or a link to archive as JSON "
            '(`{"url": "https://…"}`).'
        )
    created(response, str(request.url_for("get_document", document_id=document.id)), document.version)
    return DocumentRead.model_validate(document)


@router.get("/{document_id}", response_model=DocumentRead, responses=READ_ITEM)
@public
def get_document(document_id: DocumentId, session: SessionDep, response: Response) -> DocumentRead:
    read = documents.read(session, document_id=document_id)
    with_etag(response, read.version)
    return read
