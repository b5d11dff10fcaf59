"""Self-service accounts: a reader signs up and confirms the address, anyone resets a
forgotten password. Every message goes through the outbox (`notices`), and both requests
are limited per client address and per e-mail address (`ratelimit`).

The answers never tell whether an address has an account: signing up with a known address
sends that address a note instead of a confirmation, and a reset for an unknown address
sends nothing, while the page says the same in every case.
"""

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import FieldError, Invalid, TooManyRequests
from app.models import AccountToken, User, UserSession
from app.services.accounts import ratelimit, users
from app.services.alerts import notices
from app.services.shared import audit
from app.vocab import Role

CONFIRM = "confirm"
RESET = "reset"
LIFETIMES = {CONFIRM: dt.timedelta(hours=24), RESET: dt.timedelta(hours=1)}
PER_CLIENT = 10  # requests an hour from one client address
PER_ADDRESS = 3  # requests an hour for one e-mail address


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limit(session: Session, *, what: str, client: str, email: str) -> None:
    for key, limit in ((f"{what}:client:{client}", PER_CLIENT), (f"{what}:email:{email}", PER_ADDRESS)):
        limited = ratelimit.hit(session, key=key, limit=limit)
        if limited is not None:
            raise TooManyRequests(
                f"Too many requests; try again in {limited.retry_after} seconds.",
                headers={"Retry-After": str(limited.retry_after)},
            )


def _issue(session: Session, *, user: User, purpose: str, client: str) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(token),
            expires_at=dt.datetime.now(dt.UTC) + LIFETIMES[purpose],
            client=client[:100],
        )
    )
    return token


def sign_up(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    client: str,
    link: Callable[[str], str],
) -> None:
    """Make an unconfirmed reader account and mail its confirmation link (`link(token)`)."""
    address = users.normalise_email(email)
    _limit(session, what="signup", client=client, email=address)
    existing = session.scalar(select(User).where(User.email == address))
    if existing is not None:
        if existing.email_confirmed_at is None and existing.disabled_at is None:
            notices.confirm_address(
                session,
                user=existing,
                link=link(_issue(session, user=existing, purpose=CONFIRM, client=client)),
            )
        else:
            notices.send(
                session,
                to=existing.email,
                subject="You already have a Findings Tracker account",
                body=(
                    "Someone (we hope you) tried to make a Findings Tracker account with this address, "
                    "which already has one. Sign in, or reset your password if you have forgotten it:\n\n"
                    f"{notices.site_url('/password-reset')}\n"
                ),
            )
        return
    user = users.create(
        session, email=address, name=name, role=Role.reader, password=password, confirmed=False
    )
    notices.confirm_address(
        session, user=user, link=link(_issue(session, user=user, purpose=CONFIRM, client=client))
    )


def _redeem(session: Session, *, token: str, purpose: str, use: bool) -> User | None:
    if not token or len(token) > 200:
        return None
    now = dt.datetime.now(dt.UTC)
    row = session.scalar(
        select(AccountToken).where(AccountToken.token_hash == _hash(token), AccountToken.purpose == purpose)
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if use:
        row.used_at = now
    return user


def confirm(session: Session, *, token: str) -> User | None:
    """Confirm the address a link was sent to; None for a link that is unknown, used or expired."""
    user = _redeem(session, token=token, purpose=CONFIRM, use=True)
    if user is not None and user.email_confirmed_at is None:
        user.email_confirmed_at = dt.datetime.now(dt.UTC)
        audit.record(
            session,
            action="confirm",
            entity="user",
            entity_id=user.id,
            before=None,
            after={"email": user.email},
        )
    return user


def request_reset(session: Session, *, email: str, client: str, link: Callable[[str], str]) -> None:
    """Mail a one-time reset link to the address, if it has an active account."""
    address = users.normalise_email(email)
    _limit(session, what="reset", client=client, email=address)
    user = session.scalar(select(User).where(User.email == address))
    if user is None or user.disabled_at is not None:
        return
    notices.password_reset(
        session, user=user, link=link(_issue(session, user=user, purpose=RESET, client=client))
    )


def reset_is_valid(session: Session, *, token: str) -> bool:
    return _redeem(session, token=token, purpose=RESET, use=False) is not None


def reset(session: Session, *, token: str, password: str) -> User:
    """Set a new password through a reset link; every session of the account ends."""
    user = _redeem(session, token=token, purpose=RESET, use=False)
    if user is None:
        raise Invalid(
            "This reset link is unknown, used or expired; ask for a new one.",
            [FieldError("token", "unknown, used or expired", "token")],
        )
    users.check_password(password, user_inputs=(user.email, user.name))
    _redeem(session, token=token, purpose=RESET, use=True)
    user.password_hash = users.hasher.hash(password)
    # Whoever reset it owns the address: a reset also confirms it.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = dt.datetime.now(dt.UTC)
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
    audit.record(session, action="reset_password", entity="user", entity_id=user.id, before=None, after=None)
    return user
