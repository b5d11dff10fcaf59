"""The application: routers, middleware and error handlers wired together."""

import asyncio
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import api, language, security_log, web
from app.access import Access, declare_path, public
from app.admission import Admission
from app.api import contract, feeds, problems
from app.api.deps import refusal
from app.api.problems import wants_problem
from app.config import get_settings
from app.db import Database
from app.errors import BadRequest, DomainError, Moved, RequestTimeout, TooLarge
from app.http_cache import HttpCaching
from app.labels import gettext
from app.language import Language
from app.services import hooks
from app.vocab import Role
from app.web.auth import form_refusal
from app.web.security import SecurityHeaders, add_security_headers

DESCRIPTION = """
The public record of what regulators decide and whether the organisations they rule on comply.

Reading is open to everyone. Writing needs `Authorization: Bearer <token>`
(tokens are made with `findings token create`). `PATCH` and `DELETE` need `If-Match` with the
`ETag` you read (`428 Precondition Required` without it; `412` when it is stale). Errors are
RFC 9457 problem details.
"""


BODY_METHODS_WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SPOOL_BYTES = 8 << 20
REPLAY_CHUNK = 1 << 20
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


def render_error(request: Request, exc: Exception | None) -> Response:
    """An error as problem+json on API paths, as the HTML error page elsewhere (the one table
    from exception to problem is `problems.describe`; None: a bug, a 500)."""
    if wants_problem(request):
        return problems.as_problem(problems.describe(exc))
    described = problems.describe(exc, page=True)
    kind = described.kind
    # A page says its error in the reader's language where the catalogue has the words (a
    # detail it has not is marked as English for the reader's tools).
    detail = gettext(described.detail)
    english = detail == described.detail and language.current() != language.ENGLISH
    return web.error_page(
        request,
        kind.status,
        gettext(kind.title),
        detail,
        described.headers,
        detail_language=language.ENGLISH if english else None,
    )


# A guard answers a refusal (rendered as an error), an answer of its own (a redirect), or None.
Guard = Callable[[Request], Awaitable[DomainError | Response | None]]
# The assessment form, which may carry a document (app/web/edit_assessments.py).
ASSESSMENT_FORM = "/recommendations/{recommendation_id}/assessments/new"
T = TypeVar("T")


def _path_pattern(path: str) -> re.Pattern[str]:
    """A path with `{name}` parts as a pattern (each part one path segment)."""
    return re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)))


