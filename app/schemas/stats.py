import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from app.schemas.common import CONTESTED, IN_FORCE, PAID
from app.vocab import Compliance, Status


class YearCount(BaseModel):
    year: int
    count: int


class RegulatorCount(BaseModel):
    regulator_id: int
    name: str
    short_name: str | None
    count: int


class StatsRead(BaseModel):
    """Figures over the whole record, as it stood on `as_of` (today when not given)."""

    as_of: dt.date | None
    decisions: int = Field(description="Decisions issued by `as_of`.")
    recommendations: int = Field(description="Recommendations of those decisions.")
    recommendations_by_status: dict[Status, int] = Field(
        description="Recommendations in each compliance status (every status listed, zeros too)."
    )
    decisions_by_compliance: dict[Compliance, int] = Field(
        description="Decisions by their derived compliance (every value listed, zeros too)."
    )
    overdue: int = Field(description="Recommendations past their due day and neither complied nor withdrawn.")
    decisions_by_year: list[YearCount] = Field(description="Oldest year first.")
    decisions_by_regulator: list[RegulatorCount] = Field(description="Most decisions first.")
    penalties: dict[str, Decimal] = Field(description="Penalties imposed, summed by ISO 4217 currency.")
    penalties_in_force: dict[str, Decimal] = Field(description=IN_FORCE)
    penalties_contested: dict[str, Decimal] = Field(description=CONTESTED)
    penalties_paid: dict[str, Decimal] = Field(description=PAID)
