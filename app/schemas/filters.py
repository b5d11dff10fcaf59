"""The filters of each list, one model per list, declared once.

The same model is the API's query (`Annotated[DecisionFilter, Query()]`: one parameter per
field, names and checks as documented), the pages' filter forms, the CSV exports, the feeds
and a saved query (a subscription's target); the services take it whole.
"""

import datetime as dt
from typing import Annotated, Any, Self

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.common import MAX_ID, Country, Currency, IsoDate
from app.vocab import (
    Compliance,
    CountryBy,
    DecisionKind,
    OrganisationKind,
    RecommendationKind,
    RegulatorKind,
    Status,
)

FilterId = Annotated[int, Field(ge=1, le=MAX_ID, description="An integer id.")]

# Codes in use that are not ISO 3166-1 (the EU's and the UK's own), and what they mean.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
JURISDICTION_PATTERN = r"^([A-Za-z]{2}(-[A-Za-z0-9]{1,3})?|[A-Za-z][A-Za-z .,'()-]{2,59})$"


def country_code(value: str) -> str:
    """A jurisdiction as its code: `ca-bc` is `CA-BC`, `UK` and `United Kingdom` are `GB`. A name
    not known here is kept as typed and matches nothing, as an unknown code does (the pages
    say so beside the list; see `known_country`)."""
    text = " ".join(value.split())
    head, dash, rest = text.partition("-")
    if len(head) == 2 and head.isalpha() and (not dash or (rest.isalnum() and len(rest) <= 3)):
        code = COUNTRY_ALIASES.get(head.upper(), head.upper())
        return code + (dash + rest.upper() if dash else "")
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return text


def known_country(jurisdiction: str) -> bool:
    """Whether a jurisdiction (as `country_code` gives it) names a country known here."""
    return pycountry.countries.get(alpha_2=jurisdiction[:2].upper()) is not None and (
        len(jurisdiction) == 2 or jurisdiction[2] == "-"
    )


def country_name(code: str) -> str:
    """The English name of a country code ("GB" -> "United Kingdom"), or the code itself."""
    country = pycountry.countries.get(alpha_2=code.upper()[:2])
    return str(getattr(country, "common_name", None) or country.name) if country is not None else code


Jurisdiction = Annotated[
    str,
    StringConstraints(pattern=JURISDICTION_PATTERN),
    AfterValidator(country_code),
    Field(
        description="A country or subdivision, by code or country name: `CA` matches regulators of `CA` "
        "and of its subdivisions such as `CA-BC`; `UK` and `United Kingdom` mean `GB`.",
    ),
]
Text = Annotated[
    str,
    Field(
        max_length=500,
        description='Words to look for, by the full-text index: all of them; `"a phrase"`, `prefix*`, '
        "`a OR b`, `-left_out`; case and accents ignored (see `/api/v1/search`).",
    ),
]
AsOfDay = Annotated[IsoDate, Field(description="Read the record as it stood on this day.")]
ReferenceText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="Only the recommendations with exactly this reference (such as `063/05`).",
    ),
]
TagText = Annotated[str, Field(max_length=100, description="A tag; case is ignored.")]


class ListFilter(BaseModel):
    """What every list filter shares; unknown parameters are ignored (as FastAPI does)."""

    model_config = ConfigDict(extra="ignore")

    as_of: AsOfDay | None = None
    q: Text | None = None

    def values(self) -> dict[str, Any]:
        """The filters that are set, as query parameters (to link to the same list elsewhere)."""
        return {
            k: (v.value if hasattr(v, "value") else v) for k, v in self.model_dump(exclude_none=True).items()
        }

    def without(self, *names: str) -> Self:
        """The same filters with some cleared (a facet counts its options without its own filter)."""
        return self.model_copy(update=dict.fromkeys(names))


class DecisionFilter(ListFilter):
    regulator_id: FilterId | None = None
    organisation_id: FilterId | None = None
    case_id: FilterId | None = None
    jurisdiction: Jurisdiction | None = None
    kind: DecisionKind | None = None
    tag: TagText | None = None
    issued_from: IsoDate | None = None
    issued_to: IsoDate | None = None
    compliance: Compliance | None = None


class RecommendationFilter(ListFilter):
    status: Status | None = None
    overdue: bool | None = None
    organisation_id: FilterId | None = None
    regulator_id: FilterId | None = None
    decision_id: FilterId | None = None
    reference: ReferenceText | None = None
    kind: RecommendationKind | None = Field(
        default=None, description="Only this kind (`payment`: the obligations to pay penalties)."
    )
    recommended_by: FilterId | None = Field(
        default=None,
        description="Only the recommendations this organisation made (UPR's recommending States).",
    )


class OrganisationFilter(ListFilter):
    kind: OrganisationKind | None = None
    country: Country | None = None
    parent_id: FilterId | None = None
    penalty_currency: Currency | None = Field(
        default=None,
        description="Only organisations fined in this currency (as respondent); the currency "
        "`sort=penalties` orders by (penalties in different currencies are never added).",
    )


class RegulatorFilter(ListFilter):
    jurisdiction: Jurisdiction | None = None
    kind: RegulatorKind | None = None


class CaseFilter(ListFilter):
    tag: TagText | None = None


class CountryFilter(BaseModel):
    """The countries' comparison: whose country counts a decision, and which decisions."""

    model_config = ConfigDict(extra="ignore")

    by: CountryBy = Field(
        default=CountryBy.regulator,
        description="`regulator`: each decision under the country of the regulators that took it; "
        "`organisation`: under the countries of the parties it involves (penalties under their "
        "respondents', recommendations under their addressees').",
    )
    year: (
        Annotated[int, Field(ge=1000, le=9999, description="Only the decisions issued in this year.")] | None
    ) = None
    kind: DecisionKind | None = Field(default=None, description="Only the decisions of this kind.")
    as_of: AsOfDay | None = None

    def values(self) -> dict[str, Any]:
        """The filters that are set, as query parameters."""
        return {
            k: (v.value if hasattr(v, "value") else v) for k, v in self.model_dump(exclude_none=True).items()
        }


class SavedDecisionQuery(DecisionFilter):
    """A saved decision-list query (a subscription's target): the decision filters but the
    day, unknown names refused."""

    model_config = ConfigDict(extra="forbid")

    tag: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    q: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None

    def filters(self) -> DecisionFilter:
        return DecisionFilter.model_validate(self.model_dump(exclude_none=True))


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)
