"""What a delivery says: a webhook's JSON body, an event in words, an alert e-mail (written in
its subscription's language, app/language.py; the webhook's JSON keeps the codes)."""

import datetime as dt
import json
from email.message import EmailMessage
from enum import StrEnum
from typing import Any

from app import formats, labels, language, paths
from app.config import Settings
from app.labels import gettext
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
            gettext("New decision %(reference)s") % {"reference": decision.get("reference")},
            f"{decision.get('title')}\n"
            + gettext("Issued %(day)s (%(kind)s).")
            % {"day": _day(decision.get("issued_on")), "kind": _words(DecisionKind, decision.get("kind"))},
            paths.page("decision", decision.get("id")),
        )
    if event.type == EventType.standing_changed.value:
        before, after = _words(Standing, data.get("before")), _words(Standing, data.get("after"))
        return (
            gettext("Decision %(reference)s: %(after)s")
            % {"reference": decision.get("reference"), "after": after},
            f"{decision.get('title')}\n"
            + gettext("Standing: %(after)s (was %(before)s).") % {"after": after, "before": before},
            paths.page("decision", decision.get("id")),
        )
    if event.type == EventType.status_changed.value:
        before, after = _words(Status, data.get("before")), _words(Status, data.get("after"))
        return (
            gettext("Recommendation %(id)s: %(after)s") % {"id": rec.get("id"), "after": after},
            f"{rec.get('text')}\n"
            + gettext("Status: %(after)s (was %(before)s).") % {"after": after, "before": before},
            paths.page("recommendation", rec.get("id")),
        )
    assessment = data.get("assessment") or {}
    said = {
        "id": rec.get("id"),
        "status": _words(Status, assessment.get("status")),
        "day": _day(assessment.get("assessed_on")),
        "by": _words(AssertedBy, assessment.get("asserted_by")),
    }
    return (
        gettext("New assessment of recommendation %(id)s: %(status)s") % said,
        f"{rec.get('text')}\n"
        + gettext("Assessed %(day)s, asserted by: %(by)s") % said
        + (f". {assessment.get('note')}" if assessment.get("note") else "."),
        paths.page("recommendation", rec.get("id")),
    )


def _day(value: Any) -> str:
    """A day of an event's data ("2021-02-03") as the language writes it."""
    try:
        return formats.day(dt.date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def event_email(
    settings: Settings, *, sub: Subscription, followed: str, events: list[OutboxEvent], to: str
) -> EmailMessage:
    """The alert e-mail of some events, in the subscription's language."""
    with language.speaking(sub.language):
        return _event_email(settings, sub=sub, followed=followed, events=events, to=to)


def _event_email(
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
        subject = f"{followed}: " + gettext("%(n)s changes today") % {"n": formats.number(len(events))}
    body = (
        gettext("You follow %(followed)s on Findings Tracker.") % {"followed": followed}
        + "\n\n"
        + "\n\n".join(parts)
        + "\n\n--\n"
        + gettext("Stop these alerts: %(url)s") % {"url": unsubscribe}
        + "\n"
        + gettext("All your alerts: %(url)s") % {"url": site_url("/subscriptions")}
        + "\n"
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
