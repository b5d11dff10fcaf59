"""Subscriptions: who follows what, on which channel, and which events match them.

A subscription belongs to the account or the API token that made it: every lookup here
takes the owner, and another owner's subscription is "not found"; an owner has at most
`SUBSCRIPTIONS_PER_OWNER`. A webhook's URL is checked by `webhooks.vet` (the HTTP client's own
parser, public addresses and standard ports only unless `ALLOW_PRIVATE_WEBHOOKS` is set) when
it is given, and again before each delivery, since a name can be pointed elsewhere later.
"""

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pydantic import ValidationError
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import Conflict, FieldError, Invalid, NotFound
from app.labels import gettext, label
from app.language import LANGUAGES
from app.models import Case, Decision, Delivery, Organisation, OutboxEvent, Regulator, Subscription, User
from app.models.base import table_of
from app.schemas.filters import DecisionFilter, SavedDecisionQuery
from app.services.alerts import notices, webhooks
from app.services.search import query as search_query
from app.services.shared import audit
from app.services.shared.common import check_version
from app.services.shared.pagination import SortKey, paginate
from app.vocab import Channel, DeliveryStatus, EventType, TargetType

TARGET_MODELS = {
    TargetType.organisation: Organisation,
    TargetType.regulator: Regulator,
    TargetType.case: Case,
    TargetType.decision: Decision,
}
# Which key of an event's subjects each kind of target is matched against.
SUBJECT_KEYS = {
    TargetType.organisation: "organisation_ids",
    TargetType.regulator: "regulator_ids",
    TargetType.case: "case_id",
    TargetType.decision: "decision_id",
}
ALL_EVENTS = [e.value for e in EventType]
# List parameters that say how to show a list, not which decisions are on it.
PRESENTATION = {"sort", "limit", "cursor", "as_of", "lang"}


@dataclass(frozen=True)
class Owner:
    """The account or the token a subscription belongs to."""

    user_id: int | None = None
    token_id: int | None = None

    def clause(self) -> Any:
        if self.user_id is not None:
            return Subscription.user_id == self.user_id
        return Subscription.token_id == self.token_id


# -- Checks -------------------------------------------------------------------------------


def _refuse(field: str, message: str, kind: str = "invalid") -> Invalid:
    return Invalid(f"{field}: {message}.", [FieldError(field, message, kind)])


def check_webhook_url(url: str, *, field: str = "url") -> None:
    """Refuse a webhook URL the worker would not send to (app.services.alerts.webhooks)."""
    webhooks.vet(url, field=field)


