import datetime as dt
from typing import Annotated

from pydantic import Field

from app.schemas.common import InputModel, OutputModel, Stripped, UtcDatetime, sent
from app.vocab import Role

TokenName = Stripped[Annotated[str, sent(200)]]


class TokenCreate(InputModel):
    name: TokenName
    role: Role = Role.reader
    expires_at: UtcDatetime | None = Field(
        default=None, description="When the token stops working (UTC when no offset); never when absent."
    )


class TokenRead(OutputModel):
    """A token as listed: never its secret, only the first characters to recognise it by."""

    id: int
    name: str
    role: Role
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None = Field(description="Recorded to the minute.")


class TokenCreated(TokenRead):
    token: str = Field(description="The secret; shown this once, only its hash is stored.")
