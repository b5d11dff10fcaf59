import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Self, TypeVar

from pydantic import Field, ValidationInfo, computed_field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.schemas.common import (
    CountedOutput,
    Currency,
    Date,
    DbId,
    InputModel,
    LongText,
    Money,
    Name,
    OutputModel,
    Provenance,
    Provision,
    Tag,
    Title,
    Url,
    unchanged,
    unique,
)
from app.schemas.languages import (
    LANGUAGE,
    DecisionTranslations,
    DecisionTranslationsIn,
    Language,
    own_language_translated,
)
from app.schemas.precision import PartialDate, precise
from app.services.compliance import penalty_standing as standing_of_penalty
from app.vocab import (
    Compliance,
    DatePrecision,
    DecisionKind,
    FindingOutcome,
    OrganisationRole,
    PenaltyStanding,
    RegulatorRole,
    Relation,
    Standing,
    Status,
)


class DecisionRegulatorIn(InputModel):
    regulator_id: DbId
    role: RegulatorRole = RegulatorRole.lead


class DecisionOrganisationIn(InputModel):
    organisation_id: DbId
    role: OrganisationRole = OrganisationRole.respondent


class FindingIn(InputModel):
    text: LongText
    provision: Provision | None = None
    organisation_id: DbId | None = None
    outcome: FindingOutcome = FindingOutcome.contravention


class SourceIn(InputModel):
    url: Url
    title: Title | None = None
    publisher: Name | None = None
    published_on: Date | None = None
    document_id: DbId | None = Field(
        default=None, description="Its archived copy, a document kept by `POST /api/v1/documents`."
    )


class ReportedAmountIn(InputModel):
    """The decision's penalty as another source reports it, in another currency: shown beside
    the penalty, never added to a total."""

    amount: Money
    currency: Currency
    source: Title = Field(description="Who reports it, e.g. `GDPR Enforcement Tracker`.")


class RelatedIn(InputModel):
    decision_id: DbId = Field(description="The earlier decision this one links to.")
    relation: Relation


ItemT = TypeVar("ItemT")


def _unique_by(key: str) -> Callable[[list[ItemT]], list[ItemT]]:
    def check(items: list[ItemT]) -> list[ItemT]:
        seen: set[Any] = set()
        for item in items:
            value = getattr(item, key)
            if value in seen:
                raise PydanticCustomError(
                    "duplicate", "{key} {value} is listed twice", {"key": key, "value": value}
                )
            seen.add(value)
        return items

    return check


def own_currency_reported(penalty_currency: object, reported: list[Any] | None) -> list[int]:
    """The places of reported amounts in the decision's own penalty currency (a second
    figure in its own currency is not the same act reported elsewhere, and is refused)."""
    if penalty_currency is None or not reported:
        return []
    return [i for i, r in enumerate(reported) if r.currency == penalty_currency]


def own_currency_message(penalty_currency: object, places: list[int]) -> str:
    return (
        f"reported amount {', '.join(str(i) for i in places)} is in {penalty_currency}, the "
        "decision's own penalty currency: a reported amount is the same penalty as another "
        "source gives it in another currency"
    )


PENALTY_PAIR = "penalty_amount and penalty_currency go together: give both or neither"


def unpaired_penalty_field(amount: object, currency: object) -> str | None:
    """The penalty rule, written once (with the `penalty_pair` CHECK of the decisions table):
    an amount and its currency go together. The field missing its pair, or None."""
    if (amount is None) == (currency is None):
        return None
    return "penalty_currency" if currency is None else "penalty_amount"


ISSUED_ON_PRECISION = (
    "How much of `issued_on` its source gives: `day`, `month` or `year` (kept as the first day "
    'of that month or year). Sent with a partial date (`"issued_on": "2013"`) or left out: the '
    "form of `issued_on` then gives it."
)


