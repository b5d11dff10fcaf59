import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from app.schemas.common import DbId, InputModel, OutputModel


class DuplicateRecord(OutputModel):
    id: int
    name: str = Field(description="A decision's reference, an organisation's name.")


class DuplicatePair(OutputModel):
    kind: Literal["exact", "currency", "near"] = Field(
        description="`exact`: the same act (or the same name once legal form and punctuation are "
        "left out); `currency`: the same act with its penalty in another currency (merged, the "
        "other figure stays as a reported amount); `near`: perhaps the same, for an editor to judge."
    )
    reason: str
    records: list[DuplicateRecord] = Field(description="The two records, the older first.")


class DuplicatesRead(OutputModel):
    decisions: list[DuplicatePair]
    organisations: list[DuplicatePair]
    decision_clusters: list["DuplicateCluster"] = Field(
        default_factory=list, description="The decisions' pairs grouped: records linked by any pair."
    )
    organisation_clusters: list["DuplicateCluster"] = Field(default_factory=list)


class MergeRequest(InputModel):
    into: DbId = Field(description="The id of the record kept; this one is merged into it.")


class AmountOut(OutputModel):
    amount: Decimal
    currency: str


class ClusterRecord(OutputModel):
    """One record of a cluster, with what a person compares side by side."""

    id: int
    name: str = Field(description="A decision's reference, an organisation's name.")
    version: int = Field(description="Its ETag, for the `If-Match` of a merge.")
    title: str | None = None
    issued_on: dt.date | None = None
    penalty: AmountOut | None = None
    reported_amounts: list[AmountOut] = Field(default_factory=list)
    regulators: list[str] = Field(default_factory=list)
    parties: list[str] = Field(default_factory=list, description="A decision's organisations.")
    aliases: list[str] = Field(default_factory=list)
    country: str | None = None
    decision_count: int | None = Field(default=None, description="An organisation's decisions.")


class DuplicateCluster(OutputModel):
    type: Literal["decision", "organisation"]
    records: list[ClusterRecord] = Field(
        description="Every record linked to another by a pair, oldest first."
    )
    pairs: list[DuplicatePair]


class DismissRequest(InputModel):
    kind: Literal["decision", "organisation"]
    ids: list[DbId] = Field(min_length=2, max_length=2, description="The two records that are not the same.")


class DismissalRead(OutputModel):
    kind: Literal["decision", "organisation"]
    ids: list[int]
    dismissed_at: dt.datetime
    dismissed_by: str


class MergeRead(OutputModel):
    """One merge, as kept in the log: what moved, and whether it was undone."""

    id: int
    kind: Literal["decision", "organisation"]
    merged_id: int
    into_id: int
    merged_at: dt.datetime
    merged_by: str
    moved: dict[str, Any] = Field(description="What moved to the kept record, as the audit log says it.")
    undone_at: dt.datetime | None
    undone_by: str | None
    version: int = Field(description="Its ETag, for the `If-Match` of an undo.")


class MergesRead(OutputModel):
    items: list[MergeRead]
