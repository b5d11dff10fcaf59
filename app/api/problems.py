"""RFC 9457 problem details for every error the API answers."""

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import Conflict, DomainError, FieldError, Invalid
from app.labels import N_, gettext

PROBLEM_TYPE_BASE = "/problems/"
MEDIA_TYPE = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


@dataclass(frozen=True)
class Kind:
    """A kind of problem: its status, its title (the same for every problem of the kind) and
    its type (`/problems/<slug>`)."""

    status: int
    title: str
    slug: str


# The kinds that are not a domain error (each of those carries its own: app/errors.py).
MALFORMED_JSON = Kind(400, N_("Malformed JSON"), "malformed-json")
VALIDATION = Kind(Invalid.status, Invalid.title, Invalid.slug)
CONFLICT = Kind(Conflict.status, Conflict.title, Conflict.slug)
UNAVAILABLE = Kind(503, N_("Service unavailable"), "unavailable")
INTERNAL = Kind(500, N_("Internal server error"), "internal")
NO_PAGE = N_("There is no page at this address.")
HTTP_KINDS = {
    404: Kind(404, N_("Not found"), "not-found"),
    405: Kind(405, N_("Method not allowed"), "method-not-allowed"),
    413: Kind(413, N_("Content too large"), "content-too-large"),
}
# The details a page says in the reader's language (app/main.py renders them with gettext).
PAGE_CONFLICT = N_("The change conflicts with the record as it stands; nothing was changed.")
STALE = N_(
    "The record was changed by someone else at the same moment; nothing was changed. "
    "Read it again and retry."
)
BUSY = N_("The database is busy or unreachable; nothing was changed. Try again shortly.")
BUG = N_("Something went wrong on the server; nothing was changed. It has been logged.")


@dataclass
class Described:
    """An error as both renderers need it: problem+json for the API, an HTML page otherwise."""

    kind: Kind
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] | None = None


def describe(exc: Exception | None, *, page: bool = False) -> Described:
    """The one table from an exception to its problem (`page`: the wording of a page, which
    names an address or form rather than a resource). None, or anything unknown, is a bug: a 500."""
    if isinstance(exc, DomainError):
        return Described(Kind(exc.status, exc.title, exc.slug), exc.detail, exc.errors, exc.headers or None)
    if isinstance(exc, RequestValidationError):
        errors = field_errors(exc)
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:10])
        if page and any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):
            # A page address whose id is malformed (`/decisions/abc`) names no record.
            return Described(HTTP_KINDS[404], NO_PAGE)
        if page:
            detail = gettext("The address or form is not valid: %(summary)s.") % {"summary": summary}
            return Described(VALIDATION, detail)
        if any(e.type == "json_invalid" for e in errors):
            return Described(MALFORMED_JSON, "The request body is not valid JSON.", errors)
        return Described(VALIDATION, f"The request has {len(errors)} invalid field(s): {summary}", errors)
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        kind = HTTP_KINDS.get(status, Kind(status, "Error", "error"))
        detail = exc.detail if isinstance(exc.detail, str) else ("" if page else kind.title)
        if status == 404 and (page or detail == "Not Found"):
            detail = NO_PAGE if page else "There is no resource at this address."
        return Described(kind, detail, headers=getattr(exc, "headers", None))
    if isinstance(exc, IntegrityError):
        if page:
            return Described(CONFLICT, PAGE_CONFLICT)
        return Described(
            CONFLICT,
            "The change conflicts with the record as it stands (a duplicate or a "
            "reference that no longer holds); nothing was changed.",
        )
    if isinstance(exc, StaleDataError):
        # A versioned record changed by another request between this one's read and its write.
        return Described(CONFLICT, STALE)
    if isinstance(exc, OperationalError | PoolTimeout):
        return Described(UNAVAILABLE, BUSY, headers={"Retry-After": "2"})
    return Described(INTERNAL, BUG)


def as_problem(described: Described) -> JSONResponse:
    """The problem+json renderer."""
    kind = described.kind
    return problem(
        kind.status,
        kind.title,
        described.detail,
        slug=kind.slug,
        errors=described.errors,
        headers=described.headers,
    )


def from_domain(exc: DomainError) -> JSONResponse:
    return as_problem(describe(exc))


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def field_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            message = "is not a field of this resource"
        message = message.removeprefix("Value error, ")
        errors.append(FieldError(_field(tuple(err.get("loc", ()))), message, str(err.get("type"))))
    return errors


def wants_problem(request: Request) -> bool:
    """API paths answer problem+json; pages answer HTML."""
    return request.url.path.startswith(("/api/", "/feeds/")) or request.url.path in ("/openapi.json",)
