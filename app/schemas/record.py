"""The items of the whole-record JSON export (format `findings-tracker-record`, version 1).

Import reads each item into one of these models, so a file is checked field by field with
the same field types as the API's own request bodies.
"""

import datetime as dt
from typing import Annotated, Any

from pydantic import Base64Bytes, Field, StringConstraints, field_validator, model_validator

from app.schemas.case import CaseCreate
from app.schemas.common import (
    Date,
    DbId,
    InputModel,
    LongText,
    Money,
    Name,
    Provision,
    Stripped,
    Tag,
    Title,
    Url,
    sent,
)
from app.schemas.decision import DecisionScalars, ReportedAmountIn
from app.schemas.languages import DecisionTranslationsIn
from app.schemas.organisation import OrganisationCreate
from app.schemas.precision import PartialDate, precise
from app.schemas.recommendation import RecommendationCreate
from app.schemas.regulator import RegulatorCreate
from app.vocab import (
    AssertedBy,
    DatePrecision,
    DocumentStatus,
    FindingOutcome,
    LinkStatus,
    OrganisationKind,
    OrganisationRole,
    Origin,
    RecommendationKind,
    RegulatorKind,
    RegulatorRole,
    Relation,
    Review,
    Status,
    TextStatus,
)

FORMAT = "findings-tracker-record"
# Version 2 adds the archived documents (their items, and their bytes as `blobs`); a version 1
# file, without them, is read as before.
VERSION = 2
VERSIONS = (1, 2)
# The sections of the file, in the order they are written and must be read.
SECTIONS = (
    "regulators",
    "organisations",
    "cases",
    "documents",
    "decisions",
    "recommendations",
    "assessments",
    "blobs",
)
# The sections each version's files hold (and must).
SECTIONS_OF = {1: tuple(s for s in SECTIONS if s not in ("documents", "blobs")), 2: SECTIONS}

Actor = Stripped[Annotated[str, sent(200)]]
Hash = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


# An imported id leaves room for the records made after it: every id must stay below
# 2**53 - 1, the largest integer every JSON client reads exactly (MAX_ID).
MAX_IMPORT_ID = 2**52
ImportId = Annotated[
    int,
    Field(ge=1, le=MAX_IMPORT_ID, description="An id, at most 2**52 (room is left for later records)."),
]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A time as UTC; one without a UTC offset is refused (the file must say which time)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("must carry a UTC offset")
    return value.astimezone(dt.UTC)


class _Row(InputModel):
    id: ImportId
    version: int = Field(ge=1, le=2**31 - 1)
    created_at: dt.datetime
    updated_at: dt.datetime

    _aware = field_validator("created_at", "updated_at")(_utc)


# The records' own fields are the API's create bodies' (declared once, in their schemas);
# the file must say each one's kind (the API's default is for a person typing).


class RegulatorItem(RegulatorCreate, _Row):
    kind: RegulatorKind


class OrganisationItem(OrganisationCreate, _Row):
    kind: OrganisationKind


class CaseItem(CaseCreate, _Row):
    pass


class DecisionRegulatorItem(InputModel):
    regulator_id: DbId
    role: RegulatorRole


class DecisionOrganisationItem(InputModel):
    organisation_id: DbId
    role: OrganisationRole


class FindingItem(InputModel):
    id: DbId
    text: LongText
    provision: Provision | None = None
    organisation_id: DbId | None = None
    outcome: FindingOutcome


class DocumentItem(_Row):
    """An archived document; its bytes are in the `blobs` section, by SHA-256."""

    title: Title | None = None
    status: DocumentStatus
    sha256: Hash | None = None
    media_type: Annotated[str, Field(max_length=100)] | None = None
    size: Annotated[int, Field(ge=0)] | None = None
    url: Url | None = None
    final_url: Url | None = None
    http_status: Annotated[int, Field(ge=100, le=599)] | None = None
    headers: dict[str, str] | None = None
    fetched_at: dt.datetime | None = None
    warc_sha256: Hash | None = None
    failure: Annotated[str, Field(max_length=500)] | None = None
    attempts: Annotated[int, Field(ge=0)] = 0
    next_attempt_at: dt.datetime | None = None
    text_status: TextStatus
    text_reason: Annotated[str, Field(max_length=500)] | None = None
    page_count: Annotated[int, Field(ge=0)] | None = None
    pages: list[str] = Field(default_factory=list, description="The text of each page, in order.")
    link_status: LinkStatus
    link_checked_at: dt.datetime | None = None
    link_next_check_at: dt.datetime | None = None
    created_by: Actor

    _aware_times = field_validator("fetched_at", "next_attempt_at", "link_checked_at", "link_next_check_at")(
        _utc
    )