def decision_filters(query: str, *, field: str = "target.query") -> DecisionFilter:
    """The decision list's filters named by a query string, checked as the list checks them."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=False)
    names = [k for k, _ in pairs]
    repeated = sorted({k for k in names if names.count(k) > 1})
    if repeated:
        raise _refuse(field, f"names {', '.join(repeated)} more than once")
    values = {k: v for k, v in pairs if k not in PRESENTATION}
    try:
        parsed = SavedDecisionQuery.model_validate(values)
    except ValidationError as exc:
        errors = [
            FieldError(f"{field}.{'.'.join(str(p) for p in e['loc'])}", e["msg"], e["type"])
            for e in exc.errors()
        ]
        raise Invalid(
            "The query is not a decision-list query: " + "; ".join(f"{e.field} {e.message}" for e in errors),
            errors,
        ) from None
    filters = parsed.filters()
    try:
        search_query.parse(filters.q)  # words the list would refuse (too many terms) are refused here
    except Invalid as exc:
        raise _refuse(f"{field}.q", exc.errors[0].message, exc.errors[0].type) from None
    return filters


def normalise_query(query: str) -> str:
    """The query in a stable form: filter parameters only, in name order."""
    filters = decision_filters(query)
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?")) if k not in PRESENTATION]
    if not filters.values():
        raise _refuse("target.query", "names no filter: it would follow every decision")
    return urlencode(sorted(pairs))


def _check_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in ALL_EVENTS]
    if unknown:
        raise _refuse("events", f"unknown event {unknown[0]!r}; one of {', '.join(ALL_EVENTS)}")
    if not events:
        raise _refuse("events", "must name at least one event")
    return [e for e in ALL_EVENTS if e in events]


def _check_target(
    session: Session, target_type: TargetType, target_id: int | None, query: str | None
) -> tuple[int | None, str | None]:
    if target_type is TargetType.query:
        if not query:
            raise _refuse("target.query", "is required for a query target")
        return None, normalise_query(query)
    if target_id is None:
        raise _refuse("target.id", f"is required for a {target_type.value} target")
    model = TARGET_MODELS[target_type]
    if session.get(model, target_id) is None:
        raise _refuse("target.id", f"there is no {target_type.value} with id {target_id}", "reference")
    return target_id, None


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# -- Writes -------------------------------------------------------------------------------


def _snapshot(sub: Subscription) -> dict[str, Any]:
    return audit.row(sub, exclude=("secret", "created_at", "updated_at"))


def create(
    session: Session,
    *,
    owner: Owner,
    target_type: TargetType,
    target_id: int | None,
    query: str | None,
    events: list[str],
    channel: Channel,
    url: str | None,
    digest: bool,
    language: str = "en",
) -> Subscription:
    """A new subscription; its e-mails are written in `language` ("en" or "fr")."""
    target_id, query = _check_target(session, target_type, target_id, query)
    if language not in LANGUAGES:
        raise _refuse("language", "should be en or fr")
    events = _check_events(events)
    if channel is Channel.webhook:
        if not url:
            raise _refuse("url", "is required for a webhook")
        check_webhook_url(url)
        if digest:
            raise _refuse("digest", "is for e-mail only")
    else:
        if owner.user_id is None:
            raise _refuse(
                "channel",
                "e-mail alerts go to an account's confirmed address: follow from the pages, signed "
                "in, or use a webhook",
            )
        if url:
            raise _refuse("url", "is for webhooks only; e-mail goes to the account's address")
    same = session.scalar(
        select(Subscription.id).where(
            owner.clause(),
            Subscription.target_type == target_type.value,
            Subscription.target_id.is_(None) if target_id is None else Subscription.target_id == target_id,
            Subscription.query.is_(None) if query is None else Subscription.query == query,
            Subscription.channel == channel.value,
            Subscription.url.is_(None) if url is None else Subscription.url == url,
        )
    )
    if same is not None:
        raise Conflict(
            f"You already follow this {'by e-mail' if channel is Channel.email else 'at this address'} "
            f"(subscription {same}); change that one instead.",
            [FieldError("target", f"already followed by subscription {same}", "duplicate")],
        )
    limit = get_settings().subscriptions_per_owner
    held = session.scalar(select(func.count()).select_from(Subscription).where(owner.clause())) or 0
    if held >= limit:
        raise Conflict(
            f"You have {held} subscriptions, the most one owner may have; delete one you no longer "
            "need first.",
            [FieldError("target", f"at most {limit} subscriptions per owner", "limit")],
        )
    sub = Subscription(
        user_id=owner.user_id,
        token_id=owner.token_id,
        target_type=target_type,
        target_id=target_id,
        query=query,
        events=events,
        channel=channel,
        url=url,
        digest=digest,
        language=language,
        secret=new_secret(),
        failures=0,
    )
    session.add(sub)
    session.flush()
    audit.created(session, "subscription", sub.id, _snapshot(sub))
    return sub


def update(
    session: Session,
    *,
    sub: Subscription,
    values: dict[str, Any],
    expected_version: int | None,
) -> Subscription:
    """Change the events, the URL, the digest choice, or turn it back on (`enabled`)."""
    check_version(sub, expected_version)
    before = _snapshot(sub)
    if "events" in values:
        sub.events = _check_events(values["events"])
    if values.get("url") is not None:
        if sub.channel is not Channel.webhook:
            raise _refuse("url", "is for webhooks only")
        check_webhook_url(values["url"])
        sub.url = values["url"]
    if "digest" in values:
        if values["digest"] and sub.channel is not Channel.email:
            raise _refuse("digest", "is for e-mail only")
        sub.digest = bool(values["digest"])
    if values.get("enabled") is True and sub.disabled_at is not None:
        sub.disabled_at, sub.disabled_reason, sub.failures = None, None, 0
    elif values.get("enabled") is False and sub.disabled_at is None:
        disable(session, sub=sub, reason="Turned off by its owner.", notify=False)
    session.flush()
    audit.updated(session, "subscription", sub.id, before, _snapshot(sub))
    return sub


def delete(session: Session, *, sub: Subscription, expected_version: int | None) -> None:
    check_version(sub, expected_version)
    audit.deleted(session, "subscription", sub.id, _snapshot(sub))
    session.delete(sub)
    session.flush()


def disable(session: Session, *, sub: Subscription, reason: str, notify: bool = True) -> None:
    """Stop a subscription (its pending deliveries are cancelled) and tell its owner."""
    sub.disabled_at = dt.datetime.now(dt.UTC)
    sub.disabled_reason = reason[:500]
    session.execute(
        table_of(Delivery)
        .update()
        .where(Delivery.subscription_id == sub.id, Delivery.status == DeliveryStatus.pending.value)
        .values(status=DeliveryStatus.cancelled.value, locked_until=None)
    )
    if notify and sub.user_id is not None:
        user = session.get(User, sub.user_id)
        if user is not None:
            notices.subscription_disabled(session, user=user, sub=sub)


# -- Reads --------------------------------------------------------------------------------


def get(session: Session, *, owner: Owner, subscription_id: int) -> Subscription:
    sub = session.scalar(select(Subscription).where(Subscription.id == subscription_id, owner.clause()))
    if sub is None:
        raise NotFound(f"You have no subscription with id {subscription_id}.")
    return sub


SORTS = {"-id": SortKey(Subscription.id, Subscription.id, descending=True)}
DELIVERY_SORTS = {"-id": SortKey(Delivery.id, Delivery.id, descending=True)}


def list_(
    session: Session, *, owner: Owner, limit: int, cursor: str | None
) -> tuple[list[Subscription], str | None]:
    rows, next_cursor = paginate(
        session,
        select(Subscription).where(owner.clause()),
        sorts=SORTS,
        sort="-id",
        limit=limit,
        cursor=cursor,
    )
    return [r[0] for r in rows], next_cursor


def deliveries(
    session: Session, *, sub: Subscription, limit: int, cursor: str | None = None
) -> tuple[list[tuple[Delivery, OutboxEvent | None]], str | None]:
    """A subscription's deliveries, newest first, each with its event."""
    stmt = (
        select(Delivery, OutboxEvent)
        .outerjoin(OutboxEvent, OutboxEvent.id == Delivery.event_id)
        .where(Delivery.subscription_id == sub.id)
    )
    rows, next_cursor = paginate(session, stmt, sorts=DELIVERY_SORTS, sort="-id", limit=limit, cursor=cursor)
    return [(r[0], r[1]) for r in rows], next_cursor


