"""Dated parents: which organisation belonged to which, and when.

An organisation belongs to at most one parent on any day: its current parent (`parent_id`,
since `parent_since`; None: since before the record knows) or one of the parents it belonged to
before (`former_parents`, each from `since` until the day before `until`). Every period is
half-open, [since, until), an open end None. The checks here keep an organisation's periods
apart and its parents free of loops on every day; the walks give each organisation's group
(it and everything below it) on one day or over time, as spans of days per member.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import FieldError
from app.models import Organisation, OrganisationFormerParent

# [since, until): None is open (before the record knows, or still so).
Span = tuple[dt.date | None, dt.date | None]
ALWAYS: Span = (None, None)
# A bound on the walks: a group deeper or wider than this is a record gone wrong, not a group.
MAX_VISITS = 100_000


class FormerParentLike(Protocol):
    parent_id: int
    since: dt.date | None
    until: dt.date


@dataclass(frozen=True)
class Period:
    parent_id: int
    span: Span


def meet(a: Span, b: Span) -> Span | None:
    """The days two spans share, or None when they share none."""
    since = a[0] if b[0] is None else b[0] if a[0] is None else max(a[0], b[0])
    until = a[1] if b[1] is None else b[1] if a[1] is None else min(a[1], b[1])
    if since is not None and until is not None and since >= until:
        return None
    return since, until


def holds_on(span: Span, day: dt.date) -> bool:
    return (span[0] is None or span[0] <= day) and (span[1] is None or day < span[1])


def periods(
    parent_id: int | None, parent_since: dt.date | None, former: Sequence[FormerParentLike]
) -> list[Period]:
    """An organisation's periods under each parent: the former ones, then the current one."""
    out = [Period(f.parent_id, (f.since, f.until)) for f in former]
    if parent_id is not None:
        out.append(Period(parent_id, (parent_since, None)))
    return out


def _span_words(span: Span) -> str:
    since = span[0].isoformat() if span[0] else "the start"
    return f"{since} to {span[1].isoformat()}" if span[1] else f"{since} on"


def check_periods(
    org_id: int | None,
    parent_id: int | None,
    parent_since: dt.date | None,
    former: Sequence[FormerParentLike],
    *,
    prefix: str = "",
) -> list[FieldError]:
    """What is wrong with an organisation's periods taken alone: a `parent_since` without a
    parent, a former period ending before it starts, a period under itself, two periods sharing
    a day (one parent at a time). Loops through other organisations: `find_loop`."""
    errors: list[FieldError] = []
    if parent_since is not None and parent_id is None:
        errors.append(
            FieldError(f"{prefix}parent_since", "needs a parent (parent_id) to be part of", "parent_needed")
        )
    for i, f in enumerate(former):
        if f.since is not None and f.since >= f.until:
            errors.append(FieldError(f"{prefix}former_parents.{i}.until", "must come after since", "order"))
        if org_id is not None and f.parent_id == org_id:
            errors.append(
                FieldError(
                    f"{prefix}former_parents.{i}.parent_id",
                    "an organisation cannot be its own parent",
                    "cycle",
                )
            )
    if errors:
        return errors
    spans: list[tuple[str, Span]] = [
        (f"{prefix}former_parents.{i}", (f.since, f.until)) for i, f in enumerate(former)
    ]
    if parent_id is not None:
        spans.append((f"{prefix}parent_since", (parent_since, None)))
    for j, (field, span) in enumerate(spans):
        for other, other_span in spans[:j]:
            if meet(span, other_span) is not None:
                errors.append(
                    FieldError(
                        field,
                        f"overlaps {other} ({_span_words(other_span)}): one parent at a time",
                        "overlap",
                    )
                )
                break
    return errors


def find_loop(org_id: int, own: Sequence[Period], parents_of: Callable[[int], list[Period]]) -> int | None:
    """The index in `own` of a period that would make the parents a loop on some day (the
    organisation below itself), else None. Walks up from each of its parents through the
    periods that share a day with the path so far."""
    for index, period in enumerate(own):
        todo: list[tuple[int, Span]] = [(period.parent_id, period.span)]
        # A loop elsewhere (a file checked as a whole) is walked once, not forever.
        seen: set[tuple[int, Span]] = set()
        while todo:
            node, span = todo.pop()
            if node == org_id:
                return index
            if (node, span) in seen:
                continue
            seen.add((node, span))
            if len(seen) > MAX_VISITS:
                return index
            for up in parents_of(node):
                shared = meet(span, up.span)
                if shared is not None:
                    todo.append((up.parent_id, shared))
    return None


def parents_in(session: Session) -> Callable[[int], list[Period]]:
    """Each organisation's periods as recorded, read when first asked."""
    cache: dict[int, list[Period]] = {}

    def parents_of(org_id: int) -> list[Period]:
        if org_id not in cache:
            current = session.execute(
                select(Organisation.parent_id, Organisation.parent_since).where(Organisation.id == org_id)
            ).first()
            former = session.execute(
                select(
                    OrganisationFormerParent.parent_id,
                    OrganisationFormerParent.since,
                    OrganisationFormerParent.until,
                ).where(OrganisationFormerParent.organisation_id == org_id)
            ).all()
            found = [Period(p, (s, u)) for p, s, u in former]
            if current is not None and current.parent_id is not None:
                found.append(Period(current.parent_id, (current.parent_since, None)))
            cache[org_id] = found
        return cache[org_id]

    return parents_of


def members_over_time(session: Session, heads: list[int]) -> dict[int, dict[int, list[Span]]]:
    """Each head's group over time: every organisation below it (and itself, always), with
    the spans of days it belonged; one query pair per level of the whole forest."""
    children: dict[int, list[tuple[int, Span]]] = defaultdict(list)
    seen, frontier = set(heads), set(heads)
    while frontier:
        found: list[tuple[int, int, Span]] = [
            (child, parent, (since, None))
            for child, parent, since in session.execute(
                select(Organisation.id, Organisation.parent_id, Organisation.parent_since).where(
                    Organisation.parent_id.in_(frontier)
                )
            )
            if parent is not None
        ] + [
            (child, parent, (since, until))
            for child, parent, since, until in session.execute(
                select(
                    OrganisationFormerParent.organisation_id,
                    OrganisationFormerParent.parent_id,
                    OrganisationFormerParent.since,
                    OrganisationFormerParent.until,
                ).where(OrganisationFormerParent.parent_id.in_(frontier))
            )
        ]
        frontier = set()
        for child, parent, span in found:
            children[parent].append((child, span))
            if child not in seen:
                seen.add(child)
                frontier.add(child)
    out: dict[int, dict[int, list[Span]]] = {}
    for head in heads:
        spans: dict[int, list[Span]] = defaultdict(list)
        spans[head].append(ALWAYS)
        todo: list[tuple[int, Span]] = [(head, ALWAYS)]
        visits = 0
        while todo and visits < MAX_VISITS:
            node, span = todo.pop()
            visits += 1
            for child, child_span in children.get(node, []):
                shared = meet(span, child_span)
                if shared is not None and child != head:
                    spans[child].append(shared)
                    todo.append((child, shared))
        out[head] = dict(spans)
    return out


def members_on(over_time: dict[int, dict[int, list[Span]]], day: dt.date) -> dict[int, set[int]]:
    """Each head's group as owned on `day`."""
    return {
        head: {m for m, spans in members.items() if any(holds_on(s, day) for s in spans)}
        for head, members in over_time.items()
    }
