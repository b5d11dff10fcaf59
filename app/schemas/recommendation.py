import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AliasChoices, Field, field_validator, model_validator

from app.schemas.common import (
    Date,
    DbId,
    InputModel,
    LongText,
    Money,
    OutputModel,
    Provenance,
    ShortName,
    Title,
    Url,
    unchanged,
)
from app.schemas.languages import RecommendationTranslations, RecommendationTranslationsIn
from app.schemas.precision import PartialDate, precise
from app.vocab import AssertedBy, DatePrecision, Origin, RecommendationKind, Review, Status

REFERENCE = (
    "The decision's own number for it (TAIC's `063/05`), unique within the decision and its "
    "addressee: one made to two parties is one recommendation for each, under the same number."
)

RECOMMENDED_BY = (
    "The organisations that made the recommendation, beside the regulator whose decision holds "
    "it (UPR's recommending States), in their order: ids of organisations."
)
RecommendedBy = Annotated[list[DbId], Field(max_length=200, description=RECOMMENDED_BY)]


def _once_each(ids: list[int] | None) -> list[int] | None:
    """The ids without repeats, in their first order."""
    return None if ids is None else list(dict.fromkeys(ids))


class RecommendationCreate(InputModel):
    decision_id: DbId
    organisation_id: DbId = Field(description="The organisation the recommendation is addressed to.")
    reference: ShortName | None = Field(default=None, description=REFERENCE)
    text: LongText
    kind: RecommendationKind = Field(
        default=RecommendationKind.recommendation,
        description="`payment` is made with a decision's penalty and follows it: it is not created here.",
    )
    due_on: Date | None = None
    recommended_by: RecommendedBy = Field(default_factory=list)
    translations: RecommendationTranslationsIn = Field(default_factory=dict)

    _once = field_validator("recommended_by")(_once_each)


class RecommendationUpdate(InputModel):
    decision_id: DbId = unchanged()
    organisation_id: DbId = unchanged()
    reference: ShortName | None = Field(default=None, description=REFERENCE)
    text: LongText = unchanged()
    kind: RecommendationKind = unchanged()
    due_on: Date | None = None
    recommended_by: RecommendedBy = unchanged()
    translations: RecommendationTranslationsIn = unchanged()

    _once = field_validator("recommended_by")(_once_each)


class RecommendationRead(OutputModel):
    id: int
    decision_id: int
    organisation_id: int
    reference: str | None = Field(description=REFERENCE)
    text: str
    translations: RecommendationTranslations = Field(default_factory=dict)
    kind: RecommendationKind
    due_on: dt.date | None
    recommended_by: list[int] = Field(default_factory=list, description=RECOMMENDED_BY)
    status: Status
    overdue: bool
    last_assessed_on: dt.date | None = Field(
        description="The day of its latest counted assessment (its first day, where the assessment's "
        "source gives only a month or a year)."
    )
    last_assessed_on_precision: DatePrecision | None = Field(
        default=None,
        description="How much of `last_assessed_on` its assessment's source gives (`day`, `month`, "
        "`year`); null without one.",
    )
    status_origin: Origin | None = Field(
        description="How the status was known: the origin of the latest counted assessment "
        "(null when there is none and the status is `pending` by default)."
    )
    status_reviewed: bool | None = Field(
        description="False while the status is a machine reading not yet reviewed by an editor; "
        "null when there is no assessment."
    )
    suggested_status: Status | None = Field(
        description="The latest suggestion (a machine reading below its import's bar, which "
        "makes no status until an editor confirms it) newer than the status; else null."
    )
    provenance: Provenance | None = Field(
        default=None, description="An imported recommendation's data set, file, row and mapping."
    )
    version: int = Field(description="Changes with every edit; sent back as the ETag.")
    created_at: dt.datetime
    updated_at: dt.datetime


ASSESSED_ON_PRECISION = (
    "How much of `assessed_on` its source gives: `day`, `month` or `year` (kept as the first "
    'day of that month or year). Sent with a partial date (`"assessed_on": "2013"`) or left '
    "out: the form of `assessed_on` then gives it."
)


AMOUNT_PAID = (
    "What was paid, in the penalty's currency: given with a partly paid (`partially_complied`) "
    "assessment of a payment obligation, and only there; never more than the penalty."
)


