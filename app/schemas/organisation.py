import datetime as dt
from decimal import Decimal

from pydantic import Field, field_validator

from app.schemas.common import (
    CONTESTED,
    IN_FORCE,
    PAID,
    CountedOutput,
    Country,
    Date,
    DbId,
    InputModel,
    Name,
    OutputModel,
    Url,
    unchanged,
    unique,
)
from app.vocab import Compliance, OrganisationKind, Status


class FormerParent(InputModel):
    """A parent the organisation belonged to before its current one (or before it had none)."""

    parent_id: DbId
    since: Date | None = Field(
        default=None, description="From this day; blank: from before the record knows."
    )
    until: Date = Field(description="Until the day before this one.")


PARENT_SINCE = "The day it became part of its parent (`parent_id`); blank: since before the record knows."
FORMER_PARENTS = (
    "The parents it belonged to before, each from `since` until the day before `until`: "
    "one parent at a time (no two periods share a day) and never a loop."
)


class OrganisationCreate(InputModel):
    name: Name
    aliases: list[Name] = Field(default_factory=list, max_length=100)
    parent_id: DbId | None = None
    parent_since: Date | None = Field(default=None, description=PARENT_SINCE)
    former_parents: list[FormerParent] = Field(
        default_factory=list, max_length=50, description=FORMER_PARENTS
    )
    kind: OrganisationKind = OrganisationKind.company
    country: Country | None = None
    website: Url | None = None

    _unique_aliases = field_validator("aliases")(unique)


class OrganisationUpdate(InputModel):
    name: Name = unchanged()
    aliases: list[Name] = unchanged(max_length=100)
    parent_id: DbId | None = None
    parent_since: Date | None = Field(default=None, description=PARENT_SINCE)
    former_parents: list[FormerParent] = unchanged(max_length=50)
    kind: OrganisationKind = unchanged()
    country: Country | None = None
    website: Url | None = None

    _unique_aliases = field_validator("aliases")(unique)


class GroupRead(CountedOutput):
    """The organisation and every subsidiary below it: a decision involving several of them
    counts once, and so does its penalty."""

    organisation_count: int = Field(description="The organisation and its subsidiaries, at every level.")
    decision_count: int = Field(description="Decisions involving any of them.")
    penalties: dict[str, Decimal] = Field(description="Imposed where any of them is respondent, by currency.")
    penalties_in_force: dict[str, Decimal] = Field(description=IN_FORCE)
    penalties_contested: dict[str, Decimal] = Field(description=CONTESTED)
    penalties_paid: dict[str, Decimal] = Field(description=PAID)
    compliance: Compliance
    recommendation_counts: dict[Status, int] = Field(description="Recommendations addressed to any of them.")


class OrganisationRead(OutputModel, CountedOutput):
    id: int
    name: str
    aliases: list[str]
    parent_id: int | None
    parent_since: dt.date | None = Field(default=None, description=PARENT_SINCE)
    former_parents: list[FormerParent] = Field(default_factory=list, description=FORMER_PARENTS)
    kind: OrganisationKind
    country: str | None
    website: str | None
    version: int = Field(description="Changes with every edit; sent back as the ETag.")
    created_at: dt.datetime
    updated_at: dt.datetime
    decision_count: int = 0
    penalties: dict[str, Decimal] = Field(
        default_factory=dict,
        description="Imposed, summed by ISO 4217 currency, over decisions where it is respondent.",
    )
    penalties_in_force: dict[str, Decimal] = Field(default_factory=dict, description=IN_FORCE)
    penalties_contested: dict[str, Decimal] = Field(default_factory=dict, description=CONTESTED)
    penalties_paid: dict[str, Decimal] = Field(default_factory=dict, description=PAID)
    compliance: Compliance = Compliance.none
    recommendation_counts: dict[Status, int] = Field(default_factory=dict)
    group: GroupRead | None = Field(
        default=None,
        description="Its group: it and its subsidiaries as owned on the day read (today, or `as_of`); "
        "itself alone when it has none.",
    )
    group_when_decided: GroupRead | None = Field(
        default=None,
        description="Its group as owned at each decision: a subsidiary's decision (its penalty, its "
        "recommendations) counts where the subsidiary belonged to the group on the decision's day; "
        "`organisation_count` is every organisation that belonged by the day read.",
    )