class _DecisionFields(InputModel):
    @model_validator(mode="before")
    @classmethod
    def _precise_dates(cls, data: Any) -> Any:
        return precise(data, (("issued_on", "issued_on_precision"),), cls.__name__)

    @model_validator(mode="after")
    def _penalty_pair(self) -> Self:
        fields = self.model_fields_set
        if "penalty_amount" in fields or "penalty_currency" in fields:
            amount = getattr(self, "penalty_amount", None)
            if unpaired_penalty_field(amount, getattr(self, "penalty_currency", None)):
                raise PydanticCustomError("pair", PENALTY_PAIR)
        return self

    _unique_regulators = field_validator("regulators", check_fields=False)(_unique_by("regulator_id"))
    _unique_organisations = field_validator("organisations", check_fields=False)(
        _unique_by("organisation_id")
    )
    _unique_related = field_validator("related", check_fields=False)(_unique_by("decision_id"))
    _unique_tags = field_validator("tags", "provisions", check_fields=False)(unique)

    @field_validator("translations", check_fields=False)
    @classmethod
    def _not_own_language(cls, value: dict[str, Any] | None, info: ValidationInfo) -> dict[str, Any] | None:
        # `language` comes first, so it is known here when sent (the service checks an update
        # against the decision as it stands).
        if own := own_language_translated(info.data.get("language"), value):
            raise PydanticCustomError(
                "own_language", f"holds a translation into {own}, the decision's own language"
            )
        return value

    @field_validator("reported_amounts", check_fields=False)
    @classmethod
    def _reported_other_currency(cls, value: list[Any] | None, info: ValidationInfo) -> list[Any] | None:
        # The penalty's fields come first, so they are known here (on an update, when sent;
        # the service checks an update against the decision as it stands).
        currency = info.data.get("penalty_currency")
        if places := own_currency_reported(currency, value):
            raise PydanticCustomError("currency", own_currency_message(currency, places))
        return value


class DecisionScalars(_DecisionFields):
    """A decision's own plain fields, declared once: the create and update bodies, the record
    export's items (app/schemas/record.py), the CSV import's mapping fields, the CSV export's
    columns and the edit form's fields all take them from here (a new plain field is added
    here, and in `DecisionRead`)."""

    reference: Name = Field(description="The regulator's own reference, e.g. `PIPEDA Findings #2021-001`.")
    title: Title
    kind: DecisionKind
    issued_on: PartialDate = Field(
        description='When it was issued: `"2021-02-03"`, or as much as its source gives '
        '(`"2021-02"`, `"2021"`).'
    )
    issued_on_precision: DatePrecision = Field(default=DatePrecision.day, description=ISSUED_ON_PRECISION)
    summary: LongText | None = None
    language: Language = Field(default="en", description=LANGUAGE)
    case_id: DbId | None = None
    penalty_amount: Money | None = None
    penalty_currency: Currency | None = None


class DecisionCreate(DecisionScalars):
    regulators: list[DecisionRegulatorIn] = Field(min_length=1, max_length=50)
    organisations: list[DecisionOrganisationIn] = Field(default_factory=list, max_length=200)
    provisions: list[Provision] = Field(default_factory=list, max_length=200)
    sources: list[SourceIn] = Field(default_factory=list, max_length=100)
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    findings: list[FindingIn] = Field(default_factory=list, max_length=500)
    related: list[RelatedIn] = Field(default_factory=list, max_length=100)
    reported_amounts: list[ReportedAmountIn] = Field(
        default_factory=list,
        max_length=20,
        description="Its penalty as other sources report it in other currencies (never in a total).",
    )
    translations: DecisionTranslationsIn = Field(default_factory=dict)


