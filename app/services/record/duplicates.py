"""The same act recorded twice, and the same party under two names.

Two decisions are **the same act** when they share a regulator (by name or short name), a
respondent (by name or alias) and the day issued, and either the same penalty (amount and
currency) or the same reference once case, blanks and punctuation are left out. With the
same regulator, respondent and day but a penalty in another currency (the ICO's GBP 7,552,800
and the tracker's EUR 9,000,000 for the same fine) they are **the same act reported in another
currency** (`currency`): an import keeps the other figure as a reported amount of the recorded
decision (never in a total) instead of a second decision. With a different penalty in the same
currency (Eni's EUR 8.5M and EUR 3M of one day) they are a **near match**: perhaps the same act,
perhaps not, for an editor to judge.

Names are compared by their *key* (app/services/record/name_keys.py: `Clearview AI Inc.` =
`Clearview AI, Inc.` = `Clearview AI`). Two organisations with the same key are suggested as
duplicates; so are two whose keys are near (rapidfuzz `token_sort_ratio` of at least
`NEAR_NAME` out of 100, both keys at least `NEAR_NAME_MIN_LENGTH` characters, so short names
such as "BBC" and "BBVA" are not paired, and not differing only in their numbers, as
"Unknown (fine #95)" and "Unknown (fine #96)").
These are suggestions only: nothing is merged without an editor.

The rule (`match`) works over candidates loaded beforehand (`load`), so an import checks
each row without a query.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm import Session

from app.errors import Conflict, FieldError
from app.models import (
    Decision,
    DecisionOrganisation,
    DecisionRegulator,
    Organisation,
    OrganisationAlias,
    Regulator,
)
from app.schemas.decision import DecisionCreate
from app.services.record.name_keys import name_key, reference_key
from app.vocab import OrganisationRole

# Near names: a token_sort_ratio at least this (0-100), between keys at least this long.
NEAR_NAME = 90
NEAR_NAME_MIN_LENGTH = 6

# -- Decisions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What identifies an act: its parties' name keys, its day, its penalty, its reference."""

    id: int | None
    reference: str
    issued_on: dt.date
    regulators: frozenset[str]
    respondents: frozenset[str]
    penalty: tuple[Decimal, str] | None

    @property
    def reference_key(self) -> str:
        return reference_key(self.reference)


MatchKind = Literal["exact", "currency", "near"]
# Surest first.
RANK: dict[str, int] = {"exact": 0, "currency": 1, "near": 2}


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    decision_id: int
    reason: str

    @property
    def exact(self) -> bool:
        return self.kind == "exact"

    @property
    def order(self) -> tuple[int, int]:
        return RANK[self.kind], self.decision_id


def _money(penalty: tuple[Decimal, str] | None) -> str:
    return "no penalty" if penalty is None else f"{penalty[1]} {penalty[0]:,.2f}"


def compare(new: Facts, old: Facts) -> Match | None:
    """`new` against one recorded decision: the same act, a near match, or neither."""
    if old.id is None or new.issued_on != old.issued_on:
        return None
    if not (new.regulators & old.regulators and new.respondents & old.respondents):
        return None
    same = f"same regulator, respondent and issue date ({new.issued_on})"
    if new.penalty is not None and new.penalty == old.penalty:
        return Match("exact", old.id, f"{same} and the same penalty ({_money(new.penalty)})")
    if new.reference_key and new.reference_key == old.reference_key:
        return Match("exact", old.id, f"{same} and the same reference ({old.reference})")
    if new.penalty is not None and old.penalty is not None and new.penalty[1] != old.penalty[1]:
        return Match(
            "currency",
            old.id,
            f"{same}, the penalty in another currency ({_money(new.penalty)} and {_money(old.penalty)}): "
            "one act, the other figure a reported amount",
        )
    if new.penalty is not None or old.penalty is not None:
        return Match(
            "near",
            old.id,
            f"{same} but a different penalty ({_money(new.penalty)} and {_money(old.penalty)})",
        )
    return None


def _keys_of(id: int, *names: str | None) -> set[str]:
    """A party's keys: its id, and the keys of its names (name, short name, aliases)."""
    return {f"#{id}", *(name_key(n) for n in names if n)} - {""}


def _penalty(amount: Decimal | str | None, currency: str | None) -> tuple[Decimal, str] | None:
    return (Decimal(amount), currency) if amount is not None and currency is not None else None