class ReadBody:
    """Read the whole request body before the app sees the request.

    No endpoint then awaits the network: a client that sends its headers and holds the body
    back (or trickles it) holds no database transaction, so it cannot stop anyone else's
    writes. A body must arrive within `timeout` seconds (408 otherwise); bodies over
    `max_bytes` are refused (413) before they are read. Paths in `overrides` take larger
    bodies (the whole-record import): those are spooled to a temporary file, and only a pause
    longer than `idle_timeout` between two pieces ends them; their caller is checked first
    (`guards`: the token, 401 or 403), before a byte of the body is read.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        overrides: dict[str, int] | None = None,
        timeout: float = 30.0,
        idle_timeout: float = 10.0,
        guards: dict[str, Guard] | None = None,
    ) -> None:
        self.app = app
        self.default_max_bytes = max_bytes
        # Keys are paths, or path patterns (`/recommendations/{id}/assessments/new`).
        self.overrides = [(_path_pattern(p), n) for p, n in (overrides or {}).items()]
        self.guards = [(_path_pattern(p), g) for p, g in (guards or {}).items()]
        self.timeout = timeout
        self.idle_timeout = idle_timeout

    @staticmethod
    def _find(table: list[tuple[re.Pattern[str], T]], path: str) -> T | None:
        return next((value for pattern, value in table if pattern.fullmatch(path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        has_body = (
            scope["method"] not in BODY_METHODS_WITHOUT_BODY
            or b"transfer-encoding" in headers
            or (declared is not None and declared not in (b"0", b""))
        )
        if not has_body:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        override = self._find(self.overrides, path)
        large = override is not None
        max_bytes = override if override is not None else self.default_max_bytes
        guard = self._find(self.guards, path)
        refused = await guard(Request(scope, receive)) if guard is not None else None
        if isinstance(refused, Response):
            await refused(scope, receive, send)
            return
        if refused is not None:
            await self._refuse(scope, receive, send, refused)
            return
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(scope, receive, send, TooLarge(f"The request body is over {max_bytes} bytes."))
            return
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed below)
        try:
            try:
                if large:
                    complete = await self._read(receive, spool, max_bytes, per_piece=True)
                else:
                    async with asyncio.timeout(self.timeout):
                        complete = await self._read(receive, spool, max_bytes, per_piece=False)
            except TimeoutError:
                await self._refuse(
                    scope,
                    receive,
                    send,
                    RequestTimeout(
                        "The request body did not arrive in time; nothing was changed.",
                        headers={"Connection": "close"},
                    ),
                )
                return
            except TooLarge as exc:
                await self._refuse(scope, receive, send, exc)
                return
            if not complete:
                return  # The client went away: there is no one to answer.
            spool.seek(0)
            await self.app(scope, self._replay(spool, receive), send)
        finally:
            spool.close()

    async def _read(self, receive: Receive, spool: Any, max_bytes: int, *, per_piece: bool) -> bool:
        seen = 0
        while True:
            if per_piece:
                async with asyncio.timeout(self.idle_timeout):
                    message = await receive()
            else:
                message = await receive()
            if message["type"] == "http.disconnect":
                return False
            if message["type"] != "http.request":
                continue
            body = message.get("body", b"")
            seen += len(body)
            if seen > max_bytes:
                raise TooLarge(f"The request body is over {max_bytes} bytes.")
            spool.write(body)
            if not message.get("more_body", False):
                return True

    @staticmethod
    def _replay(spool: Any, receive: Receive) -> Receive:
        done = False

        async def replay() -> Message:
            nonlocal done
            if done:
                # The body was given whole; what comes next is the client's disconnect.
                return await receive()
            chunk = spool.read(REPLAY_CHUNK)
            more = bool(chunk) and spool.tell() < _size(spool)
            if not more:
                done = True
            return {"type": "http.request", "body": chunk, "more_body": more}

        return replay

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, exc: DomainError) -> None:
        request = Request(scope, receive)
        await render_error(request, exc)(scope, receive, send)


def _size(spool: Any) -> int:
    position = spool.tell()
    spool.seek(0, 2)
    size = spool.tell()
    spool.seek(position)
    return int(size)


class HostPolicy:
    """The Host header is the client's to choose: refuse hosts not in `allowed` (when given),
    and make the request's own URL follow `base_url` (when given), so that no absolute URL
    the app builds can point at another site. With neither, the request's URL follows the
    address the client reached, as the socket says (`scope["server"]`), never the header."""

    def __init__(self, app: ASGIApp, allowed: str | None, base_url: str | None) -> None:
        self.app = app
        self.allowed = [h.strip().lower() for h in (allowed or "").split(",") if h.strip()]
        self.base = urlsplit(base_url.rstrip("/")) if base_url else None

    def host_allowed(self, host: str) -> bool:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.lower()
        for pattern in self.allowed:
            if pattern == "*" or name == pattern:
                return True
            if pattern.startswith("*.") and name.endswith(pattern[1:]):
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.allowed:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not self.host_allowed(host):
                request = Request(scope, receive)
                exc = BadRequest(f"This site does not answer to the host {host[:100]!r}.")
                await render_error(request, exc)(scope, receive, send)
                return
        if self.base is not None:
            scope = dict(scope)
            scheme = self.base.scheme or "https"
            port = self.base.port or (443 if scheme == "https" else 80)
            scope["scheme"] = scheme
            scope["server"] = (self.base.hostname or "", port)
            scope["headers"] = _with_host(scope["headers"], self.base.netloc)
        elif not self.allowed:
            scope = dict(scope)
            scope["headers"] = _with_host(scope["headers"], _server_netloc(scope))
        await self.app(scope, receive, send)


def _with_host(headers: list[tuple[bytes, bytes]], netloc: str) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k != b"host"] + [(b"host", netloc.encode("latin-1"))]


def _server_netloc(scope: Scope) -> str:
    """The address the connection reached (uvicorn's socket name), with its port unless it is
    the scheme's own; 127.0.0.1 where the server gives none (a Unix socket)."""
    host, port = scope.get("server") or ("127.0.0.1", None)
    host = f"[{host}]" if ":" in str(host) else str(host)
    default = 443 if scope.get("scheme") == "https" else 80
    return host if port in (None, default) else f"{host}:{port}"


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


DOCS_ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """The interactive API docs (Swagger UI at /docs, ReDoc at /redoc), with their scripts
    and styles served by the app from the `fastapi-offline` package: nothing from another host."""
    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs_assets")

    @app.get("/docs", include_in_schema=False, name="swagger_ui_html")
    @public
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False, name="redoc_html")
    @public
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API reference",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )


