"""Suspected duplicates as stored pairs, kept in step with the writes that change them.

The rule is app/services/record/duplicates.py; this keeps its answer (`duplicate_suspicions`)
so that a request reads pairs instead of comparing the whole record (1.5 s a request at the
GDPR file's size). Each write notes what it changed (mapper hooks: a decision, its regulators
or parties; an organisation, its names; a regulator's names; a bulk writer's call to `touch`);
before the commit, the pairs of those records are computed again (a decision against the
decisions of its day, an organisation against every name), and the pairs an editor dismissed
(`duplicate_dismissals`) are left out for good. `rebuild` computes them all (`findings
migrate`, a whole-record import).
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, event, insert, or_, select
from sqlalchemy.orm import Session, attributes, object_session
from sqlalchemy.orm.session import SessionTransaction

from app.errors import FieldError, Invalid, NotFound
from app.models import (
    Decision,
    DecisionOrganisation,
    DecisionRegulator,
    Organisation,
    OrganisationAlias,
    Regulator,
)
from app.models.base import table_of
from app.models.dedupe import DuplicateDismissal, DuplicateSuspicion
from app.services.record import duplicates
from app.services.record.name_keys import name_key
from app.services.shared import audit

KINDS = ("decision", "organisation")
_DECISIONS = "suspicions.decisions"
_ORGANISATIONS = "suspicions.organisations"
_ALL = "suspicions.all"
_REGULATORS = "suspicions.regulators"
SUSPICIONS = table_of(DuplicateSuspicion)


def _noted(target: Any, key: str) -> set[int]:
    session = object_session(target)
    assert session is not None, "a row flushed outside a session"
    noted: set[int] = session.info.setdefault(key, set())
    return noted


def _with_old(obj: Any, name: str) -> list[Any]:
    return [v for v in [getattr(obj, name), *attributes.get_history(obj, name).deleted] if v is not None]


def _decision_written(_mapper: Any, _connection: Any, target: Decision) -> None:
    _noted(target, _DECISIONS).add(target.id)


def _decision_part_written(_mapper: Any, _connection: Any, target: Any) -> None:
    _noted(target, _DECISIONS).update(_with_old(target, "decision_id"))


def _organisation_written(_mapper: Any, _connection: Any, target: Organisation) -> None:
    _noted(target, _ORGANISATIONS).add(target.id)


def _organisation_updated(mapper: Any, connection: Any, target: Organisation) -> None:
    if attributes.get_history(target, "name").has_changes():
        _organisation_written(mapper, connection, target)


def _alias_written(_mapper: Any, _connection: Any, target: OrganisationAlias) -> None:
    _noted(target, _ORGANISATIONS).update(_with_old(target, "organisation_id"))


def _regulator_written(_mapper: Any, _connection: Any, target: Regulator) -> None:
    if any(attributes.get_history(target, n).has_changes() for n in ("name", "short_name")):
        session = object_session(target)
        assert session is not None
        # Its names before and after: what its decisions could pair on (`_sharing_a_name`).
        names = {n for attr in ("name", "short_name") for n in _with_old(target, attr)}
        session.info.setdefault(_REGULATORS, {}).setdefault(target.id, set()).update(names)


def _sharing_a_name(session: Session, renamed: dict[int, set[str]]) -> set[int]:
    """The renamed regulators whose names, before or after, are another regulator's (by name
    key): only their decisions can pair otherwise after the rename.

    Two decisions of one regulator share its id among their regulators' keys whatever its
    name (`duplicates._keys_of`), and a pair's reason names no regulator: a rename changes a
    pair only where the other decision's regulator has a name key the renamed one had or has.
    Refreshing every decision of a renamed regulator instead compared the whole record again:
    2.3 s for a rename of the busiest regulator at 20,000 decisions (5,374 of them its own)."""
    keys = {id: {name_key(n) for n in names} - {""} for id, names in renamed.items()}
    found: set[int] = set()
    if not keys:
        return found
    for other, name, short in session.execute(select(Regulator.id, Regulator.name, Regulator.short_name)):
        other_keys = {name_key(n) for n in (name, short) if n}
        found |= {id for id, mine in keys.items() if id != other and mine & other_keys}
    return found


def touch(
    session: Session,
    *,
    decisions: Iterable[int] = (),
    organisations: Iterable[int] = (),
    everything: bool = False,
) -> None:
    """Note records written past the ORM (a bulk import): their pairs are made before the commit."""
    session.info.setdefault(_DECISIONS, set()).update(decisions)
    session.info.setdefault(_ORGANISATIONS, set()).update(organisations)
    if everything:
        session.info[_ALL] = True


def _dismissed(session: Session, kind: str) -> set[tuple[int, int]]:
    return {
        (a, b)
        for a, b in session.execute(
            select(DuplicateDismissal.first_id, DuplicateDismissal.second_id).where(
                DuplicateDismissal.kind == kind
            )
        )
    }


def _write(session: Session, pairs: Iterable[duplicates.Pair]) -> int:
    dismissed = {kind: _dismissed(session, kind) for kind in KINDS}
    rows = []
    seen: set[tuple[str, int, int]] = set()
    for p in pairs:
        key = (p.type, p.first_id, p.second_id)
        if key in seen or (p.first_id, p.second_id) in dismissed[p.type]:
            continue
        seen.add(key)
        rows.append(
            {
                "kind": p.type,
                "first_id": p.first_id,
                "second_id": p.second_id,
                "match": p.kind,
                "reason": p.reason,
            }
        )
    if rows:
        session.execute(insert(SUSPICIONS), rows)
    return len(rows)


def _forget_pairs(session: Session, kind: str, ids: set[int]) -> None:
    session.execute(
        delete(SUSPICIONS).where(
            SUSPICIONS.c.kind == kind, or_(SUSPICIONS.c.first_id.in_(ids), SUSPICIONS.c.second_id.in_(ids))
        )
    )


def rebuild(session: Session) -> int:
    """Every pair computed again; the number stored."""
    session.execute(delete(SUSPICIONS))
    return _write(session, [*duplicates.decision_pairs(session), *duplicates.organisation_pairs(session)])


def refresh(session: Session, *, decision_ids: set[int], organisation_ids: set[int]) -> None:
    """The pairs of these records computed again (and those of the decisions whose parties'
    names changed)."""
    if organisation_ids:
        # A party's names are part of what identifies its decisions.
        decision_ids |= set(
            session.scalars(
                select(DecisionOrganisation.decision_id).where(
                    DecisionOrganisation.organisation_id.in_(organisation_ids)
                )
            )
        )
        _forget_pairs(session, "organisation", organisation_ids)
        _write(session, duplicates.organisation_pairs(session, only=organisation_ids))
    if decision_ids:
        _forget_pairs(session, "decision", decision_ids)
        days = set(session.scalars(select(Decision.issued_on).where(Decision.id.in_(decision_ids))))
        if days:
            candidates = duplicates.load(session, days=days)
            _write(session, duplicates.decision_pairs(session, candidates, only=decision_ids))


def _before_commit(session: Session) -> None:
    keys = (_DECISIONS, _ORGANISATIONS, _ALL, _REGULATORS)
    if not any(session.info.get(k) for k in keys):
        return
    session.flush()
    if session.info.pop(_ALL, False):
        for k in keys:
            session.info.pop(k, None)
        rebuild(session)
        return
    decision_ids = set(session.info.pop(_DECISIONS, ()))
    organisation_ids = set(session.info.pop(_ORGANISATIONS, ()))
    regulators = _sharing_a_name(session, session.info.pop(_REGULATORS, {}))
    if regulators:
        decision_ids |= set(
            session.scalars(
                select(DecisionRegulator.decision_id).where(DecisionRegulator.regulator_id.in_(regulators))
            )
        )
    refresh(session, decision_ids=decision_ids, organisation_ids=organisation_ids)


def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for k in (_DECISIONS, _ORGANISATIONS, _ALL, _REGULATORS):
            session.info.pop(k, None)


def install() -> None:
    """Put the hooks on the mapped classes and every session (idempotent)."""
    hooks: list[tuple[Any, str, Any]] = [
        (Session, "before_commit", _before_commit),
        (Session, "after_transaction_end", _forget),
    ]
    for when in ("after_insert", "after_update", "after_delete"):
        hooks.append((Decision, when, _decision_written))
        hooks.append((DecisionRegulator, when, _decision_part_written))
        hooks.append((DecisionOrganisation, when, _decision_part_written))
        hooks.append(
            (Organisation, when, _organisation_updated if when == "after_update" else _organisation_written)
        )
        hooks.append((OrganisationAlias, when, _alias_written))
        hooks.append((Regulator, when, _regulator_written))
    for target, name, fn in hooks:
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)


# -- Reading and dismissing ------------------------------------------------------------------


def pairs(session: Session, kind: str) -> list[duplicates.Pair]:
    """The stored pairs of one kind, oldest records first, with their names."""
    rows = session.execute(
        select(DuplicateSuspicion)
        .where(DuplicateSuspicion.kind == kind)
        .order_by(DuplicateSuspicion.first_id, DuplicateSuspicion.second_id)
    ).scalars()
    found = list(rows)
    ids = {i for s in found for i in (s.first_id, s.second_id)}
    if kind == "decision":
        names = dict(
            session.execute(select(Decision.id, Decision.reference).where(Decision.id.in_(ids))).all()
        )
    else:
        names = dict(
            session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all()
        )
    return [
        duplicates.Pair(
            "decision" if kind == "decision" else "organisation",
            s.first_id,
            s.second_id,
            names.get(s.first_id, "?"),
            names.get(s.second_id, "?"),
            s.match,  # type: ignore[arg-type]
            s.reason,
        )
        for s in found
        if s.first_id in names and s.second_id in names
    ]


def dismiss(session: Session, *, kind: str, ids: list[int]) -> tuple[DuplicateDismissal, bool]:
    """Remember that two records are not the same: the pair is never suggested again.
    Returns the dismissal and whether it is new (dismissing twice changes nothing)."""
    if len(set(ids)) != 2:
        raise Invalid(
            "Name two different records to dismiss as not the same.",
            [FieldError("ids", "must be two different ids", "pair")],
        )
    model = Decision if kind == "decision" else Organisation
    missing = sorted(i for i in ids if session.get(model, i) is None)
    if missing:
        raise NotFound(f"There is no {kind} with id {missing[0]}.")
    first, second = sorted(ids)
    existing = session.scalar(
        select(DuplicateDismissal).where(
            DuplicateDismissal.kind == kind,
            DuplicateDismissal.first_id == first,
            DuplicateDismissal.second_id == second,
        )
    )
    if existing is not None:
        return existing, False
    dismissal = DuplicateDismissal(
        kind=kind, first_id=first, second_id=second, dismissed_by=audit.public_name(session)
    )
    session.add(dismissal)
    session.execute(
        delete(SUSPICIONS).where(
            SUSPICIONS.c.kind == kind, SUSPICIONS.c.first_id == first, SUSPICIONS.c.second_id == second
        )
    )
    session.flush()
    audit.record(
        session,
        action="dismiss_duplicate",
        entity=kind,
        entity_id=first,
        before=None,
        after={"not_the_same_as": second},
    )
    return dismissal, True
