"""The API's contract as programs meet it: operation ids, the problems each route can answer,
and the headers it reads and writes, derived from rules in this one place.

FastAPI describes each route from its signature; the rules here add what a signature cannot
say, for every route, including ones added later:

- **Operation ids** are verbs on nouns (``list_decisions``, ``get_decision``,
  ``create_assessment``, ``search``): the endpoint's name, or the name in ``OPERATION_IDS``
  where the endpoint's name reads otherwise. ``scheme_errors`` lists the routes that fall
  outside the scheme; ``tests/api/test_contract.py`` fails on any.
- **Problems**: each route's error statuses follow from what it is (``problem_statuses``): who
  may call it, whether it names an item, reads parameters or a body, writes, takes ``If-Match``
  or ``Idempotency-Key``. Each is declared as ``application/problem+json`` with the ``Problem``
  schema and an example; a route may add statuses of its own with ``responses=``.
- **Headers**: ``If-Match`` is declared required where the route checks it (the route answers
  428 without it), ``ETag``, ``Location``, ``Idempotent-Replayed`` and ``Retry-After`` are
  declared on the answers that carry them, with their formats.
"""

import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from app import errors
from app.access import Access, rule_of
from app.api import selection
from app.api.deps import IF_MATCH_DESCRIPTION, IF_MATCH_PATTERN, expected_version
from app.api.idempotency import idempotency_key
from app.api.problems import MEDIA_TYPE, PROBLEM_TYPE_BASE, UNAVAILABLE, Kind
from app.schemas.common import Problem

# Endpoints whose own name does not read as a verb on a noun (kept for `url_for`).
OPERATION_IDS = {
    "decisions_feed": "get_decisions_feed",
    "assessments_feed": "get_assessments_feed",
}

# The verbs an operation id may start with, by method.
VERBS: dict[str, tuple[str, ...]] = {
    "GET": ("list", "get", "search", "export", "suggest"),
    "POST": ("create", "import", "merge", "retract", "search", "test", "claim", "review", "dismiss", "undo"),
    "PUT": ("replace",),
    "PATCH": ("update",),
    "DELETE": ("delete", "revoke"),
}
OPERATION_ID = re.compile(r"^[a-z]+(_[a-z0-9]+)*$")

TAGS = [
    {"name": "regulators", "description": "Bodies that issue decisions: authorities, courts, tribunals."},
    {"name": "organisations", "description": "The parties involved in decisions."},
    {"name": "cases", "description": "Decisions about the same conduct, across regulators and appeals."},
    {"name": "decisions", "description": "Acts of a regulator or court, with their findings."},
    {
        "name": "recommendations",
        "description": "What decisions ask or order, and their compliance history (assessments).",
    },
    {"name": "search", "description": "Full-text search over the whole record."},
    {"name": "stats", "description": "Counts over the whole record."},
    {
        "name": "countries",
        "description": "Jurisdictions side by side: decisions, penalties, compliance, overdue.",
    },
    {
        "name": "duplicates",
        "description": "Suspected duplicates (pairs, clusters), dismissing them, merging, undoing a merge.",
    },
    {
        "name": "review",
        "description": "Machine readings of compliance awaiting an editor, and their review (editors).",
    },
    {
        "name": "documents",
        "description": "Archived source documents: the exact bytes (by SHA-256), their text, their links.",
    },
    {"name": "export and import", "description": "The whole record as JSON, and CSV exports."},
    {"name": "feeds", "description": "Atom feeds of new decisions and compliance changes."},
    {
        "name": "subscriptions",
        "description": "Alerts: follow a record or a query by webhook (each token's own).",
    },
    {
        "name": "vocabulary",
        "description": "Every code of the vocabularies with its label and explanation, in English or French.",
    },
    {"name": "tokens", "description": "API tokens (admin)."},
    {"name": "audit", "description": "The audit log of every change (admin)."},
]


def operation_id(route: APIRoute) -> str:
    """The operation id of a route (FastAPI's `generate_unique_id_function`)."""
    return OPERATION_IDS.get(route.name, route.name)


