"""Small pieces the REST routers share."""

from typing import Any

from fastapi import Response

from app.api.deps import etag
from app.schemas.common import Problem


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route can give."""
    descriptions = {
        400: "Malformed request",
        401: "Missing or bad token",
        403: "Role too low",
        404: "Not found",
        409: "Conflicts with the record",
        412: "Stale If-Match",
        428: "If-Match missing (PATCH and DELETE need the ETag you read)",
        413: "Body too large",
        415: "Unsupported media type",
        422: "Invalid input",
        429: "Too many requests (wait as Retry-After says)",
    }
    return {
        s: {"model": Problem, "description": descriptions[s], "content": {"application/problem+json": {}}}
        for s in statuses
    }


# Statuses a route declares beside those app/api/contract.py derives for it (which are the
# whole story for the routes below: kept so that routers read the same as before).
READ = problems(401, 422)
READ_ITEM = problems(401, 404, 422)
CREATE = problems(400, 401, 403, 409, 413, 422)
UPDATE = problems(400, 401, 403, 404, 409, 412, 413, 422, 428)
DELETE = problems(400, 401, 403, 404, 409, 412, 422, 428)


def with_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def created(response: Response, location: str, version: int) -> None:
    response.headers["Location"] = location
    with_etag(response, version)
