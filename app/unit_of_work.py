"""The request's unit of work: one session per request, committed once after the handler or
rolled back, for the REST routers (`app.api`) and the pages (`app.web`) alike.

Neutral ground between the two faces: both import the session from here, neither from the
other. The commit, rollback and close are `app.db.unit_of_work`, the one place they are written.
"""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.db import Database, unit_of_work

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; it commits once after the handler, or rolls back.

    Function-scoped (below), so the commit happens before the response is sent: a client
    is told 201 only once the change is durable, and a failed commit answers a problem.
    The session is closed when the endpoint returns: a streamed answer reads through a
    session of its own, opened in its generator.
    """
    with unit_of_work(get_database(request).session(write=request.method not in SAFE_METHODS)) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