@dataclass
class Candidates:
    """Recorded decisions by day issued, and the name keys of every regulator and organisation."""

    by_day: dict[dt.date, list[Facts]] = field(default_factory=lambda: defaultdict(list))
    regulator_keys: dict[int, frozenset[str]] = field(default_factory=dict)
    organisation_keys: dict[int, frozenset[str]] = field(default_factory=dict)

    def add(self, facts: Facts) -> None:
        self.by_day[facts.issued_on].append(facts)

    def match(self, new: Facts) -> Match | None:
        """The best match of `new` among the candidates: an exact one before a near one."""
        found = [
            m for old in self.by_day.get(new.issued_on, []) if old.id != new.id and (m := compare(new, old))
        ]
        found.sort(key=lambda m: m.order)
        return found[0] if found else None

    def facts_of(self, data: DecisionCreate, *, id: int | None = None) -> Facts:
        """The facts of a decision about to be written (its parties by id, known here)."""
        regulators = {f"#{r.regulator_id}" for r in data.regulators}
        for r in data.regulators:
            regulators |= self.regulator_keys.get(r.regulator_id, frozenset())
        respondents: set[str] = set()
        for o in data.organisations:
            if o.role == OrganisationRole.respondent:
                respondents |= {f"#{o.organisation_id}", *self.organisation_keys.get(o.organisation_id, ())}
        penalty = _penalty(data.penalty_amount, data.penalty_currency)
        return Facts(
            id, data.reference, data.issued_on, frozenset(regulators), frozenset(respondents), penalty
        )


def _party_keys(
    session: Session,
    regulator_ids: ColumnElement[bool] | None = None,
    organisation_ids: ColumnElement[bool] | None = None,
) -> tuple[dict[int, frozenset[str]], dict[int, frozenset[str]]]:
    regulators: dict[int, set[str]] = defaultdict(set)
    stmt = select(Regulator.id, Regulator.name, Regulator.short_name)
    for id, name, short in session.execute(stmt if regulator_ids is None else stmt.where(regulator_ids)):
        regulators[id] |= _keys_of(id, name, short)
    organisations: dict[int, set[str]] = defaultdict(set)
    names = select(Organisation.id, Organisation.name)
    aliases = select(OrganisationAlias.organisation_id, OrganisationAlias.alias)
    if organisation_ids is not None:
        names = names.where(organisation_ids)
        aliases = aliases.join(Organisation, Organisation.id == OrganisationAlias.organisation_id).where(
            organisation_ids
        )
    for id, name in session.execute(names):
        organisations[id] |= _keys_of(id, name)
    for id, alias in session.execute(aliases):
        organisations[id] |= _keys_of(id, alias)
    return (
        {k: frozenset(v) for k, v in regulators.items()},
        {k: frozenset(v) for k, v in organisations.items()},
    )


# One day's (or a few days') decisions beside their regulators, and their respondents beside
# their aliases: built once, the days bound at each call.
_ON_DAYS = Decision.issued_on.in_(bindparam("days", expanding=True))
DECISIONS_ON_DAYS = (
    select(
        Decision.id,
        Decision.reference,
        Decision.issued_on,
        Decision.penalty_amount,
        Decision.penalty_currency,
        Regulator.id,
        Regulator.name,
        Regulator.short_name,
    )
    .outerjoin(DecisionRegulator, DecisionRegulator.decision_id == Decision.id)
    .outerjoin(Regulator, Regulator.id == DecisionRegulator.regulator_id)
    .where(_ON_DAYS)
)
RESPONDENTS_ON_DAYS = (
    select(DecisionOrganisation.decision_id, Organisation.id, Organisation.name, OrganisationAlias.alias)
    .join(Decision, Decision.id == DecisionOrganisation.decision_id)
    .join(Organisation, Organisation.id == DecisionOrganisation.organisation_id)
    .outerjoin(OrganisationAlias, OrganisationAlias.organisation_id == Organisation.id)
    .where(_ON_DAYS, DecisionOrganisation.role == OrganisationRole.respondent)
)


