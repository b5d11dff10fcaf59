import datetime as dt
from decimal import Decimal

from pydantic import Field

from app.schemas.common import (
    CONTESTED,
    IN_FORCE,
    PAID,
    CountedOutput,
    InputModel,
    Jurisdiction,
    Name,
    OutputModel,
    ShortName,
    Url,
    unchanged,
)
from app.vocab import Compliance, RegulatorKind, Status


class RegulatorCreate(InputModel):
    name: Name
    short_name: ShortName | None = None
    jurisdiction: Jurisdiction
    kind: RegulatorKind = RegulatorKind.regulator
    website: Url | None = None


class RegulatorUpdate(InputModel):
    name: Name = unchanged()
    short_name: ShortName | None = None
    jurisdiction: Jurisdiction = unchanged()
    kind: RegulatorKind = unchanged()
    website: Url | None = None


class RegulatorRead(OutputModel, CountedOutput):
    id: int
    name: str
    short_name: str | None
    jurisdiction: str
    kind: RegulatorKind
    website: str | None
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
    compliance: Compliance = Compliance.none
    recommendation_counts: dict[Status, int] = Field(default_factory=dict)