class AssessmentCreate(InputModel):
    status: Status
    assessed_on: PartialDate = Field(
        description="The day the status took effect, or as much of it as its source gives "
        '(`"2013-02"`, `"2013"`).'
    )
    assessed_on_precision: DatePrecision = Field(default=DatePrecision.day, description=ASSESSED_ON_PRECISION)
    asserted_by: AssertedBy = Field(description="Whose claim it is.")
    note: LongText | None = None
    source_url: Url | None = None
    source_title: Title | None = None
    source_quote: LongText | None = None
    document_id: DbId | None = Field(
        default=None, description="The archived copy of the source (`POST /api/v1/documents`)."
    )
    source_page: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=None, description="The page of the archived copy the quote is on (needs `document_id`)."
    )
    amount_paid: Money | None = Field(default=None, description=AMOUNT_PAID)

    @model_validator(mode="before")
    @classmethod
    def _precise_dates(cls, data: Any) -> Any:
        return precise(data, (("assessed_on", "assessed_on_precision"),), cls.__name__)


class Evidence(OutputModel):
    text: str = Field(description="The sentence of the note the rule matched.")
    start: int = Field(description="Its first character's offset in the note.")
    end: int = Field(description="The offset just past its last character.")


class AssessmentRead(OutputModel):
    id: int
    recommendation_id: int
    status: Status
    assessed_on: dt.date = Field(description="Its first day, where its source gives only a month or a year.")
    assessed_on_precision: DatePrecision = Field(description="How much of `assessed_on` its source gives.")
    asserted_by: AssertedBy
    note: str | None
    source_url: str | None
    source_title: str | None
    source_quote: str | None
    document_id: int | None = Field(description="The archived copy of the source, if one is kept.")
    source_page: int | None = Field(description="The page of the archived copy the quote is on.")
    amount_paid: Decimal | None = Field(default=None, description=AMOUNT_PAID)
    recorded_at: dt.datetime
    # The alias reads the public name from the ORM row; the model is only built by validation
    # (from_attributes), never by keyword, so the plugin's check of dynamic aliases does not apply.
    recorded_by: str = Field(  # type: ignore[pydantic-alias]
        validation_alias=AliasChoices("recorded_by_name", "recorded_by"),
        description="Who recorded it, as the public sees it: the account's display name, or the "
        "role of the token (the full actor is in the audit log, for admins).",
    )
    retracted_at: dt.datetime | None = Field(
        default=None, description="When an admin retracted it; a retracted assessment counts in no status."
    )
    retracted_by: str | None = Field(  # type: ignore[pydantic-alias]  # as recorded_by above
        default=None,
        validation_alias=AliasChoices("retracted_by_name", "retracted_by"),
        description="Who retracted it (display name or role).",
    )
    retraction_reason: str | None = Field(default=None, description="Why it was retracted.")
    origin: Origin = Field(
        description="`entered` by a person, `imported` from a source's own status column, or "
        "`classified` by a mapping's rule from the reply's words.",
    )
    counted: bool = Field(
        description="Whether it makes a status: not when retracted, nor when it is a suggestion "
        "(a machine reading below its import's bar) awaiting an editor.",
    )
    review: Review = Field(
        description="`not_needed` (entered or imported), `awaiting` (read by machine, not yet "
        "reviewed), `confirmed` or `rejected` (corrected) by an editor.",
    )
    confidence: float | None = Field(
        description="A classified one: its rule's precision measured on replies labelled by reading."
    )
    rule: str | None = Field(description="A classified one: the mapping's rule that matched.")
    evidence: Evidence | None = Field(
        description="A classified one: the matched sentence, with its offsets into the note."
    )
    reviewed_by_name: str | None = Field(description="The editor who confirmed or corrected it.")
    reviewed_at: dt.datetime | None = Field(description="When it was confirmed or corrected.")
    corrects_id: int | None = Field(
        description="A correction by an editor: the machine reading it supersedes (kept in the "
        "history, `rejected`)."
    )
    provenance: Provenance | None = Field(
        default=None, description="An imported assessment's data set, file, row and mapping."
    )


class AssessmentRetract(InputModel):
    reason: LongText = Field(description="Why the assessment is retracted (shown with it in the history).")


class AssessmentActivity(AssessmentRead):
    """An assessment with what it is about, for lists of recent changes."""

    recommendation_text: str
    decision_id: int
    decision_reference: str
