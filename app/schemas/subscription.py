import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from app.schemas.common import DbId, InputModel, OutputModel, Url
from app.vocab import Channel, DeliveryStatus, EventType, TargetType

EVENTS_DESCRIPTION = (
    "What to be told about: `decision.created` (a new decision concerning the target, or "
    "matching the query), `recommendation.status_changed` (with `before` and `after`), "
    "`decision.standing_changed`, `assessment.created`. All four when absent."
)


class Target(InputModel):
    """What is followed: a record by type and id, or a saved decision-list query."""

    type: TargetType
    id: DbId | None = Field(default=None, description="The record's id (not for a query).")
    query: Annotated[str, Field(min_length=1, max_length=2000)] | None = Field(
        default=None,
        description="For `type: query`: the decision list's filters as a query string, "
        "e.g. `jurisdiction=CA&kind=fine`.",
    )


class SubscriptionCreate(InputModel):
    target: Target
    events: list[EventType] = Field(default_factory=lambda: list(EventType), description=EVENTS_DESCRIPTION)
    channel: Channel
    url: Url | None = Field(default=None, description="Where webhooks are posted (channel `webhook`).")
    digest: bool = Field(default=False, description="E-mail: one message a day instead of one per event.")
    language: Literal["en", "fr"] | None = Field(
        default=None,
        description="The language of its e-mails: `en` or `fr`; without it, the request's "
        "(`Accept-Language`), else English.",
    )


class SubscriptionUpdate(InputModel):
    events: list[EventType] | None = Field(default=None, description=EVENTS_DESCRIPTION)
    url: Url | None = None
    digest: bool | None = None
    enabled: bool | None = Field(default=None, description="`true` turns a disabled subscription back on.")


class TargetRead(OutputModel):
    type: TargetType
    id: int | None
    query: str | None


class SubscriptionRead(OutputModel):
    id: int
    target: TargetRead
    events: list[EventType]
    channel: Channel
    url: str | None
    digest: bool
    language: str = Field(description="The language of its e-mails (`en` or `fr`).")
    failures: int = Field(description="Deliveries given up on since the last success.")
    disabled_at: dt.datetime | None
    disabled_reason: str | None
    created_at: dt.datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str | None = Field(
        description="Webhooks: the signing secret (`whsec_...`, Standard Webhooks); shown this once."
    )


class DeliveryRead(OutputModel):
    id: int
    event_id: int | None
    event_type: str | None
    status: DeliveryStatus
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    last_attempt_at: dt.datetime | None
    response_code: int | None
    last_error: str | None
    delivered_at: dt.datetime | None
    channel: Literal["webhook", "email"]
