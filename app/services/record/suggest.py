"""Choosing a record by typing: suggestions as one types, and the resolution of what was typed.

The choosers of the forms (an organisation, a regulator, a case, a decision) are text fields,
never dropdowns of every record. With the page's script they offer suggestions from
`GET /api/v1/suggest`; without it, what was typed is resolved when the form is posted:

- an id (`12`), or a label ending in its id (`Clearview AI, Inc. (#12)`, as the suggestions
  and the edit forms write it);
- else the exact name (an organisation's alias too; a decision's reference, a case's title),
  ignoring case and surrounding spaces.

Anything else (nothing found, or several records of that name) is refused with the near
matches named, so that the user can type one of them.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from app.models import Case, Decision, Organisation, OrganisationAlias, Regulator


class SuggestKind(StrEnum):
    organisation = "organisation"
    regulator = "regulator"
    case = "case"
    decision = "decision"


@dataclass(frozen=True)
class _Target:
    model: Any
    label: Any  # the column shown and matched


TARGETS = {
    SuggestKind.organisation: _Target(Organisation, Organisation.name),
    SuggestKind.regulator: _Target(Regulator, Regulator.name),
    SuggestKind.case: _Target(Case, Case.title),
    SuggestKind.decision: _Target(Decision, Decision.reference),
}
WITH_ID = re.compile(r"\(#(\d{1,18})\)\s*$")
MAX_SUGGESTIONS = 20


class NotResolved(Exception):
    """What was typed names no single record; `near` are labels the user may mean."""

    def __init__(self, message: str, near: list[str], *, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.near = near
        self.ambiguous = ambiguous  # several records have that very name


def display(label: str, id: int) -> str:
    """How a chosen record is written in a chooser (and offered as a suggestion)."""
    return f"{label} (#{id})"


def _like(text: str) -> str:
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _alias_match(condition: ColumnElement[bool]) -> Any:
    return select(OrganisationAlias.organisation_id).where(condition)


def suggest(session: Session, *, kind: SuggestKind, q: str, limit: int = 10) -> list[tuple[int, str]]:
    """Records whose label (or alias) contains `q`, those starting with it first, then by label."""
    target = TARGETS[kind]
    needle = q.strip()
    if not needle:
        return []
    pattern = f"%{_like(needle)}%"
    label = func.lower(target.label)
    matches: ColumnElement[bool] = label.like(pattern, escape="\\")
    if kind is SuggestKind.organisation:
        matches = or_(
            matches,
            Organisation.id.in_(_alias_match(func.lower(OrganisationAlias.alias).like(pattern, escape="\\"))),
        )
    if needle.isdigit() and len(needle) < 19:
        matches = or_(matches, target.model.id == int(needle))
    starts = case((label.like(f"{_like(needle)}%", escape="\\"), 0), else_=1)
    stmt = (
        select(target.model.id, target.label)
        .where(matches)
        .order_by(starts, target.label, target.model.id)
        .limit(min(limit, MAX_SUGGESTIONS))
    )
    return [(id, str(text)) for id, text in session.execute(stmt)]


def near(session: Session, *, kind: SuggestKind, typed: str, limit: int = 5) -> list[str]:
    """Labels near what was typed: containing it, else containing its longest word."""
    found = suggest(session, kind=kind, q=typed, limit=limit)
    if not found:
        words = sorted(re.findall(r"\w{3,}", typed), key=len, reverse=True)
        if words:
            found = suggest(session, kind=kind, q=words[0], limit=limit)
    return [display(text, id) for id, text in found]


def resolve(session: Session, *, kind: SuggestKind, typed: str) -> int:
    """The id of the one record that `typed` names, or NotResolved."""
    target = TARGETS[kind]
    text = typed.strip()
    with_id = WITH_ID.search(text)
    raw_id = with_id.group(1) if with_id else (text if text.isdigit() and len(text) < 19 else None)
    if raw_id is not None:
        if session.get(target.model, int(raw_id)) is not None:
            return int(raw_id)
        raise NotResolved(f"there is no {kind.value} #{raw_id}", near(session, kind=kind, typed=text))
    exact: ColumnElement[bool] = func.lower(target.label) == text.lower()
    if kind is SuggestKind.organisation:
        exact = or_(
            exact, Organisation.id.in_(_alias_match(func.lower(OrganisationAlias.alias) == text.lower()))
        )
    ids = [
        int(i)
        for i in session.scalars(select(target.model.id).where(exact).order_by(target.model.id).limit(6))
    ]
    if len(ids) == 1:
        return ids[0]
    if ids:
        labels = labels_of(session, kind=kind, ids=ids)
        raise NotResolved(
            f"{len(ids)} {kind.value}s are named {text!r}; choose one",
            [display(labels[i], i) for i in ids],
            ambiguous=True,
        )
    raise NotResolved(f"no {kind.value} is named {text!r}", near(session, kind=kind, typed=text))


def labels_of(session: Session, *, kind: SuggestKind, ids: Iterable[int]) -> dict[int, str]:
    target = TARGETS[kind]
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {
        id: str(text)
        for id, text in session.execute(
            select(target.model.id, target.label).where(target.model.id.in_(wanted))
        )
    }
