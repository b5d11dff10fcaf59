"""Suspected duplicates grouped into clusters: every record linked to another by a stored pair
is in one cluster with it (BBVA's five spellings: one cluster, not ten pairs), each record
with what a person compares side by side (a decision's title, date, penalty and parties; an
organisation's names, country and decisions)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Decision,
    DecisionOrganisation,
    DecisionRegulator,
    DecisionReportedAmount,
    Organisation,
    OrganisationAlias,
    Regulator,
)
from app.services.dedupe import suspicions
from app.services.record import duplicates


@dataclass
class Record:
    id: int
    name: str
    version: int
    title: str | None = None
    issued_on: dt.date | None = None
    penalty: tuple[Decimal, str] | None = None
    reported: list[tuple[Decimal, str]] = field(default_factory=list)
    regulators: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    country: str | None = None
    decision_count: int = 0


@dataclass
class Cluster:
    type: str
    records: list[Record]
    pairs: list[duplicates.Pair]


def _groups(found: list[duplicates.Pair]) -> list[tuple[list[int], list[duplicates.Pair]]]:
    """Connected records (union-find), each group's ids ascending, groups by their first id."""
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for p in found:
        a, b = root(p.first_id), root(p.second_id)
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = defaultdict(list)
    for i in sorted(parent):
        members[root(i)].append(i)
    links: dict[int, list[duplicates.Pair]] = defaultdict(list)
    for p in found:
        links[root(p.first_id)].append(p)
    return [(members[r], links[r]) for r in sorted(members)]


def _decisions(session: Session, ids: list[int]) -> dict[int, Record]:
    out = {
        d.id: Record(
            d.id,
            d.reference,
            d.version,
            title=d.title,
            issued_on=d.issued_on,
            penalty=(d.penalty_amount, d.penalty_currency)
            if d.penalty_amount is not None and d.penalty_currency is not None
            else None,
        )
        for d in session.scalars(select(Decision).where(Decision.id.in_(ids)))
    }
    for decision_id, name in session.execute(
        select(DecisionRegulator.decision_id, Regulator.name)
        .join(Regulator, Regulator.id == DecisionRegulator.regulator_id)
        .where(DecisionRegulator.decision_id.in_(ids))
        .order_by(DecisionRegulator.decision_id, DecisionRegulator.position)
    ):
        out[decision_id].regulators.append(name)
    for decision_id, name in session.execute(
        select(DecisionOrganisation.decision_id, Organisation.name)
        .join(Organisation, Organisation.id == DecisionOrganisation.organisation_id)
        .where(DecisionOrganisation.decision_id.in_(ids))
        .order_by(DecisionOrganisation.decision_id, DecisionOrganisation.position)
    ):
        out[decision_id].parties.append(name)
    for decision_id, amount, currency in session.execute(
        select(
            DecisionReportedAmount.decision_id, DecisionReportedAmount.amount, DecisionReportedAmount.currency
        )
        .where(DecisionReportedAmount.decision_id.in_(ids))
        .order_by(DecisionReportedAmount.decision_id, DecisionReportedAmount.position)
    ):
        out[decision_id].reported.append((amount, currency))
    return out


def _organisations(session: Session, ids: list[int]) -> dict[int, Record]:
    out = {
        o.id: Record(o.id, o.name, o.version, country=o.country)
        for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    }
    for organisation_id, alias in session.execute(
        select(OrganisationAlias.organisation_id, OrganisationAlias.alias)
        .where(OrganisationAlias.organisation_id.in_(ids))
        .order_by(OrganisationAlias.organisation_id, OrganisationAlias.position)
    ):
        out[organisation_id].aliases.append(alias)
    for organisation_id, count in session.execute(
        select(DecisionOrganisation.organisation_id, func.count())
        .where(DecisionOrganisation.organisation_id.in_(ids))
        .group_by(DecisionOrganisation.organisation_id)
    ):
        out[organisation_id].decision_count = count
    return out


def clusters(session: Session, kind: str) -> list[Cluster]:
    """The clusters of one kind of record, from the stored pairs."""
    found = suspicions.pairs(session, kind)
    groups = _groups(found)
    ids = sorted({i for members, _ in groups for i in members})
    records = _decisions(session, ids) if kind == "decision" else _organisations(session, ids)
    return [
        Cluster(kind, [records[i] for i in members if i in records], links)
        for members, links in groups
        if sum(i in records for i in members) > 1
    ]
