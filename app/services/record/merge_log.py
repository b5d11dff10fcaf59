"""The log of merges, and undoing one: exactly what the merge moved comes back.

A merge (app/services/record/merges.py) keeps, beside its audit entries, an *image* of every
row it could touch (`scope`): the two records, their parts, the rows that refer to either
(recommendations, the recommending links, findings, links, subsidiaries, subscriptions, the
merged-id redirects), as they were before and as the merge left them. Undoing it writes the
rows before back (the merged record with its id, its version and its stamps; the kept one as
it was), so that the whole-record export is what it was before the merge, and only while
those rows are still as the merge left them: an edit since, or a later merge of the kept
record, is a 422 naming it (undo that first), and a merge already undone is a 409.

The rows are written back past the ORM (their versions and stamps are part of what comes
back): the read documents and the suspected duplicates are noted for the commit
(`hooks.note_restored`), the search index follows by the database's triggers.
"""

import datetime as dt
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, TypeDecorator, and_, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from app.errors import Conflict, FieldError, Invalid
from app.models import (
    DECISION_PARTS,
    Decision,
    DecisionOrganisation,
    DecisionRelation,
    Finding,
    MergedRecord,
    Organisation,
    OrganisationAlias,
    OrganisationFormerParent,
    Recommendation,
    RecommendationParty,
    Subscription,
)
from app.models.base import table_of, utcnow
from app.models.dedupe import Merge
from app.services import hooks
from app.services.shared import audit
from app.services.shared.common import check_version, get_or_404

Image = dict[str, list[dict[str, Any]]]
Scope = list[tuple[Table, ColumnElement[bool]]]


def _decision_scope(ids: list[int]) -> Scope:
    return [
        (table_of(Decision), Decision.id.in_(ids)),
        *((table_of(p), p.decision_id.in_(ids)) for p in DECISION_PARTS),
        (
            table_of(DecisionRelation),
            or_(DecisionRelation.decision_id.in_(ids), DecisionRelation.related_decision_id.in_(ids)),
        ),
        (table_of(Recommendation), Recommendation.decision_id.in_(ids)),
        (
            table_of(Subscription),
            and_(Subscription.target_type == "decision", Subscription.target_id.in_(ids)),
        ),
        (
            table_of(MergedRecord),
            and_(
                MergedRecord.kind == "decision",
                or_(MergedRecord.merged_id.in_(ids), MergedRecord.into_id.in_(ids)),
            ),
        ),
    ]


def _organisation_scope(ids: list[int]) -> Scope:
    return [
        (table_of(Organisation), or_(Organisation.id.in_(ids), Organisation.parent_id.in_(ids))),
        (table_of(OrganisationAlias), OrganisationAlias.organisation_id.in_(ids)),
        (
            table_of(OrganisationFormerParent),
            or_(
                OrganisationFormerParent.organisation_id.in_(ids),
                OrganisationFormerParent.parent_id.in_(ids),
            ),
        ),
        (table_of(DecisionOrganisation), DecisionOrganisation.organisation_id.in_(ids)),
        (table_of(Recommendation), Recommendation.organisation_id.in_(ids)),
        (table_of(RecommendationParty), RecommendationParty.organisation_id.in_(ids)),
        (table_of(Finding), Finding.organisation_id.in_(ids)),
        (
            table_of(Subscription),
            and_(Subscription.target_type == "organisation", Subscription.target_id.in_(ids)),
        ),
        (
            table_of(MergedRecord),
            and_(
                MergedRecord.kind == "organisation",
                or_(MergedRecord.merged_id.in_(ids), MergedRecord.into_id.in_(ids)),
            ),
        ),
    ]


SCOPES: dict[str, Callable[[list[int]], Scope]] = {
    "decision": _decision_scope,
    "organisation": _organisation_scope,
}


def _key(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.key] for c in table.primary_key.columns)


def image(session: Session, kind: str, ids: list[int]) -> Image:
    """Every row of the scope of a merge of these two records, as JSON values, in key order."""
    session.flush()
    out: Image = {}
    for table, where in SCOPES[kind](ids):
        rows = [
            {k: audit.jsonable(v) for k, v in row.items()}
            for row in session.execute(select(table).where(where)).mappings()
        ]
        out[table.name] = sorted(rows, key=lambda r: tuple(str(v) for v in _key(table, r)))
    return out


def _value(table: Table, key: str, value: Any) -> Any:
    """A JSON value back as its column's Python value."""
    if value is None:
        return None
    type_ = table.c[key].type
    try:
        kind = (type_.impl if isinstance(type_, TypeDecorator) else type_).python_type
    except NotImplementedError:
        return value
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if kind is dt.date:
        return dt.date.fromisoformat(value)
    if kind is Decimal:
        return Decimal(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    return value


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(table, k, v) for k, v in row.items()}


