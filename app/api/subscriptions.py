"""Subscriptions (alerts): follow an organisation, a regulator, a case, a decision or a saved
decision-list query, by webhook. Each belongs to the token that made it; nobody else sees it.
(E-mail alerts belong to accounts and are made from the pages.)"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from app import language
from app.api.common import CREATE, DELETE, READ, READ_ITEM, UPDATE, created, with_etag
from app.api.deps import DEFAULT_PAGE, Cursor, IfMatch, Limit, SessionDep, item_id, require
from app.api.idempotency import ApiRoute
from app.models import ApiToken, Subscription
from app.schemas.common import Page
from app.schemas.subscription import (
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)
from app.services.alerts import subscriptions
from app.services.alerts.subscriptions import Owner
from app.vocab import Channel, Role

# ApiRoute: a create honours Idempotency-Key like every other POST of the API.
router = APIRouter(prefix="/subscriptions", tags=["subscriptions"], route_class=ApiRoute)
SubscriptionId = Annotated[int, item_id("subscription_id")]
# Any valid token may follow things: a subscription is the caller's own, not the record's.
Caller = Annotated[ApiToken, Depends(require(Role.reader))]


def owner_of(token: ApiToken) -> Owner:
    return Owner(token_id=token.id)


def read_model(sub: Subscription) -> SubscriptionRead:
    return SubscriptionRead.model_validate(
        {
            **{k: getattr(sub, k) for k in SubscriptionRead.model_fields if k != "target"},
            "target": {"type": sub.target_type, "id": sub.target_id, "query": sub.query},
        }
    )


@router.get("", response_model=Page[SubscriptionRead], responses=READ)
def list_subscriptions(
    session: SessionDep, token: Caller, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
) -> Page[SubscriptionRead]:
    """Your subscriptions (the calling token's), newest first."""
    items, next_cursor = subscriptions.list_(session, owner=owner_of(token), limit=limit, cursor=cursor)
    return Page(items=[read_model(s) for s in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=SubscriptionCreated, responses=CREATE)
def create_subscription(
    data: SubscriptionCreate, session: SessionDep, token: Caller, request: Request, response: Response
) -> SubscriptionCreated:
    """Follow a record or a query. A webhook's answer holds its signing secret, this once."""
    sub = subscriptions.create(
        session,
        owner=owner_of(token),
        target_type=data.target.type,
        target_id=data.target.id,
        query=data.target.query,
        events=[e.value for e in data.events],
        channel=data.channel,
        url=data.url,
        digest=data.digest,
        language=data.language or language.current(),
    )
    created(response, str(request.url_for("get_subscription", subscription_id=sub.id)), sub.version)
    secret = sub.secret if sub.channel is Channel.webhook else None
    return SubscriptionCreated.model_validate({**read_model(sub).model_dump(), "secret": secret})


@router.get("/{subscription_id}", response_model=SubscriptionRead, responses=READ_ITEM)
def get_subscription(
    subscription_id: SubscriptionId, session: SessionDep, token: Caller, response: Response
) -> SubscriptionRead:
    sub = subscriptions.get(session, owner=owner_of(token), subscription_id=subscription_id)
    with_etag(response, sub.version)
    return read_model(sub)


@router.patch("/{subscription_id}", response_model=SubscriptionRead, responses=UPDATE)
def update_subscription(
    subscription_id: SubscriptionId,
    data: SubscriptionUpdate,
    session: SessionDep,
    token: Caller,
    version: IfMatch,
    response: Response,
) -> SubscriptionRead:
    """Change the events, the URL or the digest choice; `"enabled": true` turns a subscription
    that was turned off after failing deliveries back on."""
    sub = subscriptions.get(session, owner=owner_of(token), subscription_id=subscription_id)
    values = data.model_dump(exclude_unset=True)
    if "events" in values and values["events"] is not None:
        values["events"] = [e.value for e in data.events or []]
    sub = subscriptions.update(session, sub=sub, values=values, expected_version=version)
    with_etag(response, sub.version)
    return read_model(sub)


@router.delete("/{subscription_id}", status_code=204, responses=DELETE)
def delete_subscription(
    subscription_id: SubscriptionId, session: SessionDep, token: Caller, version: IfMatch
) -> Response:
    sub = subscriptions.get(session, owner=owner_of(token), subscription_id=subscription_id)
    subscriptions.delete(session, sub=sub, expected_version=version)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=Page[DeliveryRead], responses=READ_ITEM)
def list_deliveries(
    subscription_id: SubscriptionId,
    session: SessionDep,
    token: Caller,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Page[DeliveryRead]:
    """The subscription's deliveries, newest first: attempts, status, the receiver's answer."""
    sub = subscriptions.get(session, owner=owner_of(token), subscription_id=subscription_id)
    rows, next_cursor = subscriptions.deliveries(session, sub=sub, limit=limit, cursor=cursor)
    return Page(
        items=[
            DeliveryRead.model_validate(
                {
                    **{k: getattr(d, k) for k in DeliveryRead.model_fields if hasattr(d, k)},
                    "event_type": e.type if e is not None else None,
                    "channel": d.channel.value,
                }
            )
            for d, e in rows
        ],
        next_cursor=next_cursor,
    )
