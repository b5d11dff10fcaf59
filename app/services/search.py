"""Text matching for the `q` filter of the lists.

Every list's `q` goes through `matches()`, so the way text is matched is decided here once.
"""

from sqlalchemy import ColumnElement, false, or_

from app.services.common import like_pattern


def matches(q: str | None, *columns: ColumnElement[str | None]) -> ColumnElement[bool] | None:
    """A clause true where any of the columns contains `q` (case-insensitive), or None for no q."""
    if q is None:
        return None
    q = q.strip()
    if not q:
        return None
    if "\x00" in q:
        return false()
    pattern = like_pattern(q)
    return or_(*(c.ilike(pattern, escape="\\") for c in columns))
