"""What a delivery says: a webhook's JSON body, an event in words, an alert e-mail."""

import json
from email.message import EmailMessage
from enum import StrEnum
from typing import Any

from app import labels, paths
from app.config import Settings
from app.models import OutboxEvent, Subscription
from app.services.alerts import mail, subscriptions
from app.services.alerts.notices import site_url
from app.vocab import AssertedBy, DecisionKind, EventType, Standing, Status


def webhook_body(event: OutboxEvent) -> str:
    payload = {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": event.data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _words(kind: type[StrEnum], value: Any) -> str:
    """A code of the vocabulary `kind` in the words the pages use (the catalogue's label)."""
    code = str(value or "")
    return labels.label(kind(code)) if code in kind._value2member_map_ else code


def describe_event(event: OutboxEvent) -> tuple[str, str, str]:
    """(A one-line summary, a few lines of detail, the record's page) of an event, in the
    words and with the links of the pages (app.labels, app.paths)."""
    data = event.data
    decision = data.get("decision") or {}
    rec = data.get("recommendation") or {}
    if event.type == EventType.decision_created.value:
        return (
            f"New decision {decision.get('reference')}",
            f"{decision.get('title')}\nIssued {decision.get('issued_on')} "
            f"({_words(DecisionKind, decision.get('kind'))}).",
            paths.page("decision", decision.get("id")),
        )
    if event.type == EventType.standing_changed.value:
        before, after = _words(Standing, data.get("before")), _words(Standing, data.get("after"))
        return (
            f"Decision {decision.get('reference')}: {after}",
            f"{decision.get('title')}\nStanding: {after} (was {before}).",
            paths.page("decision", decision.get("id")),
        )
    if event.type == EventType.status_changed.value:
        before, after = _words(Status, data.get("before")), _words(Status, data.get("after"))
        return (
            f"Recommendation {rec.get('id')}: {after}",
            f"{rec.get('text')}\nStatus: {after} (was {before}).",
            paths.page("recommendation", rec.get("id")),
        )
    assessment = data.get("assessment") or {}
    return (
        f"New assessment of recommendation {rec.get('id')}: {_words(Status, assessment.get('status'))}",
        f"{rec.get('text')}\nAssessed {assessment.get('assessed_on')}, "
        f"asserted by: {_words(AssertedBy, assessment.get('asserted_by'))}"
        + (f". {assessment.get('note')}" if assessment.get("note") else "."),
        paths.page("recommendation", rec.get("id")),
    )


def event_email(
    settings: Settings, *, sub: Subscription, followed: str, events: list[OutboxEvent], to: str
) -> EmailMessage:
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


