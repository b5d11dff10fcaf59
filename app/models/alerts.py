"""Alerts: subscriptions, the outbox of events, and each delivery of an event or a message.

An event is written to `outbox_events` in the same transaction as the change that causes
it, so a rolled-back change leaves none. The worker turns each event into one `deliveries`
row per matching subscription (unique per subscription and event, so an event reaches a
subscription once), then delivers them. Account messages (sign-up confirmation, password
reset, a disabled-subscription notice) are deliveries without a subscription.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, Versioned, enum_column, utcnow
from app.vocab import Channel, DeliveryStatus, TargetType


class Subscription(Versioned, Base):
    """Someone following a record (or a saved list query) on one channel."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The owner: the account or the API token that made it (exactly one).
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    token_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("api_tokens.id", ondelete="CASCADE"))
    target_type: Mapped[TargetType] = enum_column(TargetType)
    target_id: Mapped[int | None] = mapped_column(BigId)
    # For a query target: the decision list's query string, normalised.
    query: Mapped[str | None] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    channel: Mapped[Channel] = enum_column(Channel)
    url: Mapped[str | None] = mapped_column(String(2000))
    # E-mail: one message a day instead of one per event.
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language its e-mails are written in ("en" or "fr", app/language.py): the one it was
    # made in.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # `whsec_...`: signs the webhooks (shown once) and the e-mails' unsubscribe links.
    secret: Mapped[str] = mapped_column(String(100))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[dt.datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_subscriptions_target", "target_type", "target_id"),
        Index("ix_subscriptions_user_id", "user_id"),
        Index("ix_subscriptions_token_id", "token_id"),
    )


class OutboxEvent(Base):
    """Something that changed, written in the transaction that changed it."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decision_id: Mapped[int | None] = mapped_column(BigId)
    # What it concerns, for matching: {"organisation_ids": [...], "regulator_ids": [...],
    # "case_id": ..., "decision_id": ...}.
    subjects: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The webhook payload's `data`.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    fanned_out_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_outbox_events_fanned_out_at_id", "fanned_out_at", "id"),)


class Delivery(Base):
    """One event (or one account message) on its way to one recipient."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("outbox_events.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = enum_column(Channel)
    # The webhook URL or the e-mail address, as it was when the delivery was made.
    recipient: Mapped[str] = mapped_column(String(2000))
    # An account message's own text (deliveries of events are rendered from the event).
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = enum_column(DeliveryStatus, default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A worker holds the delivery until then (another worker skips it meanwhile).
    locked_until: Mapped[dt.datetime | None]
    last_attempt_at: Mapped[dt.datetime | None]
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_deliveries_subscription_id_id", "subscription_id", "id"),
    )


class AccountToken(Base):
    """A one-time link sent by e-mail (confirm an address, reset a password); only its
    SHA-256 is kept."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    # The address the request came from, for the per-client limit.
    client: Mapped[str] = mapped_column(String(100), default="")
    # A confirmation carries the password (its hash) and name given with its sign-up: the
    # confirmed sign-up sets them, so a stranger's earlier sign-up leaves nothing behind.
    password_hash: Mapped[str | None] = mapped_column(String(300))
    name: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_account_tokens_user_id", "user_id"),)


class RateLimitHit(Base):
    """One request counted against a limit (sign-up and password-reset requests, per client
    address and per e-mail address); rows older than the longest window are removed as new
    ones come."""

    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key", "at"),)