def _on_days(session: Session, days: list[dt.date], candidates: Candidates) -> None:
    """Add the decisions of these days with their parties' keys, in two statements."""
    rows = session.execute(DECISIONS_ON_DAYS, {"days": days})
    own: dict[int, tuple[str, dt.date, Decimal | None, str | None]] = {}
    regs: dict[int, set[str]] = defaultdict(set)
    for id, reference, issued_on, amount, currency, regulator_id, name, short in rows:
        own[id] = (reference, issued_on, amount, currency)
        if regulator_id is not None:
            if regulator_id not in candidates.regulator_keys:
                candidates.regulator_keys[regulator_id] = frozenset(_keys_of(regulator_id, name, short))
            regs[id] |= candidates.regulator_keys[regulator_id]
    parties = session.execute(RESPONDENTS_ON_DAYS, {"days": days})
    organisation_keys: dict[int, set[str]] = {}
    respondents: dict[int, set[int]] = defaultdict(set)
    for decision_id, organisation_id, name, alias in parties:
        respondents[decision_id].add(organisation_id)
        organisation_keys.setdefault(organisation_id, _keys_of(organisation_id, name)).update(
            _keys_of(organisation_id, alias)
        )
    for organisation_id, keys in organisation_keys.items():
        candidates.organisation_keys.setdefault(organisation_id, frozenset(keys))
    for id, (reference, issued_on, amount, currency) in own.items():
        resp = frozenset().union(*(candidates.organisation_keys[o] for o in respondents[id]))
        candidates.add(Facts(id, reference, issued_on, frozenset(regs[id]), resp, _penalty(amount, currency)))


def load(
    session: Session,
    *,
    days: Iterable[dt.date] | None = None,
    regulator_ids: Iterable[int] = (),
    organisation_ids: Iterable[int] = (),
) -> Candidates:
    """The recorded decisions (of the given days, or all) as candidates, in a few queries;
    with days, only the parties of those days' decisions (and the ids given) are read."""
    if days is not None:
        regulator_ids, organisation_ids = list(regulator_ids), list(organisation_ids)
        given = Candidates()
        if regulator_ids or organisation_ids:
            given.regulator_keys, given.organisation_keys = _party_keys(
                session, Regulator.id.in_(regulator_ids), Organisation.id.in_(organisation_ids)
            )
        _on_days(session, list(days), given)
        return given
    regulator_keys, organisation_keys = _party_keys(session)
    decisions = session.execute(
        select(
            Decision.id,
            Decision.reference,
            Decision.issued_on,
            Decision.penalty_amount,
            Decision.penalty_currency,
        )
    ).all()
    regs: dict[int, set[str]] = defaultdict(set)
    for decision_id, regulator_id in session.execute(
        select(DecisionRegulator.decision_id, DecisionRegulator.regulator_id)
    ):
        regs[decision_id] |= regulator_keys.get(regulator_id, frozenset())
    resp: dict[int, set[str]] = defaultdict(set)
    for decision_id, organisation_id in session.execute(
        select(DecisionOrganisation.decision_id, DecisionOrganisation.organisation_id).where(
            DecisionOrganisation.role == OrganisationRole.respondent
        )
    ):
        resp[decision_id] |= organisation_keys.get(organisation_id, frozenset())
    candidates = Candidates(regulator_keys=regulator_keys, organisation_keys=organisation_keys)
    for id, reference, issued_on, amount, currency in decisions:
        penalty = _penalty(amount, currency)
        candidates.add(Facts(id, reference, issued_on, frozenset(regs[id]), frozenset(resp[id]), penalty))
    return candidates


def refuse_exact(session: Session, data: DecisionCreate) -> Match | None:
    """Before a decision is created by hand (API, page): refuse the same act recorded again,
    in its currency or another (409, naming it); return a near match, for the caller to warn
    about."""
    candidates = load(
        session,
        days=[data.issued_on],
        regulator_ids=[r.regulator_id for r in data.regulators],
        organisation_ids=[o.organisation_id for o in data.organisations],
    )
    found = candidates.match(candidates.facts_of(data))
    if found is not None and found.kind != "near":
        hint = (
            f" Keep its figure on decision {found.decision_id} as one of its reported_amounts instead."
            if found.kind == "currency"
            else ""
        )
        raise Conflict(
            f"This act is already in the record as decision {found.decision_id}: {found.reason}.{hint}",
            [FieldError("reference", f"the same act as decision {found.decision_id}", "duplicate")],
        )
    return found