def scheme_errors(app: FastAPI) -> list[str]:
    """Every API route whose operation id falls outside the scheme, or repeats another's."""
    problems = []
    seen: dict[str, str] = {}
    for route in api_routes(app):
        # HEAD answers as GET does, and is left out of the description (see `openapi`).
        for method in sorted(route.methods - {"HEAD"} or {"GET"}):
            label = f"{method} {route.path}"
            op = operation_id(route)
            verbs = VERBS.get(method, ())
            if not OPERATION_ID.match(op) or op.split("_")[0] not in verbs:
                problems.append(
                    f"{label}: operation id {op!r} is not a verb on a noun "
                    f"(a {method} starts with one of {', '.join(verbs)}); rename the endpoint "
                    "or add it to app.api.contract.OPERATION_IDS"
                )
            if op in seen:
                problems.append(f"{label}: operation id {op!r} is already that of {seen[op]}")
            seen[op] = label
            if len(route.tags) != 1:
                problems.append(f"{label}: has tags {route.tags}; every operation has exactly one")
            elif route.tags[0] not in {t["name"] for t in TAGS}:
                problems.append(f"{label}: its tag {route.tags[0]!r} needs a description in TAGS")
    return problems


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every route in the OpenAPI description (as FastAPI's `RouteContext`: an `APIRoute` with
    its effective path)."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            yield route


# -- Problems ------------------------------------------------------------------------------

DESCRIPTIONS = {
    400: "Malformed request (the body is not JSON)",
    401: "Missing or bad token",
    403: "The token's role is too low",
    404: "No such item",
    409: "Conflicts with the record as it stands (a duplicate, or still referenced)",
    412: "Stale If-Match: the item changed since it was read; nothing was changed",
    413: "Body too large",
    415: "Unsupported media type: not one of the types kept",
    422: "Invalid input; `errors` names each bad field",
    428: "If-Match missing: send the ETag you read",
    429: "Too many requests; retry after `Retry-After` seconds",
    503: "The database is busy or unreachable; retry after `Retry-After` seconds",
}
CLASSES: dict[int, type[errors.DomainError]] = {
    cls.status: cls for cls in errors.DomainError.__subclasses__() if cls.status in DESCRIPTIONS
}
EXAMPLE_DETAILS = {
    400: "The request body is not valid JSON.",
    401: "The token is unknown, revoked or expired.",
    403: "This needs the editor role; the token has reader.",
    404: "There is no decision 42.",
    409: "The decision is still referenced by 2 recommendations; nothing was changed.",
    412: "The decision 42 has changed since you read it (you had version 3, it is now at 4); "
    "read it again and reapply your change.",
    413: "The request body is over 1048576 bytes.",
    415: "The file is a ZIP archive; documents are kept as PDF, HTML, plain text, PNG or JPEG.",
    422: "The request has 1 invalid field(s): issued_on: must be a date as YYYY-MM-DD",
    428: 'This change needs If-Match: send the ETag of the version you read (such as "3").',
    429: "Too many requests; try again in 30 seconds.",
    503: "The database is busy or unreachable; nothing was changed. Try again shortly.",
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
ETAG = {
    "description": 'The version of the item, such as `"3"`: send it back as `If-Match` to change it.',
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}
LOCATION = {
    "description": "The address of what was created.",
    "required": True,
    "schema": {"type": "string", "format": "uri"},
}
REPLAYED = {
    "description": "`true` on the stored answer to an earlier request with the same `Idempotency-Key`.",
    "schema": {"type": "string", "enum": ["true"]},
}
CURSOR_FORMAT = (
    "Cursors are opaque, URL-safe strings (`[A-Za-z0-9_-]`): pass a page's `next_cursor` as "
    "`cursor` for the next page; it is `null` on the last. A cursor belongs to the sort order it "
    "was made for; another (or one that no page gave) is refused with 422."
)


# A route depending on one of these takes the matching request header.
def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def checks_if_match(route: APIRoute) -> bool:
    return expected_version in set(_calls(route.dependant))


def takes_idempotency_key(route: APIRoute) -> bool:
    return idempotency_key in set(_calls(route.dependant))


def takes_body(route: APIRoute) -> bool:
    extra = route.openapi_extra or {}
    return route.body_field is not None or "requestBody" in extra


def takes_parameters(route: APIRoute) -> bool:
    d = route.dependant
    params = [*d.path_params, *d.query_params, *d.header_params, *d.cookie_params]
    for sub in route.dependant.dependencies:
        params += [*sub.path_params, *sub.query_params, *sub.header_params]
    return bool(params)


WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def problem_statuses(route: APIRoute) -> set[int]:
    """The error statuses a route can answer, from what it is."""
    statuses = {401, 503}  # every API route reads the token and the database
    access = rule_of(route)
    # Any valid token is a reader: only a route needing more can refuse a token's role.
    if access is not None and access.rank > Access.reader.rank:
        statuses |= {403}
    if "{" in route.path:
        statuses |= {404, 422}
    if takes_parameters(route):
        statuses |= {422}
    if takes_body(route):
        statuses |= {400, 413, 422}
    if (route.methods or set()) & WRITES:
        statuses |= {409}
    if checks_if_match(route):
        statuses |= {412, 428}
    if takes_idempotency_key(route):
        statuses |= {422}
    if selection.takes_fields(route):
        statuses |= {422}
    declared = {int(s) for s in route.responses if str(s).isdigit() and int(s) >= 400}
    return statuses | declared


def problem_response(status: int) -> dict[str, Any]:
    cls = CLASSES.get(status) or {429: errors.TooManyRequests}.get(status)
    kind = Kind(cls.status, cls.title, cls.slug) if cls else UNAVAILABLE
    title, slug = (kind.title, kind.slug) if kind.status == status else ("Error", "error")
    example: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": EXAMPLE_DETAILS[status],
    }
    if status == 422:
        example["errors"] = [
            {"field": "issued_on", "message": "must be a date as YYYY-MM-DD", "type": "value_error"}
        ]
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}, "example": example}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": RETRY_AFTER}
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {"description": "`Bearer`, with the error.", "schema": {"type": "string"}}
        }
    return response


