"""What every write keeps in step in its own transaction: the stored read documents of the
decisions it changes (`readmodel.store`) and the alert events it causes (`alerts.outbox`).

Both are session hooks on every session of the process. They are installed explicitly
(`install`), once, by whatever opens sessions that write: `create_app`, the command line and
the tests' fixtures (the infrastructure, `app.db`, knows nothing of them). A bulk writer going
past the ORM notes what it wrote with one call (`note_bulk_write`), so that both follow.

May import: `readmodel`, `alerts` (their hooks).
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from app.services.alerts import outbox
from app.services.readmodel import store as read_store


def install() -> None:
    """Put both sets of hooks on every session (idempotent)."""
    outbox.install()
    read_store.install()


def note_bulk_write(
    session: Session,
    *,
    new_decisions: Iterable[int] = (),
    new_assessments: Iterable[int] = (),
    statuses: Iterable[tuple[int, Any, Any]] = (),
    every_decision: bool = False,
) -> None:
    """What a write past the ORM did, noted as the ORM's own writes are by the hooks: the
    decisions it inserted (their documents are made, their events written before the commit),
    the assessments it inserted, and (recommendation, status before, after) for the statuses it
    changed. `every_decision`: every document is made again (after a whole-record load)."""
    new_decisions = list(new_decisions)
    if every_decision:
        read_store.touch_all(session)
    else:
        read_store.touch(session, new_decisions)
    outbox.note_created(session, decisions=new_decisions, assessments=new_assessments, statuses=statuses)