@dataclass(frozen=True)
class Pair:
    """Two records suspected to be one, the first the older (lower id)."""

    type: Literal["decision", "organisation"]
    first_id: int
    second_id: int
    first_name: str
    second_name: str
    kind: MatchKind
    reason: str


def decision_pairs(
    session: Session, candidates: Candidates | None = None, *, only: set[int] | None = None
) -> Iterator[Pair]:
    """Every pair of recorded decisions that match (`only`: the pairs with one of these)."""
    candidates = candidates or load(session)
    ids = None if only is None else {f.id for day in candidates.by_day.values() for f in day}
    stmt = select(Decision.id, Decision.reference)
    names = dict(session.execute(stmt if ids is None else stmt.where(Decision.id.in_(ids))).all())
    for facts in candidates.by_day.values():
        for i, old in enumerate(facts):
            for new in facts[i + 1 :]:
                if only is not None and old.id not in only and new.id not in only:
                    continue
                first, second = sorted((old, new), key=lambda f: f.id or 0)
                m = compare(second, first)
                if m is not None and first.id is not None and second.id is not None:
                    yield Pair(
                        "decision", first.id, second.id, names[first.id], names[second.id], m.kind, m.reason
                    )


ISSUED_ON = select(Decision.issued_on).where(Decision.id == bindparam("id"))


def decision_matches(session: Session, decision_id: int) -> list[Match]:
    """The recorded decisions that match this one (for the warning on its page)."""
    day = session.execute(ISSUED_ON, {"id": decision_id}).scalar()
    if day is None:
        return []
    candidates = Candidates()
    _on_days(session, [day], candidates)
    on_day = candidates.by_day[day]
    [me] = [f for f in on_day if f.id == decision_id]
    found = [m for old in on_day if old.id != decision_id and (m := compare(me, old))]
    return sorted(found, key=lambda m: m.order)


# -- Organisations -----------------------------------------------------------------------


def _digits_only(a: str, b: str) -> bool:
    """Names that differ only in their numbers ("Unknown (fine #95)", "Unknown (fine #96)";
    "Branch 1", "Branch 2") name different parties."""
    return re.sub(r"\d+", "#", a) == re.sub(r"\d+", "#", b)


def organisation_pairs(session: Session, *, only: set[int] | None = None) -> Iterator[Pair]:
    """Organisations whose names (or aliases) have the same key, then those with near keys
    (`only`: the pairs with one of these)."""
    names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    keys: dict[int, set[str]] = defaultdict(set)
    for id, name in names.items():
        keys[id].add(name_key(name))
    for id, alias in session.execute(select(OrganisationAlias.organisation_id, OrganisationAlias.alias)):
        keys[id].add(name_key(alias))
    by_key: dict[str, set[int]] = defaultdict(set)
    for id, ks in keys.items():
        for k in ks - {""}:
            by_key[k].add(id)
    same: set[tuple[int, int]] = set()
    for key, ids in sorted(by_key.items()):
        ordered = sorted(ids)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                if only is not None and a not in only and b not in only:
                    continue
                if (a, b) not in same:
                    same.add((a, b))
                    yield Pair(
                        "organisation",
                        a,
                        b,
                        names[a],
                        names[b],
                        "exact",
                        f"the same name once case, punctuation and legal form are left out ({key!r})",
                    )
    # Near names: each organisation's own name key against every other's.
    own = {id: name_key(name) for id, name in names.items()}
    choices = {id: k for id, k in own.items() if len(k) >= NEAR_NAME_MIN_LENGTH}
    # token_sort_ratio is the ratio of the words sorted: sorted once here, not per pair.
    sorted_words = {id: " ".join(sorted(k.split())) for id, k in choices.items()}
    for x in sorted(choices if only is None else only & choices.keys()):
        for _, score, y in process.extract(
            sorted_words[x], sorted_words, scorer=fuzz.ratio, score_cutoff=NEAR_NAME, limit=None
        ):
            # Each pair once, the older first (the ratio is the same both ways).
            a, b = min(x, y), max(x, y)
            if a == b or (only is None and y < x) or (a, b) in same or _digits_only(choices[a], choices[b]):
                continue
            same.add((a, b))
            yield Pair(
                "organisation",
                a,
                b,
                names[a],
                names[b],
                "near",
                f"near names ({round(score)} of 100 alike: {choices[a]!r} and {choices[b]!r})",
            )
