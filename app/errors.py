"""The domain's exceptions, each with its HTTP status.

Services raise these; one handler renders them as RFC 9457 problem+json for the API and as
an HTML page for the browser.
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.labels import N_


@dataclass
class FieldError:
    """One bad field: where it is (a dotted path such as ``body.findings.2.outcome``) and why."""

    field: str
    message: str
    type: str = "invalid"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "type": self.type}


@dataclass
class DomainError(Exception):
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    slug: ClassVar[str] = "bad-request"

    def __str__(self) -> str:
        return self.detail


class NotFound(DomainError):
    status = 404
    title = N_("Not found")
    slug = "not-found"


@dataclass
class Moved(DomainError):
    """A merged record: its id answers 308 to the record it was merged into."""

    collection: str = ""
    merged_id: int = 0
    into_id: int = 0

    status = 308
    title = N_("Permanent redirect")
    slug = "merged"


class Conflict(DomainError):
    status = 409
    title = N_("Conflict")
    slug = "conflict"


class PreconditionFailed(DomainError):
    status = 412
    title = N_("Precondition failed")
    slug = "stale-version"


class Invalid(DomainError):
    status = 422
    title = N_("Invalid input")
    slug = "validation"


class Unauthorized(DomainError):
    status = 401
    title = N_("Unauthorized")
    slug = "unauthorized"


class Forbidden(DomainError):
    status = 403
    title = N_("Forbidden")
    slug = "forbidden"


class TooLarge(DomainError):
    status = 413
    title = N_("Content too large")
    slug = "too-large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = N_("Unsupported media type")
    slug = "unsupported-media-type"


class PreconditionRequired(DomainError):
    status = 428
    title = N_("Precondition required")
    slug = "precondition-required"


class RequestTimeout(DomainError):
    status = 408
    title = N_("Request timeout")
    slug = "request-timeout"


class BadRequest(DomainError):
    status = 400
    title = N_("Bad request")
    slug = "bad-request"


class TooManyRequests(DomainError):
    status = 429
    title = N_("Too many requests")
    slug = "rate-limited"


class Unavailable(DomainError):
    """The server is too busy to take the request now (it says when to come back)."""

    status = 503
    title = N_("Service unavailable")
    slug = "unavailable"
