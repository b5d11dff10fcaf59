"""Events for alerts, written to the outbox in the same transaction as the change.

The hooks are installed once on every session (`install`), so that any write path — the
API, the pages, the imports, the command line — produces the same events without knowing
of them:

- after each flush they note the assessments and decisions just inserted (an assessment
  only once it counts: a suggestion is noted when an editor confirms it), and the
  recommendations whose kept status changed (the first value seen in the transaction and
  the last one);
- before each flush they note the standing of the decisions that a new, changed or deleted
  link (or a deleted decision) may change, as it stood before;
- before the commit they compare, and write one `outbox_events` row per event, with what it
  concerns (the parties, regulators, case and decision) for the worker to match against
  subscriptions.

A rolled-back transaction writes nothing (its notes are dropped with it). While no
subscription is active nothing is written at all, so imports pay for alerts only when
someone follows something.
"""

import weakref
from collections.abc import Iterable
from itertools import chain
from typing import Any

from sqlalchemy import Engine, event, exists, inspect, select
from sqlalchemy.orm import Session, UOWTransaction, attributes

from app.models import (
    Assessment,
    Decision,
    DecisionOrganisation,
    DecisionRegulator,
    DecisionRelation,
    OutboxEvent,
    Recommendation,
    Subscription,
)
from app.services import compliance
from app.vocab import STANDING_RELATIONS, EventType

_NEW_ASSESSMENTS = "outbox.assessments"  # assessment ids, in order
_NEW_DECISIONS = "outbox.decisions"  # decision ids, in order
_STATUSES = "outbox.statuses"  # recommendation id -> [first status, last status]
_STANDINGS = "outbox.standings"  # decision id -> standing before the transaction
_KEYS = (_NEW_ASSESSMENTS, _NEW_DECISIONS, _STATUSES, _STANDINGS)

TEXT_PREVIEW = 500


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def _is_standing(relation: Any) -> bool:
    return relation is not None and relation in STANDING_RELATIONS


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Note the standing, as it stands in the database now, of each decision this flush may change."""
    targets: set[int] = set()
    deleted_decisions: list[int] = []
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, DecisionRelation):
            history = attributes.get_history(obj, "relation")
            relations = [obj.relation, *history.deleted]
            if any(_is_standing(r) for r in relations):
                targets.add(obj.related_decision_id)
                targets.update(attributes.get_history(obj, "related_decision_id").deleted)
        elif isinstance(obj, Decision) and obj in session.deleted and obj.id is not None:
            deleted_decisions.append(obj.id)
        elif isinstance(obj, Decision) and attributes.get_history(obj, "issued_on").has_changes():
            # A later decision's date orders the links it makes.
            deleted_decisions.append(obj.id)
    if deleted_decisions:
        targets.update(
            session.scalars(
                select(DecisionRelation.related_decision_id).where(
                    DecisionRelation.decision_id.in_(deleted_decisions),
                    DecisionRelation.relation.in_([r.value for r in STANDING_RELATIONS]),
                )
            )
        )
    known: dict[int, Any] = session.info.setdefault(_STANDINGS, {})
    fresh = [t for t in targets if t is not None and t not in known]
    if fresh:
        known.update(compliance.standings(session, fresh, as_of=None))


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Note what this flush inserted, and the kept statuses it changed."""
    for obj in session.new:
        if isinstance(obj, Assessment) and obj.counted:
            session.info.setdefault(_NEW_ASSESSMENTS, []).append(obj.id)
        elif isinstance(obj, Decision):
            session.info.setdefault(_NEW_DECISIONS, []).append(obj.id)
    statuses: dict[int, list[Any]] = session.info.setdefault(_STATUSES, {})
    for obj in session.dirty:
        if isinstance(obj, Assessment) and True in attributes.get_history(obj, "counted").added:
            session.info.setdefault(_NEW_ASSESSMENTS, []).append(obj.id)  # a suggestion confirmed
        if not isinstance(obj, Recommendation):
            continue
        history = attributes.get_history(obj, "status")
        if not history.added:
            continue
        if obj.id in statuses:
            statuses[obj.id][1] = history.added[-1]
        elif history.deleted:
            statuses[obj.id] = [history.deleted[0], history.added[-1]]


def note_created(
    session: Session,
    *,
    decisions: Iterable[int],
    assessments: Iterable[int],
    statuses: Iterable[tuple[int, Any, Any]],
) -> None:
    """What a bulk write (the CSV import's, past the ORM) inserted, noted as the flush hooks
    note the ORM's: new decisions and assessments, and (recommendation, status before, after)."""
    session.info.setdefault(_NEW_DECISIONS, []).extend(decisions)
    session.info.setdefault(_NEW_ASSESSMENTS, []).extend(assessments)
    known: dict[int, list[Any]] = session.info.setdefault(_STATUSES, {})
    for rec_id, before, after in statuses:
        known[rec_id] = [before, after]


def _forget(session: Session, *_: Any) -> None:
    for key in _KEYS:
        session.info.pop(key, None)


# Engines whose database has the subscriptions table (a database migrated only part of the
# way, as in the migration tests, has none: then nobody can follow anything).
_READY: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _anyone_follows(session: Session) -> bool:
    connection = session.connection()
    if connection.engine not in _READY:
        if not inspect(connection).has_table(Subscription.__tablename__):
            return False
        _READY.add(connection.engine)
    return bool(session.scalar(select(exists().where(Subscription.disabled_at.is_(None)))))


