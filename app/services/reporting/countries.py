"""Countries side by side: for each jurisdiction, its decisions, their penalties by currency
(imposed, in force, contested), the compliance of their recommendations and how many are
overdue, so that a reader can compare countries.

A decision is counted under a country in one of two ways (`CountryBy`):

- `regulator`: the country of the regulators that took it (a regulator of `CA-QC` counts for
  `CA`; a decision taken jointly by two regulators of one country counts once for it, and once
  for each country when they are of several);
- `organisation`: the countries of the parties it involves (any role), its penalty under its
  respondents' countries, its recommendations under their addressees' countries. Parties with no
  country recorded are counted nowhere; the answer says how many decisions that leaves out.

International bodies (the UN, the EU's institutions, and any jurisdiction that is not an ISO
3166 country) are listed as `international`, never as countries. The figures follow `as_of`
like every derived figure, and a jurisdiction shows only when it has a decision.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, extract, func, select
from sqlalchemy.orm import Session

from app.models import (
    Decision,
    DecisionOrganisation,
    DecisionRegulator,
    Organisation,
    Recommendation,
    Regulator,
)
from app.schemas.country import CountryList, CountryRead
from app.schemas.filters import CountryFilter, country_name, known_country
from app.services.compliance import (
    IN_COMPLIANCE,
    AsOf,
    complied_share,
    derive_compliance,
    overdue_clause,
    status_expr,
)
from app.services.record.party_records import PenaltyTotals, penalty_rows
from app.services.shared.kept import cached
from app.vocab import (
    Compliance,
    CountryBy,
    CountrySort,
    JurisdictionKind,
    OrganisationRole,
    PenaltyStanding,
    Status,
)

# Jurisdiction codes that name an international body, not a country.
INTERNATIONAL = {
    "UN": "United Nations",
    "EU": "European Union",
    "CE": "Council of Europe",
    "OECD": "OECD",
}
# Codes in use for countries that ISO 3166 does not list (yet).
OTHER_COUNTRIES = {"XK": "Kosovo"}


def describe(code: str) -> tuple[str, JurisdictionKind]:
    """A jurisdiction's name in words and its kind ("GB" -> "United Kingdom", a country; "UN" ->
    "United Nations", international)."""
    if code in INTERNATIONAL:
        return INTERNATIONAL[code], JurisdictionKind.international
    if code in OTHER_COUNTRIES:
        return OTHER_COUNTRIES[code], JurisdictionKind.country
    if known_country(code):
        return country_name(code), JurisdictionKind.country
    return code, JurisdictionKind.international


def country_of(jurisdiction: Any) -> ColumnElement[str]:
    """A regulator's jurisdiction as the country it belongs to, in SQL: `CA` and `CA-QC` are
    `CA`; any other code (`UN`, `OECD`) stays whole."""
    code = func.upper(jurisdiction)
    return case(
        (func.length(code) == 2, code),
        (func.substr(code, 3, 1) == "-", func.substr(code, 1, 2)),
        else_=code,
    )


@dataclass
class CountryFigures:
    jurisdiction: str
    name: str
    kind: JurisdictionKind
    decision_count: int = 0
    money: PenaltyTotals = field(default_factory=PenaltyTotals)
    recommendation_counts: dict[Status, int] = field(default_factory=dict)
    overdue: int = 0

    @property
    def compliance(self) -> Compliance:
        return derive_compliance(self.recommendation_counts)

    @property
    def complied_share(self) -> float | None:
        return complied_share(self.recommendation_counts)

    @property
    def recommendations(self) -> int:
        return sum(self.recommendation_counts.values())

    def fields(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "name": self.name,
            "kind": self.kind,
            "decision_count": self.decision_count,
            **self.money.fields(),
            "recommendation_counts": {
                s: self.recommendation_counts[s] for s in Status if s in self.recommendation_counts
            },
            "compliance": self.compliance,
            "overdue": self.overdue,
        }


@dataclass
class Comparison:
    filters: CountryFilter
    items: list[CountryFigures]
    uncounted_decisions: int  # decisions counted under no jurisdiction (no country known)


def _chosen(filters: CountryFilter) -> list[ColumnElement[bool]]:
    """The decisions the comparison counts: issued by `as_of`, of the year and kind asked for."""
    where = AsOf(filters.as_of).decisions()
    if filters.year is not None:
        where.append(extract("year", Decision.issued_on) == filters.year)
    if filters.kind is not None:
        where.append(Decision.kind == filters.kind)
    return where


def compare(
    session: Session, filters: CountryFilter, *, sort: CountrySort = CountrySort.decisions_desc
) -> Comparison:
    """Every jurisdiction with a decision among those `filters` choose, with its figures."""
    as_of = filters.as_of
    where = _chosen(filters)
    status = status_expr(as_of)
    if filters.by == CountryBy.regulator:
        # (country, decision) once each, however many of the country's regulators took part.
        code = country_of(Regulator.jurisdiction)
        pairs = (
            select(code.label("code"), DecisionRegulator.decision_id.label("decision_id"))
            .join(Regulator, Regulator.id == DecisionRegulator.regulator_id)
            .distinct()
            .subquery()
        )
        of_decision = select(pairs.c.code).join(Decision, Decision.id == pairs.c.decision_id).where(*where)
        penalised = of_decision
        recommended = of_decision.join(Recommendation, Recommendation.decision_id == Decision.id).where(
            IN_COMPLIANCE
        )
    else:
        country = Organisation.country
        pairs = (
            select(country.label("code"), DecisionOrganisation.decision_id.label("decision_id"))
            .join(Organisation, Organisation.id == DecisionOrganisation.organisation_id)
            .where(country.is_not(None))
            .distinct()
            .subquery()
        )
        of_decision = select(pairs.c.code).join(Decision, Decision.id == pairs.c.decision_id).where(*where)
        respondents = (
            select(country.label("code"), DecisionOrganisation.decision_id.label("decision_id"))
            .join(Organisation, Organisation.id == DecisionOrganisation.organisation_id)
            .where(country.is_not(None), DecisionOrganisation.role == OrganisationRole.respondent)
            .distinct()
            .subquery()
        )
        penalised = (
            select(respondents.c.code).join(Decision, Decision.id == respondents.c.decision_id).where(*where)
        )
        recommended = (
            select(country)
            .select_from(Recommendation)
            .join(Organisation, Organisation.id == Recommendation.organisation_id)
            .join(Decision, Decision.id == Recommendation.decision_id)
            .where(country.is_not(None), IN_COMPLIANCE, *where)
        )

    found: dict[str, CountryFigures] = {}

    def figures(code: str) -> CountryFigures:
        if code not in found:
            found[code] = CountryFigures(code, *describe(code))
        return found[code]

    for code, n in session.execute(of_decision.add_columns(func.count()).group_by(pairs.c.code)):
        figures(str(code)).decision_count = int(n)
    for code, currency, standing, total, paid in session.execute(penalty_rows(penalised, as_of=as_of)):
        figures(str(code)).money.add(str(currency), PenaltyStanding(standing), total, paid)
    owner = recommended.selected_columns[0]
    for code, value, n in session.execute(
        recommended.add_columns(status, func.count()).group_by(owner, status)
    ):
        figures(str(code)).recommendation_counts[Status(value)] = int(n)
    overdue = recommended.add_columns(func.count()).where(overdue_clause(as_of)).group_by(owner)
    for code, n in session.execute(overdue):
        figures(str(code)).overdue = int(n)

    # A party's country alone may list a jurisdiction with recommendations but no decision
    # (an addressee who is not a party): it is shown, with its decisions at 0.
    counted = select(pairs.c.decision_id)
    uncounted = session.scalar(
        select(func.count()).select_from(Decision).where(*where, Decision.id.not_in(counted))
    )
    return Comparison(filters, ordered(found.values(), sort), int(uncounted or 0))


def ordered(items: Iterable[CountryFigures], sort: CountrySort) -> list[CountryFigures]:
    """Countries first, then international bodies, each in the order asked for (then by name)."""
    by_name = sorted(items, key=lambda c: c.name.casefold())
    keys: dict[CountrySort, Any] = {
        CountrySort.decisions_desc: lambda c: -c.decision_count,
        CountrySort.name_asc: lambda c: 0,
        CountrySort.recommendations_desc: lambda c: -c.recommendations,
        # Those with no recommendation (no share) last, whichever way.
        CountrySort.complied_share_desc: lambda c: (c.complied_share is None, -(c.complied_share or 0)),
        CountrySort.complied_share_asc: lambda c: (c.complied_share is None, c.complied_share or 0),
        CountrySort.overdue_desc: lambda c: -c.overdue,
    }
    key = keys[sort]
    return sorted(by_name, key=lambda c: (c.kind == JurisdictionKind.international, key(c)))


def currencies_of(items: Iterable[CountryRead]) -> list[str]:
    """Every currency any jurisdiction names (a table's columns), the most imposed first. (The
    sum only orders them: a decision of two countries counts under each, so the jurisdictions'
    figures do not add up to a total.)"""
    imposed: dict[str, Decimal] = {}
    for item in items:
        for currency, amount in item.penalties.items():
            imposed[currency] = imposed.get(currency, Decimal(0)) + amount
    return sorted(imposed, key=lambda c: (-imposed[c], c))


def listing(
    session: Session, filters: CountryFilter, *, sort: CountrySort = CountrySort.decisions_desc
) -> CountryList:
    """The comparison as the API reads it; kept between changes (`kept.cached`)."""

    def compute() -> CountryList:
        found = compare(session, filters, sort=sort)
        return CountryList(
            by=filters.by,
            as_of=filters.as_of,
            year=filters.year,
            kind=filters.kind,
            uncounted_decisions=found.uncounted_decisions,
            items=[CountryRead.model_validate(item.fields()) for item in found.items],
        )

    name = f"countries:{filters.by}:{filters.year}:{filters.kind}:{sort}"
    return cached(session, name, filters.as_of, compute)