def _changed(kind: str, scope: Scope, now: Image, then: Image) -> list[str]:
    """What differs between two images, in words (`decisions 3`, `recommendations 7`)."""
    out = []
    for table, _ in scope:
        a = {_key(table, r): r for r in now.get(table.name, [])}
        b = {_key(table, r): r for r in then.get(table.name, [])}
        keys = sorted((k for k in a.keys() | b.keys() if a.get(k) != b.get(k)), key=str)
        if keys:
            shown = ", ".join("/".join(str(v) for v in k) for k in keys[:5])
            more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
            out.append(f"{table.name} {shown}{more}")
    return out


def _restore(session: Session, scope: Scope, now: Image, then: Image) -> None:
    """Write the rows of `then` back over those of `now`: rows only in `now` deleted (the
    parts first), rows in both set to their values then, rows only in `then` inserted (the
    records first)."""
    plans = []
    for table, _ in scope:
        current = {_key(table, r): r for r in now.get(table.name, [])}
        wanted = {_key(table, r): r for r in then.get(table.name, [])}
        plans.append((table, current, wanted))
    for table, current, wanted in reversed(plans):
        for key in current.keys() - wanted.keys():
            session.execute(
                delete(table).where(*(c == v for c, v in zip(table.primary_key.columns, key, strict=True)))
            )
    for table, current, wanted in plans:
        for key in sorted(wanted.keys() - current.keys(), key=str):
            session.execute(insert(table).values(**_typed(table, wanted[key])))
        for key in sorted(wanted.keys() & current.keys(), key=str):
            if wanted[key] != current[key]:
                session.execute(
                    update(table)
                    .where(*(c == v for c, v in zip(table.primary_key.columns, key, strict=True)))
                    .values(**_typed(table, wanted[key]))
                )


def log(
    session: Session, *, kind: str, merged_id: int, into_id: int, before: Image, moved: dict[str, Any]
) -> Merge:
    """Keep the merge just made (its image before, taken by the caller, and after)."""
    entry = Merge(
        kind=kind,
        merged_id=merged_id,
        into_id=into_id,
        merged_by=audit.public_name(session),
        moved=moved,
        before=before,
        after=image(session, kind, [merged_id, into_id]),
    )
    session.add(entry)
    session.flush()
    return entry


def _decisions_of(kind: str, *images: Image) -> set[int]:
    """The decisions whose read documents an undo changes."""
    ids: set[int] = set()
    for img in images:
        for row in img.get("decisions", []):
            ids.add(row["id"])
        for row in img.get("decision_relations", []):
            ids |= {row["decision_id"], row["related_decision_id"]}
        for name in ("decision_organisations", "recommendations", "findings"):
            ids |= {row["decision_id"] for row in img.get(name, [])}
    return ids


def undo(session: Session, *, merge_id: int, expected_version: int | None) -> Merge:
    entry = get_or_404(session, Merge, merge_id)
    check_version(entry, expected_version)
    what = entry.kind
    if entry.undone_at is not None:
        raise Conflict(
            f"Merge {entry.id} was already undone on {entry.undone_at.date()} by {entry.undone_by}.",
            [FieldError("merge", "already undone", "undone")],
        )
    later = session.scalars(
        select(Merge)
        .where(
            Merge.kind == what,
            Merge.id > entry.id,
            Merge.undone_at.is_(None),
            or_(Merge.merged_id == entry.into_id, Merge.into_id == entry.into_id),
        )
        .order_by(Merge.id)
    ).first()
    if later is not None:
        again = later.merged_id == entry.into_id
        detail = (
            f"{what} {entry.into_id}, kept by merge {entry.id}, was merged into {what} {later.into_id} "
            f"since (merge {later.id})"
            if again
            else f"{what} {later.merged_id} was merged into {what} {entry.into_id} since (merge {later.id})"
        )
        raise Invalid(
            f"Merge {entry.id} cannot be undone: {detail}. Undo merge {later.id} first.",
            [FieldError("into_id", f"{detail}; undo merge {later.id} first", "merged_again")],
        )
    ids = [entry.merged_id, entry.into_id]
    scope = SCOPES[what](ids)
    now = image(session, what, ids)
    changed = _changed(what, scope, now, entry.after)
    if changed:
        raise Invalid(
            f"Merge {entry.id} cannot be undone: what it moved has changed since ({'; '.join(changed)}). "
            "Only a merge whose records are still as it left them comes back exactly.",
            [FieldError("merge", "changed since: " + "; ".join(changed), "changed")],
        )
    _restore(session, scope, now, entry.before)
    session.expire_all()
    entry.undone_at = utcnow()
    entry.undone_by = audit.public_name(session)
    session.flush()
    hooks.note_restored(
        session,
        decisions=_decisions_of(what, now, entry.before),
        organisations=ids if what == "organisation" else (),
    )
    audit.record(
        session,
        action="undo_merge",
        entity=what,
        entity_id=entry.merged_id,
        before={"merged_into": entry.into_id, "merge": entry.id},
        after={"restored": entry.merged_id, **entry.moved},
    )
    return entry


def list_(session: Session, *, kind: str | None = None, limit: int = 50) -> list[Merge]:
    stmt = select(Merge).order_by(Merge.id.desc()).limit(limit)
    if kind is not None:
        stmt = stmt.where(Merge.kind == kind)
    return list(session.scalars(stmt))
