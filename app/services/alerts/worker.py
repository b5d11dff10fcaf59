"""The worker: turns outbox events into deliveries, and delivers them.

Each round, in short transactions of its own:

1. *Fan out*: claim events not yet fanned out and write one delivery per matching
   subscription (unique per subscription and event: an event reaches a subscription once).
2. *Deliver*: claim the deliveries that are due, by setting a lease (`locked_until`), then
   send each outside any transaction and record the outcome.

Claims take `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers share the work and
never take the same row; on SQLite, write transactions are serialised (`BEGIN IMMEDIATE`),
so the claims cannot overlap either (run one worker there: there is one writer anyway).
A worker killed between sending and recording leaves the lease to run out and the delivery
is sent again, with the same `webhook-id`, which is how Standard Webhooks receivers
recognise a repeat.

Webhooks are signed as Standard Webhooks (`webhook-id`, `webhook-timestamp`,
`webhook-signature`: HMAC-SHA256 over id, timestamp and body), never follow redirects, and
time out. A failed attempt is retried with growing waits for about a day (`BACKOFF`); the
last failure turns the subscription off and tells its owner. E-mail is one message per
event, or one a day per subscription for a digest.
"""

import datetime as dt
import json
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import httpx2
from sqlalchemy import or_, select
from standardwebhooks.webhooks import Webhook

from app.config import Settings, get_settings
from app.db import Database
from app.errors import Invalid
from app.models import Delivery, OutboxEvent, Subscription, User
from app.services.alerts import mail, subscriptions
from app.services.alerts.notices import site_url
from app.vocab import Channel, DeliveryStatus, EventType

log = logging.getLogger("findings.worker")

# Waits after each failed attempt: 10 attempts over about 24 hours.
BACKOFF = [dt.timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)]
LEASE = dt.timedelta(minutes=2)
BATCH = 100
USER_AGENT = "FindingsTracker-Webhooks/1.0"


@dataclass
class Round:
    """What one round did."""

    events: int = 0
    queued: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.events or self.queued or self.delivered or self.retried or self.failed)


