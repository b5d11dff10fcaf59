"""The worker: turns outbox events into deliveries, and delivers them.

Over 450 lines, on purpose: the fan-out, the claims, the isolated and bounded delivery lanes
and the run loop of one process, whose guarantees (once per subscription and event, nothing
held by one receiver) are read together; what a delivery says is in `messages`, how a webhook
is sent in `webhooks`.

Each round, in short transactions of its own:

1. *Fan out*: claim events not yet fanned out and write one delivery per matching
   subscription (unique per subscription and event: an event reaches a subscription once).
2. *Deliver*: claim the deliveries that are due, by setting a lease (`locked_until`), then
   send each outside any transaction and record the outcome.

Two queues, claimed and sent apart: account messages (confirm an address, reset a password,
a subscription turned off: `notices`) and the subscriptions' deliveries. `run` works each in a
thread of its own, so an account e-mail is never behind webhooks; `run_once` does the account
messages first.

Every delivery is isolated: whatever goes wrong while making or sending it (an address the
client refuses, a title that cannot be an e-mail header, a bug) is a failed attempt of that
delivery alone, recorded with a retry, and the others of the round go on. Each attempt is
bounded in time and size (app.services.alerts.webhooks), and the retry is counted from the end
of the attempt. The deliveries of one subscription go out one at a time, in order; different
subscriptions' go out side by side (`LANES` at once), and once one of a subscription's
deliveries fails, the rest of its deliveries wait for the retry (not counted as attempts): a
stalled or failing receiver costs one attempt per round, and delays nobody else.

Claims take `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers share the work and
never take the same row; on SQLite, write transactions are serialised (`BEGIN IMMEDIATE`),
so the claims cannot overlap either (run one worker there: there is one writer anyway).
A worker killed between sending and recording leaves the lease to run out and the delivery
is sent again, with the same `webhook-id`, which is how Standard Webhooks receivers
recognise a repeat.

Webhooks are signed as Standard Webhooks (`webhook-id`, `webhook-timestamp`,
`webhook-signature`: HMAC-SHA256 over id, timestamp and body) and never follow redirects. A
failed attempt is retried with growing waits for about a day (`BACKOFF`); the last failure
turns the subscription off and tells its owner. E-mail is one message per event, or one a day
per subscription for a digest.
"""

import asyncio
import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import partial
from typing import Any

from sqlalchemy import or_, select
from standardwebhooks.webhooks import Webhook

from app import language
from app.config import Settings, get_settings
from app.db import Database
from app.errors import Invalid
from app.models import Delivery, OutboxEvent, Subscription, User
from app.services.alerts import mail, messages, subscriptions, webhooks
from app.services.alerts.webhooks import Outcome
from app.vocab import Channel, DeliveryStatus

log = logging.getLogger("findings.worker")

# Waits after each failed attempt: 10 attempts over about 24 hours.
BACKOFF = [dt.timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)]
LEASE = dt.timedelta(minutes=2)
BATCH = 100
# Subscriptions whose deliveries are sent at the same time.
LANES = 8
USER_AGENT = "FindingsTracker-Webhooks/1.0"
FAILED = "could not be made or sent ({kind}); it will be tried again"


@dataclass
class Round:
    """What one round did."""

    events: int = 0
    queued: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __bool__(self) -> bool:
        return bool(self.events or self.queued or self.delivered or self.retried or self.failed)

    def __str__(self) -> str:
        return (
            f"Round(events={self.events}, queued={self.queued}, delivered={self.delivered}, "
            f"retried={self.retried}, failed={self.failed})"
        )


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


# -- Claiming ---------------------------------------------------------------------------

ACCOUNT = "account"
SUBSCRIPTIONS = "subscriptions"
QUEUES = (ACCOUNT, SUBSCRIPTIONS)


