"""Current reads served without the API's router-wide token dependency: the decision list and
item (from the stored read model) and the recommendation list (its JSON built in one
statement). Each is async, and reads the token itself when one is sent.

An anonymous current read runs on the event loop (`on_the_loop`), on the loop's own
connection; one with a token, or as of a day (derived from the history, heavier), runs in a
worker thread like other routes (`as_caller`), and so does an anonymous one when the loop's
connection is taken. `serve` picks.
"""

from collections.abc import Callable

from fastapi import Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.api.common import with_etag
from app.api.deps import current_token
from app.db import unit_of_work
from app.unit_of_work import get_database

# A read's answer: the version (for the ETag; None for a list) and the JSON.
Answer = tuple[int | None, bytes]
Read = Callable[[Session], Answer]


def on_the_loop(request: Request, read: Read) -> Answer | None:
    """An anonymous current read, made on the event loop itself; None when the loop's
    connection is not free (the caller then reads in a thread).

    Such a read is a lookup by primary key, or one page of an indexed list, and one statement
    for the names. Those database calls are short and synchronous, and they are made here, on
    the event loop, rather than in a worker thread: on SQLite (the embedded default) they are
    calls into a library with no network, taking from tens of microseconds to about a
    millisecond, about what handing the request to a thread and back costs alone. On
    PostgreSQL each is one round trip, a fraction of a millisecond on a local network.

    They use the loop's own connection (`Database.loop_session`), never the pool the threads
    share: the loop must never wait for a pooled connection. It once did, and 36 anonymous
    readers froze the whole server (the page threads held the pool, and could not give their
    connections back while the loop waited for one).
    """
    session = get_database(request).loop_session()
    if session is None:
        return None
    with unit_of_work(session):
        return read(session)


def as_caller(request: Request, read: Read) -> Answer:
    """A read for a caller with a token (checked first, as on every API route: a bad one gets
    401) or as of a day: in a worker thread, as other routes."""
    with unit_of_work(get_database(request).session()) as session:
        current_token(request, session, request.headers.get("authorization"))
        return read(session)


def answer(result: Answer) -> Response:
    version, body = result
    response = Response(body, media_type="application/json")
    if version is not None:
        with_etag(response, version)
    return response


async def serve(request: Request, read: Read, *, in_thread: bool = False) -> Response:
    """The read's answer: in a worker thread when asked (a derived read) or when a token is
    sent, else on the loop (or in a thread when the loop's connection is taken)."""
    if not in_thread and "authorization" not in request.headers:
        result = on_the_loop(request, read)
        if result is not None:
            return answer(result)
    return answer(await run_in_threadpool(as_caller, request, read))
