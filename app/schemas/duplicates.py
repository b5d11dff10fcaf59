from typing import Literal

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


class MergeRequest(InputModel):
    into: DbId = Field(description="The id of the record kept; this one is merged into it.")
