"""A decision's chain: every earlier decision it leads back to and every later one that leads
back to it, step after step (an appeal, the appeal of that appeal, a remittal...), with the
links between them. The decision page shows it whole, not one step."""

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Decision, DecisionRelation
from app.services import compliance
from app.vocab import Relation, Standing

# A chain longer than this is cut (no real chain comes near; the walk stays bounded).
MAX_STEPS = 200


@dataclass(frozen=True)
class Link:
    relation: Relation
    decision_id: int  # the earlier decision this step refers to
    reference: str


@dataclass(frozen=True)
class Step:
    decision_id: int
    reference: str
    title: str
    issued_on: dt.date
    standing: Standing
    links: list[Link] = field(default_factory=list)


def _walk(session: Session, start: int, *, later: bool, as_of: dt.date | None, budget: int) -> set[int]:
    """The ids reached from `start` by following links to earlier decisions (or, with `later`,
    the links of later decisions to it), level by level, leaving out decisions issued after
    `as_of`."""
    found: set[int] = set()
    frontier = {start}
    near = DecisionRelation.related_decision_id if later else DecisionRelation.decision_id
    far = DecisionRelation.decision_id if later else DecisionRelation.related_decision_id
    while frontier and len(found) < budget:
        stmt = select(far).join(Decision, Decision.id == far).where(near.in_(frontier))
        if as_of is not None:
            stmt = stmt.where(Decision.issued_on <= as_of)
        reached = set(session.scalars(stmt)) - found - {start}
        found |= reached
        frontier = reached
    return found


def chain(session: Session, *, decision_id: int, as_of: dt.date | None) -> list[Step]:
    """The decision's whole chain, oldest first (the decision itself among them); just the
    decision when nothing links it to another."""
    earlier = _walk(session, decision_id, later=False, as_of=as_of, budget=MAX_STEPS)
    later = _walk(session, decision_id, later=True, as_of=as_of, budget=MAX_STEPS)
    ids = {decision_id} | earlier | later
    rows = session.execute(
        select(Decision.id, Decision.reference, Decision.title, Decision.issued_on)
        .where(Decision.id.in_(ids))
        .order_by(Decision.issued_on, Decision.id)
        .limit(MAX_STEPS)
    ).all()
    kept = {row.id for row in rows}
    references = {row.id: row.reference for row in rows}
    links: dict[int, list[Link]] = {i: [] for i in kept}
    for source, target, relation in session.execute(
        select(DecisionRelation.decision_id, DecisionRelation.related_decision_id, DecisionRelation.relation)
        .where(DecisionRelation.decision_id.in_(kept), DecisionRelation.related_decision_id.in_(kept))
        .order_by(DecisionRelation.decision_id, DecisionRelation.position)
    ):
        links[source].append(Link(Relation(relation), target, references[target]))
    standing = compliance.standings(session, kept, as_of=as_of)
    return [
        Step(row.id, row.reference, row.title, row.issued_on, standing[row.id], links[row.id]) for row in rows
    ]