class BlobItem(InputModel):
    """The bytes of a document (or of its WARC record), once per SHA-256, in base64."""

    sha256: Hash
    size: Annotated[int, Field(ge=0)]
    data: Base64Bytes


class SourceItem(InputModel):
    id: DbId
    url: Url
    title: Title | None = None
    publisher: Name | None = None
    published_on: Date | None = None
    document_id: DbId | None = None


class RelatedItem(InputModel):
    decision_id: DbId
    relation: Relation


class DecisionItem(DecisionScalars, _Row):
    regulators: list[DecisionRegulatorItem] = Field(min_length=1, max_length=50)
    organisations: list[DecisionOrganisationItem] = Field(default_factory=list, max_length=200)
    findings: list[FindingItem] = Field(default_factory=list, max_length=500)
    provisions: list[Provision] = Field(default_factory=list, max_length=200)
    sources: list[SourceItem] = Field(default_factory=list, max_length=100)
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    related: list[RelatedItem] = Field(default_factory=list, max_length=100)
    # Written only where a decision has some (app/services/exchange/record_export.py).
    reported_amounts: list[ReportedAmountIn] = Field(default_factory=list, max_length=20)
    translations: DecisionTranslationsIn = Field(default_factory=dict)


class RecommendationItem(RecommendationCreate, _Row):
    kind: RecommendationKind


class AssessmentItem(InputModel):
    id: DbId
    recommendation_id: DbId
    status: Status
    assessed_on: PartialDate
    assessed_on_precision: DatePrecision = DatePrecision.day
    asserted_by: AssertedBy
    note: LongText | None = None
    source_url: Url | None = None
    source_title: Title | None = None
    source_quote: LongText | None = None
    document_id: DbId | None = None
    source_page: int | None = Field(default=None, ge=1, le=100_000)
    # A partly paid assessment of a payment obligation: what was paid (written only there).
    amount_paid: Money | None = None
    recorded_at: dt.datetime
    recorded_by: Actor
    retracted_at: dt.datetime | None = None
    retracted_by: Actor | None = None
    retraction_reason: LongText | None = None
    # Provenance (written only where the origin is not `entered`): a machine reading below its
    # import's bar is not counted until confirmed; absent, `counted` is "not retracted".
    origin: Origin = Origin.entered
    counted: bool | None = None
    review: Review = Review.not_needed
    rule: Actor | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    evidence_start: int | None = Field(default=None, ge=0, le=2**31 - 1)
    evidence_end: int | None = Field(default=None, ge=0, le=2**31 - 1)
    reviewed_at: dt.datetime | None = None
    reviewed_by: Actor | None = None
    corrects_id: DbId | None = None

    _aware = field_validator("recorded_at", "retracted_at", "reviewed_at")(_utc)

    @model_validator(mode="before")
    @classmethod
    def _precise_dates(cls, data: Any) -> Any:
        return precise(data, (("assessed_on", "assessed_on_precision"),), cls.__name__)

    @model_validator(mode="after")
    def _retraction_whole(self) -> "AssessmentItem":
        if (self.retracted_at is None) != (self.retraction_reason is None):
            raise ValueError("retracted_at and retraction_reason go together")
        if self.counted is None:
            self.counted = self.retracted_at is None
        elif self.counted and self.retracted_at is not None:
            raise ValueError("a retracted assessment is not counted")
        if (self.evidence_start is None) != (self.evidence_end is None):
            raise ValueError("evidence_start and evidence_end go together")
        start, end = self.evidence_start, self.evidence_end
        if start is not None and end is not None and not 0 <= start <= end <= len(self.note or ""):
            raise ValueError("the evidence must lie within the note")
        if (self.reviewed_at is None) != (self.reviewed_by is None):
            raise ValueError("reviewed_at and reviewed_by go together")
        return self


ITEM_MODELS: dict[str, type[InputModel]] = {
    "regulators": RegulatorItem,
    "organisations": OrganisationItem,
    "cases": CaseItem,
    "documents": DocumentItem,
    "decisions": DecisionItem,
    "recommendations": RecommendationItem,
    "assessments": AssessmentItem,
    "blobs": BlobItem,
}