def describe(session: Session, sub: Subscription) -> str:
    """What a subscription follows, in words ("Clearview AI, Inc.", "decisions where kind=fine")."""
    if sub.target_type is TargetType.query:
        return gettext("decisions where %(query)s") % {"query": sub.query}
    model = TARGET_MODELS[sub.target_type]
    obj = session.get(model, sub.target_id)
    if obj is None:
        return gettext("%(kind)s %(id)s (deleted)") % {"kind": label(sub.target_type), "id": sub.target_id}
    name = getattr(obj, "name", None) or getattr(obj, "title", None) or getattr(obj, "reference", "")
    if isinstance(obj, Decision):
        name = f"{obj.reference}: {obj.title}"
    return str(name)


# -- Matching an event ------------------------------------------------------------------


def matching(session: Session, event: OutboxEvent) -> list[Subscription]:
    """The active subscriptions an event is for."""
    from app.services.record import decisions

    subjects = event.subjects
    clauses: list[ColumnElement[bool]] = []
    for target_type, key in SUBJECT_KEYS.items():
        value = subjects.get(key)
        ids = value if isinstance(value, list) else [value] if value is not None else []
        if ids:
            clauses.append((Subscription.target_type == target_type.value) & Subscription.target_id.in_(ids))
    clauses.append(Subscription.target_type == TargetType.query.value)
    candidates = session.scalars(
        select(Subscription)
        .where(Subscription.disabled_at.is_(None), or_(*clauses))
        .order_by(Subscription.id)
    )
    found = []
    for sub in candidates:
        if event.type not in sub.events:
            continue
        if sub.target_type is TargetType.query:
            if event.decision_id is None or sub.query is None:
                continue
            try:
                filters = decision_filters(sub.query)
            except Invalid:  # saved before a limit it now fails: it follows nothing
                continue
            kept = decisions.filtered(filters, session=session)
            stmt = kept.where(Decision.id == event.decision_id)
            if not session.scalar(select(exists(stmt))):
                continue
        found.append(sub)
    return found


# -- Unsubscribing without signing in ------------------------------------------------------


def unsubscribe_token(sub: Subscription) -> str:
    """A token naming the subscription, signed with its own secret: it works without signing
    in, for this subscription only, until the subscription is gone."""
    mac = hmac.new(sub.secret.encode(), f"unsubscribe:{sub.id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def by_unsubscribe_token(session: Session, *, subscription_id: int, token: str) -> Subscription | None:
    sub = session.get(Subscription, subscription_id)
    if sub is None or not hmac.compare_digest(unsubscribe_token(sub), token):
        return None
    return sub
