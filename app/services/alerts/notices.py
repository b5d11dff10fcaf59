"""Messages to an account (confirm an address, reset a password, a subscription turned off),
written to the outbox in the transaction that causes them and sent by the worker like every
other e-mail. Each is written in the language of the request that causes it (app/language.py),
a subscription's in the subscription's."""

from sqlalchemy.orm import Session

from app import language
from app.config import get_settings
from app.labels import gettext
from app.models import Delivery, Subscription, User
from app.vocab import Channel

DEFAULT_SITE = "http://127.0.0.1:8000"


def site_url(path: str) -> str:
    """An absolute address on this site, for links in messages (`BASE_URL`, when set)."""
    base = (get_settings().base_url or DEFAULT_SITE).rstrip("/")
    return base + path


def send(session: Session, *, to: str, subject: str, body: str) -> Delivery:
    delivery = Delivery(channel=Channel.email, recipient=to, subject=subject[:300], body=body)
    session.add(delivery)
    return delivery


def confirm_address(session: Session, *, user: User, link: str, name: str | None = None) -> Delivery:
    """The link confirming a sign-up, greeting the `name` that sign-up gave (not the name of an
    earlier, unconfirmed sign-up with the same address)."""
    return send(
        session,
        to=user.email,
        subject=gettext("Confirm your address for Findings Tracker"),
        body=gettext(
            "Hello %(name)s,\n\n"
            "Someone (we hope you) made a Findings Tracker account with this address. To confirm "
            "it, open this link within 24 hours:\n\n%(link)s\n\n"
            "If it was not you, ignore this message: the account stays unusable.\n"
        )
        % {"name": name or user.name, "link": link},
    )


def password_reset(session: Session, *, user: User, link: str) -> Delivery:
    return send(
        session,
        to=user.email,
        subject=gettext("Reset your Findings Tracker password"),
        body=gettext(
            "Hello %(name)s,\n\n"
            "To choose a new password, open this link within one hour (it works once):\n\n"
            "%(link)s\n\nIf you did not ask for this, ignore this message: your password is unchanged.\n"
        )
        % {"name": user.name, "link": link},
    )


def subscription_disabled(session: Session, *, user: User, sub: Subscription) -> Delivery:
    with language.speaking(sub.language):
        body = (
            gettext(
                "Hello %(name)s,\n\n"
                "Your alert no. %(id)s was turned off: %(why)s\n\n"
                "You can turn it back on from %(url)s once the problem is fixed.\n"
            )
            % {"name": user.name, "id": sub.id, "why": sub.disabled_reason, "url": site_url("/subscriptions")}
        )
        return send(session, to=user.email, subject=gettext("An alert of yours was turned off"), body=body)