def moved(request: Request, exc: Moved) -> Response:
    """308 from a merged record's address (API or page, any sub-path) to the kept one's."""
    location = re.sub(
        rf"/{exc.collection}/{exc.merged_id}(?=/|$)",
        f"/{exc.collection}/{exc.into_id}",
        request.url.path,
        count=1,
    )
    if request.url.query:
        location += "?" + request.url.query
    response: Response = (
        problems.from_domain(exc) if wants_problem(request) else RedirectResponse(location, 308)
    )
    response.headers["Location"] = location
    return response


def create_app(database: Database | None = None) -> FastAPI:
    settings = get_settings()
    # Every write keeps the read model and the alert outbox in step (app.services.hooks).
    hooks.install()
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
        generate_unique_id_function=contract.operation_id,
        docs_url=None,
        redoc_url=None,
    )
    # FastAPI's documented way to replace the schema: assign the method on the instance.
    app.openapi = lambda: contract.openapi(app)  # type: ignore[method-assign]
    app.state.db = db
    app.include_router(api.router)
    app.include_router(feeds.router)

    # API paths answer RFC 9457 problem+json; pages answer an HTML error page.
    security_log.configure(settings.security_log)
    logged = {401: "unauthorized", 403: "forbidden", 412: "stale_version", 428: "precondition_required"}

    async def error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, Moved):
            return moved(request, exc)
        if isinstance(exc, DomainError) and exc.status in logged:
            security_log.event(logged[exc.status], request, status=exc.status)
        if isinstance(exc, StarletteHTTPException) and exc.status_code == 405:
            # Starlette names only the methods of the first route matching the path.
            exc.headers = {"Allow": ", ".join(allowed_methods(app, request.url.path))}
        return render_error(request, exc)

    # PoolTimeout: every pooled connection stayed busy for DB_POOL_TIMEOUT seconds.
    handled: tuple[type[Exception], ...] = (
        DomainError,
        RequestValidationError,
        StarletteHTTPException,
        IntegrityError,
        StaleDataError,
        OperationalError,
        PoolTimeout,
    )
    for exc_class in handled:
        app.add_exception_handler(exc_class, error)

    install_docs(app)
    for path in (app.openapi_url, DOCS_ASSETS):
        if path:
            declare_path(path, Access.public)

    # Anything else is a bug: still a problem+json 500 (an HTML page for the pages) with the
    # security headers, though Starlette answers it outside every middleware. It is logged.
    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        response: Response
        try:
            response = render_error(request, None)
        except Exception:
            detail = problems.describe(None).detail
            response = Response(detail, status_code=500, media_type="text/plain; charset=utf-8")
        add_security_headers(response.headers, request.scope)
        return response

    web.install(app)

    # Inside ReadBody: a client sending its body slowly holds no place meanwhile.
    app.add_middleware(
        Admission,
        max_in_flight=settings.max_in_flight,
        queue_timeout=settings.queue_timeout,
        render=render_error,
    )

    def needs(role: Role, *, page: bool = False) -> Guard:
        """A guard for a large body's route: its caller's token (or, for a page's form, its
        signed-in user) checked before the body."""

        async def guard(request: Request) -> DomainError | Response | None:
            database = request.app.state.db  # the app's database as it is now (tests swap it)
            if page:
                refused = await run_in_threadpool(form_refusal, database, request, role)
            else:
                token = request.headers.get("authorization")
                refused = await run_in_threadpool(refusal, database, token, role)
            if isinstance(refused, DomainError) and refused.status in logged:
                security_log.event(logged[refused.status], request, status=refused.status)
            return refused

        return guard

    app.add_middleware(
        ReadBody,
        max_bytes=settings.max_body_bytes,
        # Uploads of documents (by the API, or attached to an assessment's form): the file's
        # limit, and room for the form around it.
        overrides={
            "/api/v1/import": settings.import_max_bytes,
            "/api/v1/documents": settings.max_document_bytes + 65_536,
            ASSESSMENT_FORM: settings.max_document_bytes + 65_536,
        },
        guards={
            "/api/v1/import": needs(Role.admin),
            "/api/v1/documents": needs(Role.editor),
            ASSESSMENT_FORM: needs(Role.editor, page=True),
        },
        timeout=settings.body_timeout,
        idle_timeout=settings.body_idle_timeout,
    )
    # Text answers compressed when asked (the streamed export too, chunk by chunk).
    app.add_middleware(GZipMiddleware, minimum_size=500, exclude_content_types=NOT_COMPRESSED)
    app.add_middleware(HttpCaching, max_age=settings.http_max_age)
    # Outside the cache: an unknown host is refused before anything answers it.
    app.add_middleware(HostPolicy, allowed=settings.allowed_hosts, base_url=settings.base_url)
    app.add_middleware(SecurityHeaders)
    # Outermost: every answer, error pages of the middlewares above included, is in the
    # reader's language.
    app.add_middleware(Language)
    return app