class DecisionUpdate(DecisionScalars):
    reference: Name = unchanged()
    title: Title = unchanged()
    kind: DecisionKind = unchanged()
    issued_on: PartialDate = unchanged()
    issued_on_precision: DatePrecision = unchanged(description=ISSUED_ON_PRECISION)
    language: Language = unchanged(description=LANGUAGE)
    regulators: list[DecisionRegulatorIn] = unchanged(min_length=1, max_length=50)
    organisations: list[DecisionOrganisationIn] = unchanged(max_length=200)
    provisions: list[Provision] = unchanged(max_length=200)
    sources: list[SourceIn] = unchanged(max_length=100)
    tags: list[Tag] = unchanged(max_length=100)
    findings: list[FindingIn] = unchanged(max_length=500)
    related: list[RelatedIn] = unchanged(max_length=100)
    reported_amounts: list[ReportedAmountIn] = unchanged(max_length=20)
    translations: DecisionTranslationsIn = unchanged()


class DecisionRegulatorOut(OutputModel):
    regulator_id: int
    role: RegulatorRole
    name: str
    jurisdiction: str


class DecisionOrganisationOut(OutputModel):
    organisation_id: int
    role: OrganisationRole
    name: str


class FindingOut(OutputModel):
    id: int
    text: str
    provision: str | None
    organisation_id: int | None
    outcome: FindingOutcome


class SourceOut(OutputModel):
    url: str
    title: str | None
    publisher: str | None
    published_on: dt.date | None
    document_id: int | None = Field(default=None, description="Its archived copy (`/api/v1/documents/{id}`).")


class ReportedAmountOut(OutputModel):
    amount: Decimal
    currency: str
    source: str


class RelatedOut(OutputModel):
    decision_id: int
    relation: Relation
    reference: str
    title: str
    issued_on: dt.date


class DecisionRead(OutputModel, CountedOutput):
    id: int
    reference: str
    title: str
    kind: DecisionKind
    issued_on: dt.date = Field(description="Its first day, where its source gives only a month or a year.")
    issued_on_precision: DatePrecision = Field(description="How much of `issued_on` its source gives.")
    summary: str | None
    language: str = Field(default="en", description=LANGUAGE)
    translations: DecisionTranslations = Field(default_factory=dict)
    regulators: list[DecisionRegulatorOut]
    organisations: list[DecisionOrganisationOut]
    case_id: int | None
    penalty_amount: Decimal | None
    penalty_currency: str | None
    provisions: list[str]
    sources: list[SourceOut]
    tags: list[str]
    findings: list[FindingOut]
    related: list[RelatedOut] = Field(description="This decision's links to earlier decisions.")
    related_by: list[RelatedOut] = Field(description="Later decisions that link to this one.")
    compliance: Compliance
    standing: Standing
    recommendation_counts: dict[Status, int]
    reported_amounts: list[ReportedAmountOut] = Field(
        default_factory=list,
        description="Its penalty as other sources report it in other currencies: the same act, "
        "never added to any total.",
    )
    provenance: Provenance | None = Field(
        default=None,
        description="An imported decision's data set, file, row (its first) and mapping.",
    )
    payment_id: int | None = Field(
        default=None,
        description="Its penalty's payment obligation (a recommendation of kind `payment`, addressed "
        "to its first respondent), whose assessments say whether the penalty was paid; null "
        "without a penalty or a respondent.",
    )
    penalty_paid: Decimal | None = Field(
        default=None,
        description="What its payment obligation says was paid, in the penalty's currency: the "
        "whole penalty when paid, the amount paid when partly paid, 0 when unpaid or contested; "
        'null when no payment is recorded ("no payment recorded", never "unpaid").',
    )

    version: int = Field(description="Changes with every edit; sent back as the ETag.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @computed_field(  # type: ignore[prop-decorator]  # pydantic's documented computed_field over a property
        description="How its penalty stands, from its standing: `overturned` (no longer in force), "
        "`contested` (in force, under appeal or remitted) or `in_force`; null without a penalty."
    )
    @property
    def penalty_standing(self) -> PenaltyStanding | None:
        return None if self.penalty_amount is None else standing_of_penalty(self.standing)
