"""The application: routers, middleware and error handlers wired together."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import api
from app.api import problems
from app.config import get_settings
from app.db import Database
from app.errors import DomainError, TooLarge

DESCRIPTION = """
The public record of what regulators decide and whether the organisations they rule on comply.

Reading is open to everyone. Writing needs `Authorization: Bearer <token>`
(tokens are made with `findings token create`). Errors are RFC 9457 problem details.
"""


class BodyLimit:
    """Refuse request bodies over a size limit (413) before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise TooLarge(f"The request body is over {self.max_bytes} bytes.")
            return message

        await self.app(scope, limited, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problems.from_domain(TooLarge(f"The request body is over {self.max_bytes} bytes."))
        await response(scope, receive, send)


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

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):  # type: ignore[no-untyped-def]
        return problems.from_domain(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):  # type: ignore[no-untyped-def]
        return problems.validation_problem(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # type: ignore[no-untyped-def]
        return problems.http_problem(exc)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError):  # type: ignore[no-untyped-def]
        return problems.integrity_problem(exc)

    @app.exception_handler(OperationalError)
    async def operational_error(request: Request, exc: OperationalError):  # type: ignore[no-untyped-def]
        return problems.unavailable_problem(exc)

    # Every pooled connection stayed busy for DB_POOL_TIMEOUT seconds: busy, like the above.
    app.add_exception_handler(PoolTimeout, operational_error)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
