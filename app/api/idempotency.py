"""`Idempotency-Key` on POST: a retried create gets the first answer and creates nothing more.

Every POST route of a router built with ``route_class=ApiRoute`` takes the header. The first
request with a key runs as usual; its answer (status, headers, body) is stored with the key
in the same transaction as the change it made, so either both are kept or neither. A retry
with the same key and the same request gets that stored answer back (with
``Idempotent-Replayed: true``); the same key with another request is refused (422). Keys
belong to their caller and are forgotten after ``TTL``. A failed request (4xx) stores
nothing, so it can be retried with the same key once it is fixed.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.api import selection
from app.api.deps import SessionDep, current_token
from app.errors import FieldError, Invalid
from app.models import ApiToken, IdempotencyKey
from app.services.shared import audit

HEADER = "Idempotency-Key"
TTL = dt.timedelta(hours=24)
REPLAYED_HEADERS = ("location", "etag", "content-type")
KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"


@dataclass
class Pending:
    """A key seen for the first time: its answer is stored when the route succeeds."""

    session: Session
    actor: str
    key: str
    request_hash: str


class Replay(Exception):
    """The stored answer to an earlier request with the same key."""

    def __init__(self, stored: IdempotencyKey) -> None:
        super().__init__(stored.key)
        self.response = Response(
            content=stored.body,
            status_code=stored.status_code,
            headers={**stored.headers, "Idempotent-Replayed": "true"},
        )


async def request_hash(request: Request) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.url.path, request.url.query):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(await request.body())
    return digest.hexdigest()


def idempotency_key(
    request: Request,
    session: SessionDep,
    token: Annotated[ApiToken | None, Depends(current_token)],
    digest: Annotated[str, Depends(request_hash)],
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            pattern=KEY_PATTERN,
            description="Any unique string (a UUID): a retry with the same key gets the first answer "
            "and creates nothing more. Kept for 24 hours.",
        ),
    ] = None,
) -> None:
    if key is None or token is None:
        # Without a token the route refuses the request anyway; nothing to remember.
        return
    # A plain function (FastAPI runs it in a worker thread): it queries the database.
    actor = audit.actor(session)
    now = dt.datetime.now(dt.UTC)
    stored = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.actor == actor, IdempotencyKey.key == key)
    )
    if stored is not None and stored.expires_at <= now:
        session.delete(stored)
        session.flush()
        stored = None
    if stored is None:
        request.state.idempotency = Pending(session, actor, key, digest)
        return
    if stored.request_hash != digest:
        raise Invalid(
            f"The {HEADER} {key!r} was already used for a different request; "
            "use a new key for a new request.",
            [FieldError("header.idempotency-key", "already used for a different request", "idempotency")],
        )
    raise Replay(stored)


def remember(pending: Pending, response: Response, now: dt.datetime | None = None) -> None:
    """Store the answer with the key, in the request's transaction."""
    now = now or dt.datetime.now(dt.UTC)
    session = pending.session
    # Forget expired keys as new ones come (indexed on expires_at, so this stays cheap).
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    session.add(
        IdempotencyKey(
            actor=pending.actor,
            key=pending.key,
            request_hash=pending.request_hash,
            status_code=response.status_code,
            headers={k: v for k, v in response.headers.items() if k in REPLAYED_HEADERS},
            body=bytes(response.body),
            created_at=now,
            expires_at=now + TTL,
        )
    )


class ApiRoute(APIRoute):
    """An API route; a POST one honours `Idempotency-Key`, a GET of items takes `fields`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = kwargs.get("methods") or ()
        if "POST" in methods:
            kwargs["dependencies"] = [*(kwargs.get("dependencies") or []), Depends(idempotency_key)]
        response_model = kwargs.get("response_model")
        if response_model is None or isinstance(response_model, DefaultPlaceholder):
            response_model = get_typed_return_annotation(endpoint)
        self.selection = selection.selectable(set(methods), response_model)
        if self.selection is not None:
            kwargs["dependencies"] = [
                *(kwargs.get("dependencies") or []),
                Depends(selection.dependency(self.selection[0])),
            ]
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.selection is not None:
            paged = self.selection[1]

            async def select(request: Request) -> Response:
                return selection.project(request, await handler(request), paged)

            return select
        if "POST" not in (self.methods or ()):
            return handler

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except Replay as replay:
                return replay.response
            pending: Pending | None = getattr(request.state, "idempotency", None)
            if pending is not None and 200 <= response.status_code < 300 and hasattr(response, "body"):
                await run_in_threadpool(remember, pending, response)
            return response

        return handle
