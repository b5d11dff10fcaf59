"""The review queue: its filter, its items, and an editor's review of a machine reading."""

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.common import LongText, OutputModel, Stripped, Url, sent
from app.schemas.filters import FilterId
from app.schemas.recommendation import AssessmentRead
from app.vocab import ReportStatus, ReportTarget, Status

Dataset = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]
Confidence = Annotated[float, Field(ge=0, le=1)]


class ReviewFilter(BaseModel):
    """Which machine readings of the queue to see (all of them without a filter). A query
    model: the route's other parameters (limit, cursor) are beside it."""

    model_config = ConfigDict(extra="ignore")

    kind: Literal["assessment", "report"] = Field(
        default="assessment",
        description="`assessment`: machine readings awaiting review; `report`: readers' error reports "
        "awaiting an editor (the other filters are the readings').",
    )
    dataset: Dataset | None = Field(
        default=None, description="The import's mapping (`taic`): the part of a reading's `rule` before `:`."
    )
    organisation_id: FilterId | None = Field(default=None, description="The recommendation's addressee.")
    suggested_status: Status | None = Field(default=None, description="The status the machine read.")
    confidence_below: Confidence | None = Field(
        default=None, description="Only readings less sure than this."
    )
    confidence_at_least: Confidence | None = Field(
        default=None, description="Only readings at least this sure."
    )


class ReviewRecommendation(OutputModel):
    """What the reading is about."""

    id: int
    reference: str | None
    text: str
    decision_id: int
    decision_reference: str
    organisation_id: int
    organisation_name: str
    status: Status
    suggested_status: Status | None


class ReviewItem(OutputModel):
    """One item of the queue: a machine reading awaiting an editor (with what it is about), or a
    reader's error report; and who holds it (a claim, until when)."""

    kind: Literal["assessment", "report"] = "assessment"
    assessment: AssessmentRead | None = Field(default=None, description="A reading: the assessment.")
    recommendation: ReviewRecommendation | None = Field(
        default=None, description="A reading: what it is about."
    )
    report: "ReportRead | None" = Field(default=None, description="A report.")
    claimed_by_name: str | None = Field(default=None, description="The editor reviewing it now.")
    claimed_until: dt.datetime | None = Field(default=None, description="Until when that editor holds it.")


class ReviewPage(BaseModel):
    """One page of the queue, and how far its review has come (under the same filters)."""

    items: list[ReviewItem]
    next_cursor: str | None
    reviewed: int = Field(description="Machine readings already confirmed or corrected (reports: resolved).")
    total: int = Field(
        description="Machine readings in all (reviewed or awaiting; retracted ones left out), or reports."
    )


class ReviewConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["confirm"] = Field(description="The reading is right: it counts from now on.")


class ReviewCorrect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["correct"] = Field(
        description="The reading is wrong: a new assessment, entered by you, supersedes it."
    )
    status: Status
    note: LongText | None = Field(default=None, description="Why, or what the reply says.")


ReviewAction = Annotated[ReviewConfirm | ReviewCorrect, Field(discriminator="action")]


class ReviewOutcome(OutputModel):
    reviewed: AssessmentRead = Field(description="The reading, confirmed or corrected (`rejected`).")
    correction: AssessmentRead | None = Field(
        description="The assessment that supersedes it, when corrected."
    )


# -- Readers' error reports --------------------------------------------------------------------

MAX_REPORT_CHARACTERS = 5000
# The text of a report as sent: its length beyond MAX_REPORT_CHARACTERS is answered 413 by the
# service (the schema keeps a far bound only, so that the answer says why).
ReportText = Stripped[Annotated[str, sent(50_000)]]
LedToKind = Literal["assessment", "decision", "recommendation", "organisation"]


class ReportTargetRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ReportTarget
    id: FilterId


class ReportCreate(BaseModel):
    """What is wrong (at most 5,000 characters), and where it says so (optional)."""

    model_config = ConfigDict(extra="forbid")

    target: ReportTargetRef = Field(description="The decision, recommendation or organisation that is wrong.")
    text: ReportText = Field(description="What is wrong, in at most 5,000 characters.")
    source_url: Url | None = Field(default=None, description="A source that shows it.")


class ReportRead(OutputModel):
    id: int
    target_kind: ReportTarget
    target_id: int
    text: str
    source_url: str | None
    reporter_name: str = Field(description="The reporting account's display name, or `anonymous`.")
    status: ReportStatus
    resolution: str | None = Field(description="Why it was declined, or what was done.")
    led_to_kind: str | None = Field(description="What an accepted report led to: its kind ...")
    led_to_id: int | None = Field(description="... and its id.")
    resolved_at: dt.datetime | None
    resolved_by_name: str | None
    version: int
    created_at: dt.datetime


class LedTo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: LedToKind
    id: FilterId


class ReportAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["accept"]
    note: LongText | None = Field(default=None, description="What was done.")
    led_to: LedTo | None = Field(default=None, description="The assessment or record the report led to.")


class ReportDecline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["decline"]
    reason: LongText = Field(description="Why (the reporter is told).")


ReportAction = Annotated[ReportAccept | ReportDecline, Field(discriminator="action")]


ReviewItem.model_rebuild()
