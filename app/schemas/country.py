"""The countries' comparison (`GET /api/v1/countries`)."""

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from app.schemas.common import CONTESTED, IN_FORCE, PAID, CountedOutput
from app.vocab import Compliance, CountryBy, DecisionKind, JurisdictionKind, Status


class CountryRead(CountedOutput):
    jurisdiction: str = Field(
        description="ISO 3166-1 alpha-2 code of a country, or an international body's code (`UN`)."
    )
    name: str = Field(description="The jurisdiction's name in words.")
    kind: JurisdictionKind = Field(
        description="`country`, or `international` (the UN, the EU's institutions)."
    )
    decision_count: int = Field(description="Decisions counted under it.")
    penalties: dict[str, Decimal] = Field(description="Imposed, summed by ISO 4217 currency.")
    penalties_in_force: dict[str, Decimal] = Field(description=IN_FORCE)
    penalties_contested: dict[str, Decimal] = Field(description=CONTESTED)
    penalties_paid: dict[str, Decimal] = Field(description=PAID)
    recommendation_counts: dict[Status, int] = Field(
        description="Recommendations counted under it, by status."
    )
    compliance: Compliance = Field(description="Derived from the recommendation counts, as for a decision.")
    overdue: int = Field(
        description="Of its recommendations, those past their due day and neither complied nor withdrawn."
    )


class CountryList(BaseModel):
    """Every jurisdiction with a decision among those chosen: countries first, then
    international bodies, each in the order asked for. A decision counts under each of its
    jurisdictions, so the rows do not add up to the record's totals."""

    by: CountryBy
    as_of: dt.date | None
    year: int | None
    kind: DecisionKind | None
    uncounted_decisions: int = Field(
        description="Decisions chosen but counted under no jurisdiction (with `by=organisation`: "
        "no party with a country recorded)."
    )
    items: list[CountryRead]
