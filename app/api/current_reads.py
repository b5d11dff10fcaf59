"""Current reads served without the API's router-wide token dependency: the decision list and
item (from the stored read model) and the recommendation list (its JSON built in one
statement). Each is async, and reads the token itself when one is sent.

An anonymous current read runs on the event loop (`on_the_loop`); one with a token, or as of
a day (derived from the history, heavier), runs in a worker thread like other routes
(`as_caller`). `serve` picks.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.api.common import with_etag
from app.api.deps import current_token, get_database

# A read's answer: the version (for the ETag; None for a list) and the JSON.
Answer = tuple[int | None, bytes]
Read = Callable[[Session], Answer]


@contextmanager
def on_the_loop(request: Request) -> Iterator[Session]:
    """A read-only session for an anonymous current read, used on the event loop itself.

    Such a read is a lookup by primary key, or one page of an indexed list, and one statement
    for the names. Those database calls are short and synchronous, and they are made here, on
    the event loop, rather than in a worker thread: on SQLite (the embedded default) they are
    calls into a library with no network, taking from tens of microseconds to about a
    millisecond, about what handing the request to a thread and back costs alone (and the
    thread pool's 40 threads no longer bound how many reads are in flight). On PostgreSQL each
    is one round trip on a pooled connection; the loop waits for it, a fraction of a
    millisecond on a local network, while several app processes share the load. (A truly
    async driver would need a second engine and pool beside the sync one every other route
    uses.)
    """
    session = get_database(request).session()
    try:
        yield session
    finally:
        session.close()


def as_caller(request: Request, read: Read) -> Answer:
    """A read for a caller with a token (checked first, as on every API route: a bad one gets
    401) or as of a day: in a worker thread, as other routes."""
    session = get_database(request).session()
    try:
        current_token(request, session, request.headers.get("authorization"))
        answer = read(session)
        session.commit()
        return answer
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def answer(result: Answer) -> Response:
    version, body = result
    response = Response(body, media_type="application/json")
    if version is not None:
        with_etag(response, version)
    return response


async def serve(request: Request, read: Read, *, in_thread: bool = False) -> Response:
    """The read's answer: in a worker thread when asked (a derived read) or when a token is
    sent, else on the loop."""
    if in_thread or "authorization" in request.headers:
        return answer(await run_in_threadpool(as_caller, request, read))
    with on_the_loop(request) as session:
        return answer(read(session))
