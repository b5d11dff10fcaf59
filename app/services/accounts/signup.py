"""Self-service accounts: a reader signs up and confirms the address, anyone resets a
forgotten password. Every message goes through the outbox (`notices`), and both requests
are limited per client address and per e-mail address (`ratelimit`).

The answers never tell whether an address has an account: every sign-up is checked the same
way (address, name, password strength) and its password hashed, whoever holds the address,
and only then does a known address get a note instead of a confirmation; a reset for an
unknown address sends nothing, while the page says the same in every case. A request counts
against the limits whether it is accepted or refused.

No pre-hijack: a confirmation link carries the password (its hash) and name of the sign-up
that sent it, and confirming sets them, so a stranger who signed up first with your address
leaves nothing behind once you confirm yours; confirming, or resetting, voids every other
outstanding link. Each link is used once, by a conditional UPDATE checked by its row count.
"""

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import FieldError, Invalid, TooManyRequests
from app.models import AccountToken, User, UserSession
from app.services.accounts import ratelimit, users
from app.services.alerts import notices
from app.services.shared import audit
from app.vocab import Role

CONFIRM = users.CONFIRM
RESET = users.RESET
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


def _issue(
    session: Session,
    *,
    user: User,
    purpose: str,
    client: str,
    password_hash: str | None = None,
    name: str | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash(token),
            expires_at=dt.datetime.now(dt.UTC) + LIFETIMES[purpose],
            client=client[:100],
            password_hash=password_hash,
            name=name,
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
    """Make an unconfirmed reader account (or, for an address already signed up but not
    confirmed, a new confirmation) and mail its confirmation link (`link(token)`).

    The limits count first (a refused sign-up counts too; call this outside a savepoint that a
    refusal would roll back); then every check, and the password's hash, whoever holds the
    address; the writes last, in a savepoint of their own.
    """
    address = users.normalise_email(email)
    _limit(session, what="signup", client=client, email=address)
    address, name = users.check_new_account(email=address, name=name, password=password)
    password_hash = users.hasher.hash(password)
    with session.begin_nested():
        existing = session.scalar(select(User).where(User.email == address))
        if existing is None:
            try:
                with session.begin_nested():
                    user = users.add_user(
                        session,
                        email=address,
                        name=name,
                        role=Role.reader,
                        password_hash=password_hash,
                        confirmed=False,
                    )
            except IntegrityError:  # the same address signed up at the same moment
                existing = session.scalars(select(User).where(User.email == address)).one()
            else:
                token = _issue(
                    session, user=user, purpose=CONFIRM, client=client, password_hash=password_hash, name=name
                )
                notices.confirm_address(session, user=user, link=link(token))
                return
        if existing.email_confirmed_at is None and existing.disabled_at is None:
            token = _issue(
                session, user=existing, purpose=CONFIRM, client=client, password_hash=password_hash, name=name
            )
            notices.confirm_address(session, user=existing, link=link(token), name=name)
            return
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


def _find(session: Session, *, token: str, purpose: str) -> tuple[AccountToken, User] | None:
    """The live link with this token and its (enabled) user."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(
        select(AccountToken).where(AccountToken.token_hash == _hash(token), AccountToken.purpose == purpose)
    )
    if row is None or row.used_at is not None or row.expires_at <= dt.datetime.now(dt.UTC):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return row, user


def _use(session: Session, row: AccountToken) -> bool:
    """Use the link up; False when a request at the same time used it first."""
    now = dt.datetime.now(dt.UTC)
    result = session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None), AccountToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def confirm(session: Session, *, token: str) -> User | None:
    """Confirm the address a link was sent to, with the password and name of the sign-up that
    sent it; None for a link that is unknown, used or expired. Every other link to confirm the
    address is void from then on."""
    found = _find(session, token=token, purpose=CONFIRM)
    if found is None or not _use(session, found[0]):
        return None
    row, user = found
    users.void_links(session, user_id=user.id, purposes=(CONFIRM,))
    if user.email_confirmed_at is None:
        if row.password_hash is not None:
            user.password_hash = row.password_hash
        if row.name is not None:
            user.name = row.name
        user.email_confirmed_at = dt.datetime.now(dt.UTC)
        audit.record(
            session,
            action="confirm",
            entity="user",
            entity_id=user.id,
            before=None,
            after={"email": user.email, "name": user.name},
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
    return _find(session, token=token, purpose=RESET) is not None


def reset(session: Session, *, token: str, password: str) -> User:
    """Set a new password through a reset link (used once, even by requests at the same time);
    every other reset or confirmation link of the account is void and every session ends."""
    found = _find(session, token=token, purpose=RESET)
    unusable = Invalid(
        "This reset link is unknown, used or expired; ask for a new one.",
        [FieldError("token", "unknown, used or expired", "token")],
    )
    if found is None:
        raise unusable
    row, user = found
    users.check_password(password, user_inputs=(user.email, user.name))
    if not _use(session, row):
        raise unusable
    users.void_links(session, user_id=user.id, purposes=(RESET, CONFIRM))
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