def _success(operation: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for status, response in operation["responses"].items():
        if status.startswith("2"):
            return status, response
    return None


def _returns_versioned(route: APIRoute) -> bool:
    model = route.response_model
    return isinstance(model, type) and issubclass(model, BaseModel) and "version" in model.model_fields


def describe(route: APIRoute, method: str, operation: dict[str, Any]) -> None:
    """Complete one operation of `route` by the rules above."""
    operation["operationId"] = operation_id(route)
    responses = operation["responses"]
    for status in [s for s in responses if s[0] in "45"]:
        del responses[status]
    for status in sorted(problem_statuses(route)):
        responses[str(status)] = problem_response(status)

    for param in operation.get("parameters", []):
        if param["in"] == "header" and param["name"].lower() == "if-match" and checks_if_match(route):
            param["required"] = True
            param["description"] = IF_MATCH_DESCRIPTION
            param["schema"] = {"type": "string", "pattern": IF_MATCH_PATTERN}
        if param["in"] == "query" and param["name"] == "cursor":
            param["description"] = f"The `next_cursor` of the previous page. {CURSOR_FORMAT}"

    success = _success(operation)
    if success is None:
        return
    status, response = success
    headers = response.setdefault("headers", {})
    if method == "POST" and status == "201":
        headers["Location"] = LOCATION
    # An item read, an update and a create carry the item's version; a list does not.
    if _returns_versioned(route) and (method in ("PATCH", "POST") or "{" in route.path):
        headers["ETag"] = ETAG
    if takes_idempotency_key(route):
        headers["Idempotent-Replayed"] = REPLAYED
    if not headers:
        del response["headers"]


def openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI description, completed by the rules above (built once, then cached)."""
    if app.openapi_schema:
        return app.openapi_schema
    with warnings.catch_warnings():
        # FastAPI gives a GET+HEAD route one id for both methods and warns; HEAD is dropped
        # below, and `scheme_errors` (tested) reports any real duplicate.
        warnings.filterwarnings("ignore", message="Duplicate Operation ID", category=UserWarning)
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=TAGS,
        )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(Problem.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs", {}))
    components["Problem"] = {
        k: v
        for k, v in Problem.model_json_schema(ref_template="#/components/schemas/{model}").items()
        if k != "$defs"
    }
    by_operation = {(m, r.path): r for r in api_routes(app) for m in r.methods}
    for path, operations in schema.get("paths", {}).items():
        # Every GET answers HEAD (RFC 9110): one operation, one id, not two.
        if "get" in operations:
            operations.pop("head", None)
        for method, operation in operations.items():
            route = by_operation.get((method.upper(), path))
            if route is not None:
                describe(route, method.upper(), operation)
                selection.describe(route, operation, components)
    # FastAPI's own validation-error schemas are replaced by Problem everywhere.
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    app.openapi_schema = schema
    return schema
