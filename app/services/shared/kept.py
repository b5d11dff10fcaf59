"""Data kept between changes: figures, or what a page shows of the record, computed once and
read again while the record has not changed (the stats, the charts, the countries, the
dashboard, the decision pages)."""

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import AuditEntry

# Figures already computed, by (name, database, day, as_of, last audit entry). Every change to the
# record writes an audit entry in its own transaction, so while the last entry is the same the
# figures are too: a dashboard read between changes costs one index lookup instead of counting
# a million rows. (On PostgreSQL two writers can commit out of id order; the age limit bounds
# how long such a reader could keep figures that miss the earlier-numbered change.) The last
# entry is known by its id and its time: a database emptied and filled again (a restore, a test
# suite's reset) gives ids again from 1, and the same id then names another change.
Key = tuple[str, str, dt.date, Any, int, dt.datetime | None]


@dataclass
class Store:
    """Kept figures (or a page's data), the newest `size` of them."""

    size: int
    entries: OrderedDict[Key, tuple[float, Any]] = field(default_factory=OrderedDict)


FIGURES = Store(64)
_MAX_AGE = 30.0
_LOCK = threading.Lock()
T = TypeVar("T")


def cached(
    session: Session, name: str, as_of: Any, compute: Callable[[], T], *, store: Store = FIGURES
) -> T:
    """`compute()`, or the figures it gave for the same `name`, database, day and `as_of` (or
    any hashable key of what else they depend on) while the record has not changed since (see
    above); kept in `store` (the figures' own by default: pages keep theirs apart)."""
    last = session.execute(
        select(AuditEntry.id, AuditEntry.at).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    last_id, last_at = (int(last[0]), last[1]) if last is not None else (0, None)
    key = (name, session.get_bind().engine.url.render_as_string(), clock.today(), as_of, last_id, last_at)
    now = time.monotonic()
    entries = store.entries
    with _LOCK:
        found = entries.get(key)
        if found is not None and now - found[0] < _MAX_AGE:
            entries.move_to_end(key)
            figures: T = found[1]
            return figures
    figures = compute()
    with _LOCK:
        entries[key] = (now, figures)
        entries.move_to_end(key)
        while len(entries) > store.size:
            entries.popitem(last=False)
    return figures


