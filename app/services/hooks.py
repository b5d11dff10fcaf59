"""What every write keeps in step in its own transaction: the stored read documents of the
decisions it changes (`readmodel.store`), the alert events it causes (`alerts.outbox`) and
the suspected duplicates of the records it changes (`dedupe.suspicions`).

All are session hooks on every session of the process. They are installed explicitly
(`install`), once, by whatever opens sessions that write: `create_app`, the command line and
the tests' fixtures (the infrastructure, `app.db`, knows nothing of them). A bulk writer going
past the ORM notes what it wrote with one call (`note_bulk_write`), so that all follow.

May import: `readmodel`, `alerts`, `dedupe` (their hooks).
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from app.services.alerts import outbox
from app.services.dedupe import suspicions
from app.services.readmodel import store as read_store


def install() -> None:
    """Put every set of hooks on every session (idempotent)."""
    outbox.install()
    read_store.install()
    suspicions.install()


def note_bulk_write(
    session: Session,
    *,
    new_decisions: Iterable[int] = (),
    new_organisations: Iterable[int] = (),
    new_assessments: Iterable[int] = (),
    statuses: Iterable[tuple[int, Any, Any]] = (),
    every_decision: bool = False,
) -> None:
    """What a write past the ORM did, noted as the ORM's own writes are by the hooks: the
    decisions it inserted (their documents are made, their events written before the commit),
    the assessments it inserted, and (recommendation, status before, after) for the statuses it
    changed. `every_decision`: every document is made again (after a whole-record load), and
    every suspected duplicate; the organisations it inserted have theirs made."""
    new_decisions = list(new_decisions)
    if every_decision:
        read_store.touch_all(session)
    else:
        read_store.touch(session, new_decisions)
    suspicions.touch(
        session, decisions=new_decisions, organisations=new_organisations, everything=every_decision
    )
    outbox.note_created(session, decisions=new_decisions, assessments=new_assessments, statuses=statuses)


def note_restored(
    session: Session, *, decisions: Iterable[int] = (), organisations: Iterable[int] = ()
) -> None:
    """Records put back past the ORM (an undone merge): their read documents and suspected
    duplicates are made again before the commit (no alert event: nothing new happened)."""
    decisions = list(decisions)
    read_store.touch(session, decisions)
    suspicions.touch(session, decisions=decisions, organisations=organisations)
