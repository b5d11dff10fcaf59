"""The application: routers, middleware and error handlers wired together."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import api, web
from app.access import Access, declare_path
from app.api import feeds, problems
from app.api.problems import wants_problem
from app.config import get_settings
from app.db import Database
from app.errors import DomainError, TooLarge
from app.http_cache import HttpCaching
from app.web.security import SecurityHeaders

DESCRIPTION = """
The public record of what regulators decide and whether the organisations they rule on comply.

Reading is open to everyone. Writing needs `Authorization: Bearer <token>`
(tokens are made with `findings token create`). Errors are RFC 9457 problem details.
"""


# Already compressed (or streamed events): gzip would only cost time.
NOT_COMPRESSED = (
    "text/event-stream",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "font/woff2",
    "application/zip",
    "application/gzip",
)


class BodyLimit:
    """Refuse request bodies over a size limit (413) before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        # Paths that take larger bodies (the whole-record import).
        self.overrides = overrides or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.overrides.get(scope.get("path", ""), self.default_max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(scope, receive, send, max_bytes)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise TooLarge(f"The request body is over {max_bytes} bytes.")
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        response = problems.from_domain(TooLarge(f"The request body is over {max_bytes} bytes."))
        await response(scope, receive, send)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route answers at `path`."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= route.methods or set()
    if "GET" in methods:
        methods.add("HEAD")  # every GET answers HEAD (app.http_cache)
    return sorted(methods)


def create_app(database: Database | None = None) -> FastAPI:
    settings = get_settings()
    db = database or Database()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if database is None:
            db.dispose()

    app = FastAPI(
        title="Findings Tracker",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.db = db
    app.include_router(api.router)
    app.include_router(feeds.router)

    # API paths answer RFC 9457 problem+json; pages answer an HTML error page.
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if wants_problem(request):
            return problems.from_domain(exc)
        return web.error_page(request, exc.status, exc.title, exc.detail, exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if wants_problem(request):
            return problems.validation_problem(exc)
        errors = problems.field_errors(exc)
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:10])
        return web.error_page(request, 422, "Invalid input", f"The address or form is not valid: {detail}.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            # Starlette names only the methods of the first route matching the path.
            exc.headers = {"Allow": ", ".join(allowed_methods(app, request.url.path))}
        if wants_problem(request):
            return problems.http_problem(exc)
        titles = {404: "Not found", 405: "Method not allowed", 413: "Content too large"}
        detail = exc.detail if isinstance(exc.detail, str) else ""
        if exc.status_code == 404:
            detail = "There is no page at this address."
        return web.error_page(
            request,
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            detail,
            getattr(exc, "headers", None),
        )

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        if wants_problem(request):
            return problems.integrity_problem(exc)
        return web.error_page(
            request,
            409,
            "Conflict",
            "The change conflicts with the record as it stands; nothing was changed.",
        )

    @app.exception_handler(OperationalError)
    async def operational_error(request: Request, exc: OperationalError) -> Response:
        if wants_problem(request):
            return problems.unavailable_problem(exc)
        return web.error_page(
            request,
            503,
            "Service unavailable",
            "The database is busy or unreachable; nothing was changed. Try again shortly.",
            {"Retry-After": "2"},
        )

    for path in (app.openapi_url, app.docs_url, app.swagger_ui_oauth2_redirect_url, app.redoc_url):
        if path:
            declare_path(path, Access.public)

    # Every pooled connection stayed busy for DB_POOL_TIMEOUT seconds: busy, like the above.
    app.add_exception_handler(PoolTimeout, operational_error)

    web.install(app)

    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        overrides={"/api/v1/import": settings.import_max_bytes},
    )
    # Text answers compressed when asked (the streamed export too, chunk by chunk).
    app.add_middleware(GZipMiddleware, minimum_size=500, exclude_content_types=NOT_COMPRESSED)
    app.add_middleware(HttpCaching, max_age=settings.http_max_age)
    app.add_middleware(SecurityHeaders)
    return app
