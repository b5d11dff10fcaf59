"""RFC 9457 problem details for every error the API answers."""

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import DomainError, FieldError

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


def from_domain(exc: DomainError) -> JSONResponse:
    return problem(
        exc.status, exc.title, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers or None
    )


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


def validation_problem(exc: RequestValidationError) -> JSONResponse:
    errors = field_errors(exc)
    if any(e.type == "json_invalid" for e in errors):
        return problem(
            400, "Malformed JSON", "The request body is not valid JSON.", slug="malformed-json", errors=errors
        )
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:10])
    return problem(
        422,
        "Invalid input",
        f"The request has {len(errors)} invalid field(s): {summary}",
        slug="validation",
        errors=errors,
    )


def http_problem(exc: StarletteHTTPException) -> JSONResponse:
    titles = {404: "Not found", 405: "Method not allowed", 413: "Content too large"}
    title = titles.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = "There is no resource at this address."
    return problem(
        exc.status_code,
        title,
        detail,
        slug=title.lower().replace(" ", "-"),
        headers=getattr(exc, "headers", None),
    )


def integrity_problem(exc: IntegrityError) -> JSONResponse:
    return problem(
        409,
        "Conflict",
        "The change conflicts with the record as it stands (a duplicate or a "
        "reference that no longer holds); nothing was changed.",
        slug="conflict",
    )


def unavailable_problem(exc: Exception) -> JSONResponse:
    return problem(
        503,
        "Service unavailable",
        "The database is busy or unreachable; nothing was changed. Try again shortly.",
        slug="unavailable",
        headers={"Retry-After": "2"},
    )


def wants_problem(request: Request) -> bool:
    """API paths answer problem+json; pages answer HTML."""
    return request.url.path.startswith(("/api/", "/feeds/")) or request.url.path in ("/openapi.json",)
