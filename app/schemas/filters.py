"""A decision-list query as a model: what a saved query (a subscription's target) may name.

The same names and checks as the parameters of `GET /api/v1/decisions`.
"""

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from app.schemas.common import MAX_ID, InputModel, IsoDate
from app.vocab import Compliance, DecisionKind

FilterId = Annotated[int, Field(ge=1, le=MAX_ID)]


class DecisionQuery(InputModel):
    regulator_id: FilterId | None = None
    organisation_id: FilterId | None = None
    case_id: FilterId | None = None
    jurisdiction: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")] | None = (
        None
    )
    kind: DecisionKind | None = None
    tag: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    issued_from: IsoDate | None = None
    issued_to: IsoDate | None = None
    compliance: Compliance | None = None
    q: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None

    def as_filters(self) -> dict[str, Any]:
        """Keyword arguments of `decisions.filtered` (the filters that are set)."""
        values = self.model_dump(exclude_none=True)
        if "compliance" in values:
            values["compliance_is"] = values.pop("compliance")
        return values
