import datetime as dt
from decimal import Decimal

from pydantic import Field, field_validator

from app.schemas.common import (
    CONTESTED,
    IN_FORCE,
    PAID,
    CountedOutput,
    InputModel,
    LongText,
    OutputModel,
    Tag,
    Title,
    unchanged,
    unique,
)
from app.vocab import Compliance, Status


class CaseCreate(InputModel):
    title: Title
    summary: LongText | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=100)

    _unique_tags = field_validator("tags")(unique)


class CaseUpdate(InputModel):
    title: Title = unchanged()
    summary: LongText | None = None
    tags: list[Tag] = unchanged(max_length=100)

    _unique_tags = field_validator("tags")(unique)


class CaseRead(OutputModel, CountedOutput):
    id: int
    title: str
    summary: str | None
    tags: list[str]
    version: int = Field(description="Changes with every edit; sent back as the ETag.")
    created_at: dt.datetime
    updated_at: dt.datetime
    decision_count: int = 0
    penalties: dict[str, Decimal] = Field(
        default_factory=dict, description="Imposed, summed by ISO 4217 currency."
    )
    penalties_in_force: dict[str, Decimal] = Field(default_factory=dict, description=IN_FORCE)
    penalties_contested: dict[str, Decimal] = Field(default_factory=dict, description=CONTESTED)
    penalties_paid: dict[str, Decimal] = Field(default_factory=dict, description=PAID)
    jurisdictions: list[str] = Field(default_factory=list)
    compliance: Compliance = Compliance.none
    recommendation_counts: dict[Status, int] = Field(default_factory=dict)
