import datetime as dt

from pydantic import Field, computed_field, field_validator

from app.schemas.common import InputModel, LongText, OutputModel, Tag, Title, unchanged, unique
from app.services.compliance import complied_share
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


class CaseRead(OutputModel):
    id: int
    title: str
    summary: str | None
    tags: list[str]
    version: int = Field(description="Changes with every edit; sent back as the ETag.")
    created_at: dt.datetime
    updated_at: dt.datetime
    decision_count: int = 0
    jurisdictions: list[str] = Field(default_factory=list)
    compliance: Compliance = Compliance.none
    recommendation_counts: dict[Status, int] = Field(default_factory=dict)

    @computed_field(  # type: ignore[prop-decorator]  # pydantic's documented computed_field over a property
        description="Complied ÷ recommendations not withdrawn (0 to 1); null when there are none."
    )
    @property
    def complied_share(self) -> float | None:
        return complied_share(self.recommendation_counts)