def claim(db: Database, *, now: dt.datetime, queue: str = SUBSCRIPTIONS) -> list[int]:
    """Take the due deliveries of a queue (a lease, so that no other worker takes them meanwhile)."""
    of_queue = (
        Delivery.subscription_id.is_(None) if queue == ACCOUNT else Delivery.subscription_id.is_not(None)
    )
    with db.transaction(actor="worker") as session:
        rows = list(
            session.scalars(
                select(Delivery)
                .where(
                    of_queue,
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


# -- Recording --------------------------------------------------------------------------


def _record(
    db: Database, ids: list[int], outcome: Outcome, *, now: dt.datetime, ended: dt.datetime
) -> tuple[Round, dt.datetime]:
    """The outcome of one attempt (started `now`, ended `ended`: a retry waits from its end);
    returns what it did and when the deliveries are tried next."""
    result = Round()
    retry_at = ended
    with db.transaction(actor="worker") as session:
        for delivery in session.scalars(select(Delivery).where(Delivery.id.in_(ids))):
            sub = session.get(Subscription, delivery.subscription_id) if delivery.subscription_id else None
            delivery.attempts += 1
            delivery.last_attempt_at = now
            delivery.response_code = outcome.code
            delivery.locked_until = None
            if outcome.ok:
                delivery.status = DeliveryStatus.delivered
                delivery.delivered_at = ended
                delivery.last_error = None
                if sub is not None and sub.failures:
                    sub.failures = 0
                result.delivered += 1
                continue
            delivery.last_error = (outcome.error or "")[:500]
            if delivery.attempts <= len(BACKOFF):
                delivery.next_attempt_at = ended + BACKOFF[delivery.attempts - 1]
                retry_at = max(retry_at, delivery.next_attempt_at)
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
    return result, retry_at


def _postpone(db: Database, ids: list[int], *, until: dt.datetime) -> None:
    """Leave deliveries for later without an attempt (their subscription's receiver just failed:
    they follow the failed one, in order)."""
    with db.transaction(actor="worker") as session:
        for delivery in session.scalars(select(Delivery).where(Delivery.id.in_(ids))):
            delivery.locked_until = None
            delivery.next_attempt_at = until


def _cancel(db: Database, delivery_id: int) -> None:
    with db.transaction(actor="worker") as session:
        delivery = session.get(Delivery, delivery_id)
        if delivery is not None and delivery.status is DeliveryStatus.pending:
            delivery.status = DeliveryStatus.cancelled
            delivery.locked_until = None


# -- Sending ----------------------------------------------------------------------------

# One attempt: sends and says how it went (raising is a failed attempt too).
Attempt = Callable[[], Awaitable[Outcome]]


@dataclass
class Job:
    """One attempt to make: the deliveries it settles (a digest settles several)."""

    ids: list[int]
    attempt: Attempt


async def _webhook(
    settings: Settings, *, sub: Subscription, delivery: Delivery, event: OutboxEvent
) -> Outcome:
    try:
        target = webhooks.vet(sub.url or delivery.recipient, settings=settings)
    except Invalid as exc:
        return Outcome(False, None, exc.detail[:500])
    body = messages.webhook_body(event)
    msg_id = f"msg_{delivery.id}"
    signed_at = dt.datetime.now(dt.UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(sub.secret).sign(msg_id, signed_at, body),
    }
    return await webhooks.post(target, body=body.encode(), headers=headers, settings=settings)


async def _mail(settings: Settings, make: Callable[[], EmailMessage]) -> Outcome:
    """Make the message and hand it over (in a thread: smtplib blocks), within the webhooks'
    time bound; the thread may finish later (the SMTP client's own timeout ends it)."""
    msg = make()
    try:
        async with asyncio.timeout(settings.webhook_timeout * 3):
            await asyncio.to_thread(mail.send, settings, msg)
    except mail.MailError as exc:
        return Outcome(False, None, str(exc)[:500])
    except TimeoutError:
        return Outcome(False, None, "the mail server did not take the message in time")
    return Outcome(True)


def _jobs(
    settings: Settings,
    rows: Sequence[tuple[Delivery, OutboxEvent | None, Subscription | None]],
    followed: dict[int, str],
) -> dict[object, list[Job]]:
    """The attempts to make, by lane: one lane per subscription (its deliveries in order, a
    digest as one), one per account message."""
    lanes: dict[object, list[Job]] = defaultdict(list)
    digests: dict[int, list[tuple[Delivery, OutboxEvent]]] = defaultdict(list)
    for delivery, event, sub in rows:
        if sub is None or event is None:
            # An account message: its text is its own.
            make = partial(
                mail.message,
                settings,
                to=delivery.recipient,
                subject=delivery.subject or "",
                body=delivery.body or "",
            )
            lanes[("account", delivery.id)].append(Job([delivery.id], partial(_mail, settings, make)))
        elif sub.channel is Channel.email and sub.digest:
            digests[sub.id].append((delivery, event))
        elif sub.channel is Channel.webhook:
            send = partial(_webhook, settings, sub=sub, delivery=delivery, event=event)
            lanes[sub.id].append(Job([delivery.id], send))
        else:
            make = partial(
                messages.event_email,
                settings,
                sub=sub,
                followed=followed[sub.id],
                events=[event],
                to=delivery.recipient,
            )
            lanes[sub.id].append(Job([delivery.id], partial(_mail, settings, make)))
    for sub_id, items in digests.items():
        sub = next(s for _, _, s in rows if s is not None and s.id == sub_id)
        make = partial(
            messages.event_email,
            settings,
            sub=sub,
            followed=followed[sub_id],
            events=[e for _, e in items],
            to=items[0][0].recipient,
        )
        lanes[sub_id].append(Job([d.id for d, _ in items], partial(_mail, settings, make)))
    return lanes


async def _attempt(job: Job) -> Outcome:
    """One attempt, whatever happens in it: an exception is a failed attempt."""
    try:
        return await job.attempt()
    except Exception as exc:
        log.exception("delivery %s could not be made or sent", job.ids)
        return Outcome(False, None, FAILED.format(kind=type(exc).__name__))


async def _run_lanes(
    db: Database, lanes: dict[object, list[Job]], *, now: dt.datetime, result: Round
) -> None:
    gate = asyncio.Semaphore(LANES)
    started = time.monotonic()

    async def lane(jobs: list[Job]) -> None:
        async with gate:
            for position, job in enumerate(jobs):
                outcome = await _attempt(job)
                # The retry waits from the end of the attempt (whole seconds: `now` may be a test's).
                ended = now + dt.timedelta(seconds=int(time.monotonic() - started))
                done, retry_at = await asyncio.to_thread(_record, db, job.ids, outcome, now=now, ended=ended)
                with result.lock:
                    result.delivered += done.delivered
                    result.retried += done.retried
                    result.failed += done.failed
                if not outcome.ok:
                    rest = [i for later in jobs[position + 1 :] for i in later.ids]
                    if rest:
                        await asyncio.to_thread(_postpone, db, rest, until=retry_at)
                    return

    await asyncio.gather(*(lane(jobs) for jobs in lanes.values()))


def deliver(db: Database, ids: list[int], *, now: dt.datetime, settings: Settings, result: Round) -> None:
    """Send the claimed deliveries and record each outcome."""
    with db.transaction(write=False, actor="worker") as session:
        rows: list[tuple[Delivery, OutboxEvent | None, Subscription | None]] = [
            (d, e, s)
            for d, e, s in session.execute(
                select(Delivery, OutboxEvent, Subscription)
                .outerjoin(OutboxEvent, OutboxEvent.id == Delivery.event_id)
                .outerjoin(Subscription, Subscription.id == Delivery.subscription_id)
                .where(Delivery.id.in_(ids))
                .order_by(Delivery.id)
            )
        ]
        followed = {}
        for _, _, sub in rows:
            if sub is not None and sub.id not in followed:
                try:
                    with language.speaking(sub.language):
                        followed[sub.id] = subscriptions.describe(session, sub)
                except Exception:
                    log.exception("subscription %s could not be described", sub.id)
                    followed[sub.id] = f"alert no. {sub.id}"
    live = []
    for delivery, event, sub in rows:
        if sub is not None and sub.disabled_at is not None:
            _cancel(db, delivery.id)
        else:
            live.append((delivery, event, sub))
    lanes = _jobs(settings, live, followed)
    _run_apart(lambda: _run_lanes(db, lanes, now=now, result=result))


def _run_apart(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine to its end on an event loop of its own (in a thread of its own when
    this thread already runs one: a caller inside an async program)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(make())
        return
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(make())).result()


# -- Running ------------------------------------------------------------------------------


def run_queue(
    db: Database, queue: str, *, now: dt.datetime | None, settings: Settings, result: Round
) -> None:
    """Deliver everything due now in one queue (fanning out new events first, for the
    subscriptions' queue)."""
    if queue == SUBSCRIPTIONS:
        while True:
            current = now or dt.datetime.now(dt.UTC)
            events, queued = fan_out(db, now=current, settings=settings)
            result.events += events
            result.queued += queued
            if events < BATCH:
                break
    while True:
        current = now or dt.datetime.now(dt.UTC)
        ids = claim(db, now=current, queue=queue)
        if not ids:
            break
        deliver(db, ids, now=current, settings=settings, result=result)
        if len(ids) < BATCH:
            break


def run_once(db: Database, *, now: dt.datetime | None = None, settings: Settings | None = None) -> Round:
    """Deliver the account messages due now, then fan out every new event and deliver
    everything due now; returns what was done."""
    settings = settings or get_settings()
    result = Round()
    for queue in QUEUES:
        run_queue(db, queue, now=now, settings=settings, result=result)
    return result


# Other work the worker does, on a thread of its own so that it never holds the deliveries
# (archiving links, reading documents' text, checking links): each returns how much it did.
Chore = Callable[[Database], int]


def run(db: Database, *, stop: threading.Event, interval: float = 2.0, chores: Sequence[Chore] = ()) -> None:
    """Run rounds until `stop` is set, one thread per queue (and one for the `chores`), each
    waiting `interval` seconds when there was nothing to do."""
    threads = [
        threading.Thread(target=_work, args=(db, queue, stop, interval), name=f"worker-{queue}", daemon=True)
        for queue in QUEUES
    ]
    if chores:
        args = (db, chores, stop, interval)
        threads.append(threading.Thread(target=_chores, args=args, name="worker-chores", daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _work(db: Database, queue: str, stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        result = Round()
        try:
            run_queue(db, queue, now=None, settings=get_settings(), result=result)
        except Exception:  # a database outage must not end the worker: log and try again
            log.exception("worker round (%s) failed", queue)
            stop.wait(interval * 5)
            continue
        if result:
            log.info("worker (%s): %s", queue, result)
        else:
            stop.wait(interval)


def _chores(db: Database, chores: Sequence[Chore], stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        done = 0
        for chore in chores:
            try:
                done += chore(db)
            except Exception:  # one chore's failure must not stop the others, nor the worker
                log.exception("worker chore %s failed", getattr(chore, "__qualname__", chore))
        if not done:
            stop.wait(interval)