def next_digest(now: dt.datetime, hour: int) -> dt.datetime:
    """The next time daily digests go out (today at `hour` UTC, or tomorrow)."""
    at = now.astimezone(dt.UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return at if at > now else at + dt.timedelta(days=1)


# -- Fan-out -----------------------------------------------------------------------------


def fan_out(db: Database, *, now: dt.datetime, settings: Settings) -> tuple[int, int]:
    """Deliveries for a batch of new events; returns (events, deliveries)."""
    queued = 0
    with db.transaction(actor="worker") as session:
        events = list(
            session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.fanned_out_at.is_(None))
                .order_by(OutboxEvent.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for event in events:
            for sub in subscriptions.matching(session, event):
                recipient = sub.url
                if sub.channel is Channel.email:
                    user = session.get(User, sub.user_id) if sub.user_id is not None else None
                    if user is None or user.disabled_at is not None or user.email_confirmed_at is None:
                        continue
                    recipient = user.email
                if not recipient:
                    continue
                session.add(
                    Delivery(
                        subscription_id=sub.id,
                        event_id=event.id,
                        channel=sub.channel,
                        recipient=recipient,
                        next_attempt_at=next_digest(now, settings.digest_hour) if sub.digest else now,
                    )
                )
                queued += 1
            event.fanned_out_at = now
    return len(events), queued


# -- Delivery ---------------------------------------------------------------------------


def claim(db: Database, *, now: dt.datetime) -> list[int]:
    """Take the due deliveries (a lease, so that no other worker takes them meanwhile)."""
    with db.transaction(actor="worker") as session:
        rows = list(
            session.scalars(
                select(Delivery)
                .where(
                    Delivery.status == DeliveryStatus.pending.value,
                    Delivery.next_attempt_at <= now,
                    or_(Delivery.locked_until.is_(None), Delivery.locked_until <= now),
                )
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for delivery in rows:
            delivery.locked_until = now + LEASE
        return [d.id for d in rows]


@dataclass
class Outcome:
    ok: bool
    code: int | None = None
    error: str | None = None


def webhook_body(event: OutboxEvent) -> str:
    payload = {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": event.data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def post_webhook(
    settings: Settings, *, sub: Subscription, delivery: Delivery, event: OutboxEvent, now: dt.datetime
) -> Outcome:
    url = sub.url or delivery.recipient
    try:
        subscriptions.check_webhook_url(url)
    except Invalid as exc:
        return Outcome(False, None, exc.detail[:500])
    body = webhook_body(event)
    msg_id = f"msg_{delivery.id}"
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(sub.secret).sign(msg_id, now, body),
    }
    try:
        with httpx2.Client(timeout=settings.webhook_timeout, follow_redirects=False) as client:
            response = client.post(url, content=body.encode(), headers=headers)
    except httpx2.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code)
    return Outcome(False, response.status_code, f"answered HTTP {response.status_code}")


def _label(value: Any) -> str:
    return str(value or "").replace("_", " ")


def describe_event(event: OutboxEvent) -> tuple[str, str, str]:
    """(A one-line summary, a few lines of detail, the record's page) of an event."""
    data = event.data
    decision = data.get("decision") or {}
    rec = data.get("recommendation") or {}
    if event.type == EventType.decision_created.value:
        return (
            f"New decision {decision.get('reference')}",
            f"{decision.get('title')}\nIssued {decision.get('issued_on')} ({_label(decision.get('kind'))}).",
            f"/decisions/{decision.get('id')}",
        )
    if event.type == EventType.standing_changed.value:
        return (
            f"Decision {decision.get('reference')} is now {_label(data.get('after'))}",
            f"{decision.get('title')}\nWas {_label(data.get('before'))}, now {_label(data.get('after'))}.",
            f"/decisions/{decision.get('id')}",
        )
    if event.type == EventType.status_changed.value:
        return (
            f"Recommendation {rec.get('id')} is now {_label(data.get('after'))}",
            f"{rec.get('text')}\nWas {_label(data.get('before'))}, now {_label(data.get('after'))}.",
            f"/recommendations/{rec.get('id')}",
        )
    assessment = data.get("assessment") or {}
    return (
        f"New assessment of recommendation {rec.get('id')}: {_label(assessment.get('status'))}",
        f"{rec.get('text')}\nAssessed {assessment.get('assessed_on')} "
        f"by the {_label(assessment.get('asserted_by'))}"
        + (f": {assessment.get('note')}" if assessment.get("note") else "."),
        f"/recommendations/{rec.get('id')}",
    )


def event_email(
    settings: Settings, *, sub: Subscription, followed: str, events: list[OutboxEvent], to: str
) -> Any:
    unsubscribe = site_url(f"/unsubscribe/{sub.id}/{subscriptions.unsubscribe_token(sub)}")
    parts = []
    for event in events:
        summary, detail, page = describe_event(event)
        parts.append(f"{summary}\n{detail}\n{site_url(page)}")
    if len(events) == 1:
        subject = f"{followed}: {describe_event(events[0])[0]}"
    else:
        subject = f"{followed}: {len(events)} changes today"
    body = (
        f"You follow {followed} on Findings Tracker.\n\n"
        + "\n\n".join(parts)
        + f"\n\n--\nStop these alerts: {unsubscribe}\nAll your alerts: {site_url('/subscriptions')}\n"
    )
    return mail.message(
        settings,
        to=to,
        subject=subject[:300],
        body=body,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _record(db: Database, ids: list[int], outcome: Outcome, *, now: dt.datetime, result: Round) -> None:
    with db.transaction(actor="worker") as session:
        for delivery in session.scalars(select(Delivery).where(Delivery.id.in_(ids))):
            sub = session.get(Subscription, delivery.subscription_id) if delivery.subscription_id else None
            delivery.attempts += 1
            delivery.last_attempt_at = now
            delivery.response_code = outcome.code
            delivery.locked_until = None
            if outcome.ok:
                delivery.status = DeliveryStatus.delivered
                delivery.delivered_at = now
                delivery.last_error = None
                if sub is not None and sub.failures:
                    sub.failures = 0
                result.delivered += 1
                continue
            delivery.last_error = outcome.error
            if delivery.attempts <= len(BACKOFF):
                delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
                result.retried += 1
                continue
            delivery.status = DeliveryStatus.failed
            result.failed += 1
            if sub is not None and sub.disabled_at is None:
                sub.failures += 1
                where = sub.url if sub.channel is Channel.webhook else delivery.recipient
                subscriptions.disable(
                    session,
                    sub=sub,
                    reason=f"Delivery to {where} failed for a day "
                    f"({delivery.attempts} attempts; last: {outcome.error}).",
                )


def deliver(db: Database, ids: list[int], *, now: dt.datetime, settings: Settings, result: Round) -> None:
    """Send the claimed deliveries and record each outcome."""
    with db.transaction(write=False, actor="worker") as session:
        rows = session.execute(
            select(Delivery, OutboxEvent, Subscription)
            .outerjoin(OutboxEvent, OutboxEvent.id == Delivery.event_id)
            .outerjoin(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.id.in_(ids))
            .order_by(Delivery.id)
        ).all()
        followed = {sub.id: subscriptions.describe(session, sub) for _, _, sub in rows if sub is not None}
    digests: dict[int, list[tuple[Delivery, OutboxEvent]]] = defaultdict(list)
    for delivery, event, sub in rows:
        if sub is not None and sub.disabled_at is not None:
            _cancel(db, delivery.id)
            continue
        if sub is not None and event is not None and sub.channel is Channel.email and sub.digest:
            digests[sub.id].append((delivery, event))
            continue
        outcome = _send_one(settings, delivery=delivery, event=event, sub=sub, followed=followed, now=now)
        _record(db, [delivery.id], outcome, now=now, result=result)
    for sub_id, items in digests.items():
        sub = next(s for _, _, s in rows if s is not None and s.id == sub_id)
        msg = event_email(
            settings,
            sub=sub,
            followed=followed[sub_id],
            events=[e for _, e in items],
            to=items[0][0].recipient,
        )
        outcome = _mail(settings, msg)
        _record(db, [d.id for d, _ in items], outcome, now=now, result=result)


def _cancel(db: Database, delivery_id: int) -> None:
    with db.transaction(actor="worker") as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is not None and delivery.status is DeliveryStatus.pending:
            delivery.status = DeliveryStatus.cancelled
            delivery.locked_until = None


def _mail(settings: Settings, msg: Any) -> Outcome:
    try:
        mail.send(settings, msg)
    except mail.MailError as exc:
        return Outcome(False, None, str(exc)[:500])
    return Outcome(True)


def _send_one(
    settings: Settings,
    *,
    delivery: Delivery,
    event: OutboxEvent | None,
    sub: Subscription | None,
    followed: dict[int, str],
    now: dt.datetime,
) -> Outcome:
    if sub is None or event is None:
        # An account message: its text is its own.
        msg = mail.message(
            settings, to=delivery.recipient, subject=delivery.subject or "", body=delivery.body or ""
        )
        return _mail(settings, msg)
    if sub.channel is Channel.webhook:
        return post_webhook(settings, sub=sub, delivery=delivery, event=event, now=now)
    msg = event_email(settings, sub=sub, followed=followed[sub.id], events=[event], to=delivery.recipient)
    return _mail(settings, msg)


# -- Running ------------------------------------------------------------------------------


def run_once(db: Database, *, now: dt.datetime | None = None, settings: Settings | None = None) -> Round:
    """Fan out every new event and deliver everything due now; returns what was done."""
    settings = settings or get_settings()
    result = Round()
    while True:
        current = now or dt.datetime.now(dt.UTC)
        events, queued = fan_out(db, now=current, settings=settings)
        result.events += events
        result.queued += queued
        if events < BATCH:
            break
    while True:
        current = now or dt.datetime.now(dt.UTC)
        ids = claim(db, now=current)
        if not ids:
            break
        deliver(db, ids, now=current, settings=settings, result=result)
        if len(ids) < BATCH:
            break
    return result


def run(db: Database, *, stop: threading.Event, interval: float = 2.0) -> None:
    """Run rounds until `stop` is set, waiting `interval` seconds when there was nothing to do."""
    while not stop.is_set():
        try:
            result = run_once(db)
        except Exception:  # a database outage must not end the worker: log and try again
            log.exception("worker round failed")
            stop.wait(interval * 5)
            continue
        if result:
            log.info("worker: %s", result)
        else:
            stop.wait(interval)