def _before_commit(session: Session) -> None:
    if not any(session.info.get(key) for key in _KEYS):
        return
    session.flush()
    notes = {key: session.info.pop(key, None) for key in _KEYS}
    if not _anyone_follows(session):
        return
    session.add_all(
        chain(
            _decision_events(session, notes[_NEW_DECISIONS] or []),
            _assessment_events(session, notes[_NEW_ASSESSMENTS] or []),
            _status_events(session, notes[_STATUSES] or {}),
            _standing_events(session, notes[_STANDINGS] or {}),
        )
    )
    session.flush()
    _forget(session)


def install() -> None:
    """Put the hooks on every session (idempotent)."""
    for name, fn in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_rollback", _forget),
        ("after_commit", _forget),
    ):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


# -- The events and what they concern ----------------------------------------------------


def _subjects(session: Session, decision_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """For each decision: its parties, regulators and case, the keys subscriptions follow."""
    ids = sorted(set(decision_ids))
    out: dict[int, dict[str, Any]] = {
        i: {"decision_id": i, "organisation_ids": [], "regulator_ids": [], "case_id": None} for i in ids
    }
    if not ids:
        return out
    for decision_id, case_id in session.execute(
        select(Decision.id, Decision.case_id).where(Decision.id.in_(ids))
    ):
        out[decision_id]["case_id"] = case_id
    for decision_id, org_id in session.execute(
        select(DecisionOrganisation.decision_id, DecisionOrganisation.organisation_id).where(
            DecisionOrganisation.decision_id.in_(ids)
        )
    ):
        out[decision_id]["organisation_ids"].append(org_id)
    for decision_id, reg_id in session.execute(
        select(DecisionRegulator.decision_id, DecisionRegulator.regulator_id).where(
            DecisionRegulator.decision_id.in_(ids)
        )
    ):
        out[decision_id]["regulator_ids"].append(reg_id)
    return out


def _decision_data(d: Decision) -> dict[str, Any]:
    return {
        "id": d.id,
        "reference": d.reference,
        "title": d.title,
        "kind": _value(d.kind),
        "issued_on": d.issued_on.isoformat(),
    }


def _decision_events(session: Session, ids: list[int]) -> Iterable[OutboxEvent]:
    if not ids:
        return []
    found = {d.id: d for d in session.scalars(select(Decision).where(Decision.id.in_(ids)))}
    subjects = _subjects(session, found)
    return [
        OutboxEvent(
            type=EventType.decision_created.value,
            decision_id=i,
            subjects=subjects[i],
            data={"decision": _decision_data(found[i])},
        )
        for i in ids
        if i in found
    ]


def _recommendation_data(r: Recommendation) -> dict[str, Any]:
    return {
        "id": r.id,
        "decision_id": r.decision_id,
        "organisation_id": r.organisation_id,
        "text": r.text[:TEXT_PREVIEW],
        "status": _value(r.status),
    }


def _with_addressee(subjects: dict[str, Any], organisation_id: int) -> dict[str, Any]:
    orgs = subjects["organisation_ids"]
    return subjects | {"organisation_ids": orgs if organisation_id in orgs else [*orgs, organisation_id]}


def _assessment_events(session: Session, ids: list[int]) -> Iterable[OutboxEvent]:
    if not ids:
        return []
    rows = session.execute(
        select(Assessment, Recommendation)
        .join(Recommendation, Recommendation.id == Assessment.recommendation_id)
        .where(Assessment.id.in_(ids), compliance.COUNTS)
        .order_by(Assessment.id)
    ).all()
    subjects = _subjects(session, (r.decision_id for _, r in rows))
    return [
        OutboxEvent(
            type=EventType.assessment_created.value,
            decision_id=r.decision_id,
            subjects=_with_addressee(subjects[r.decision_id], r.organisation_id),
            data={
                "assessment": {
                    "id": a.id,
                    "status": _value(a.status),
                    "assessed_on": a.assessed_on.isoformat(),
                    "asserted_by": _value(a.asserted_by),
                    "note": (a.note or "")[:TEXT_PREVIEW] or None,
                    "source_url": a.source_url,
                },
                "recommendation": _recommendation_data(r),
            },
        )
        for a, r in rows
    ]


def _status_events(session: Session, changes: dict[int, list[Any]]) -> Iterable[OutboxEvent]:
    changed = {
        i: (before, after) for i, (before, after) in changes.items() if _value(before) != _value(after)
    }
    if not changed:
        return []
    found = list(session.scalars(select(Recommendation).where(Recommendation.id.in_(changed))))
    subjects = _subjects(session, (r.decision_id for r in found))
    return [
        OutboxEvent(
            type=EventType.status_changed.value,
            decision_id=r.decision_id,
            subjects=_with_addressee(subjects[r.decision_id], r.organisation_id),
            data={
                "recommendation": _recommendation_data(r),
                "before": _value(changed[r.id][0]),
                "after": _value(changed[r.id][1]),
            },
        )
        for r in sorted(found, key=lambda r: r.id)
    ]


def _standing_events(session: Session, before: dict[int, Any]) -> Iterable[OutboxEvent]:
    if not before:
        return []
    found = {d.id: d for d in session.scalars(select(Decision).where(Decision.id.in_(before)))}
    after = compliance.standings(session, list(found), as_of=None)
    changed = [i for i in sorted(found) if _value(after[i]) != _value(before[i])]
    subjects = _subjects(session, changed)
    return [
        OutboxEvent(
            type=EventType.standing_changed.value,
            decision_id=i,
            subjects=subjects[i],
            data={
                "decision": _decision_data(found[i]),
                "before": _value(before[i]),
                "after": _value(after[i]),
            },
        )
        for i in changed
    ]
