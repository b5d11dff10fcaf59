"""Accounts for the browser pages: argon2id password hashes, server-side sessions, and a
throttle on failed sign-ins.

A session id is 256 random bits held in the visitor's cookie; the database keeps only its
SHA-256, so a copy of the database cannot be replayed as a cookie.

Failed sign-ins are kept in `sign_in_failures` (shared by every app process; pruned as they
age, and never in the audit log) with the e-mail address tried and the client's address.
Sign-ins are paused for an e-mail address *from one client address* after `MAX_FAILURES`
failures there within `FAILURE_WINDOW`, and for a client address after
`MAX_CLIENT_FAILURES` failures at any e-mail addresses (password spraying): someone guessing
from elsewhere cannot lock the owner of an account out of it.

Wrong second-factor codes (which only someone holding the password can send) are limited
further: `CODES_PER_PENDING_SESSION` tries per pending session, taken by a conditional UPDATE
(many at once still get that many), and `MAX_SECOND_FACTOR_FAILURES` per account from any
client address within `FAILURE_WINDOW`.
"""

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from app.errors import Conflict, FieldError, Invalid, NotFound
from app.models import AccountToken, SignInFailure, User, UserSession
from app.services.shared import audit
from app.vocab import Role

MIN_PASSWORD = 8
MAX_PASSWORD = 128
MIN_PASSWORD_SCORE = 3  # zxcvbn's scale 0-4; 3 is "safely unguessable" offline-attack cost
SESSION_LIFETIME = dt.timedelta(days=14)
# A session unused for this long ends (its last use is noted at most once a minute).
IDLE_TIMEOUT = dt.timedelta(minutes=30)
SEEN_RESOLUTION = dt.timedelta(minutes=1)
# Between a right password and the second factor (or an admin's enrolment).
PENDING_LIFETIME = dt.timedelta(minutes=10)
MAX_FAILURES = 5
MAX_CLIENT_FAILURES = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
CODES_PER_PENDING_SESSION = 5
MAX_SECOND_FACTOR_FAILURES = 10

# The purposes of e-mailed links (`account_tokens.purpose`).
CONFIRM = "confirm"
RESET = "reset"

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")

hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the address is unknown, so both failures take the same time.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    return email.replace("\x00", "").strip().lower()


def check_password(password: str, field: str = "password", user_inputs: Sequence[str] = ()) -> None:
    """Refuse a password that is too short or too long, or that an offline estimate (zxcvbn:
    common and breached passwords, keyboard patterns, dates, repeats, the user's own e-mail
    address and name) finds guessable in fewer than about 10^10 tries (score under 3)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
            [FieldError(field, f"must have {MIN_PASSWORD} to {MAX_PASSWORD} characters", "length")],
        )
    inputs = [part for value in user_inputs for part in [*re.split(r"[@.\s_-]+", value), value] if part]
    # The estimator reads at most 72 characters; a longer password is judged by its start.
    estimate = zxcvbn(password[:72], user_inputs=inputs)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        feedback = estimate.get("feedback") or {}
        hint = " ".join([feedback.get("warning") or "", *(feedback.get("suggestions") or [])]).strip()
        raise Invalid(
            "This password is too easy to guess"
            + (f": {hint}" if hint else ".")
            + " A few uncommon words make a strong one.",
            [FieldError(field, "is too easy to guess", "weak_password")],
        )


def check_new_account(*, email: str, name: str, password: str) -> tuple[str, str]:
    """The e-mail address and name of a new account, normalised, once they and the password
    pass every check (the same checks, and so the same answer, whoever holds the address)."""
    email = normalise_email(email)
    errors = []
    if not EMAIL.match(email) or len(email) > 320:
        errors.append(FieldError("email", "is not an e-mail address", "email"))
    name = name.strip()
    if not 1 <= len(name) <= 200:
        errors.append(FieldError("name", "must have 1 to 200 characters", "length"))
    if errors:
        raise Invalid("; ".join(f"{e.field} {e.message}" for e in errors) + ".", errors)
    check_password(password, user_inputs=(email, name))
    return email, name


def create(
    session: Session, *, email: str, name: str, role: Role, password: str, confirmed: bool = True
) -> User:
    """A new account; `confirmed=False` for a self-registered reader who must confirm the address."""
    email, name = check_new_account(email=email, name=name, password=password)
    return add_user(
        session, email=email, name=name, role=role, password_hash=hasher.hash(password), confirmed=confirmed
    )


def add_user(
    session: Session, *, email: str, name: str, role: Role, password_hash: str, confirmed: bool
) -> User:
    """Store an account whose address, name and password `check_new_account` has passed."""
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with e-mail {email} already exists.", [FieldError("email", "already used")])
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
        email_confirmed_at=dt.datetime.now(dt.UTC) if confirmed else None,
    )
    session.add(user)
    session.flush()
    audit.created(
        session,
        "user",
        user.id,
        audit.row(user, exclude=USER_EXCLUDED),
    )
    return user


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class Throttled:
    retry_after: int  # seconds


def throttled(
    session: Session, *, email: str, client: str, now: dt.datetime | None = None
) -> Throttled | None:
    """Whether sign-ins to this e-mail address from this client address (or any from this
    client address) are paused after too many failures, and for how long."""
    now = now or dt.datetime.now(dt.UTC)
    since = now - FAILURE_WINDOW
    pair = (SignInFailure.email == normalise_email(email)[:320], SignInFailure.client == client[:64])
    checks = ((pair, MAX_FAILURES), (pair[1:], MAX_CLIENT_FAILURES))
    waits = []
    for conditions, limit in checks:
        recent = list(
            session.scalars(
                select(SignInFailure.at)
                .where(*conditions, SignInFailure.at > since)
                .order_by(SignInFailure.at.desc())
                .limit(limit)
            )
        )
        if len(recent) >= limit:
            waits.append(recent[-1] + FAILURE_WINDOW - now)
    if not waits:
        return None
    return Throttled(max(1, int(max(waits).total_seconds()) + 1))


def authenticate(session: Session, *, email: str, password: str, client: str = "unknown") -> User | None:
    """The active user with this address and password, or None (the same for either mistake).

    A failure is recorded for the throttle; call `throttled` first. Argon2 takes tens of
    milliseconds of CPU: call this from a worker thread, never on the event loop.
    """
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email)) if len(email) <= 320 else None
    ok_length = len(password) <= MAX_PASSWORD
    if user is None or not ok_length:
        hasher.verify("x", _DUMMY_HASH)
        valid = False
    else:
        valid = (
            hasher.verify(password, user.password_hash)
            and user.disabled_at is None
            and user.email_confirmed_at is not None
        )
    if valid:
        return user
    record_failure(session, email=email, client=client)
    return None


def record_failure(session: Session, *, email: str, client: str, second_factor: bool = False) -> None:
    """Note a failed sign-in (a wrong password, or a wrong second factor) for the throttle."""
    now = dt.datetime.now(dt.UTC)
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - FAILURE_WINDOW))
    session.add(
        SignInFailure(
            email=normalise_email(email)[:320], client=client[:64], at=now, second_factor=second_factor
        )
    )
    session.flush()


def second_factor_throttled(
    session: Session, *, email: str, now: dt.datetime | None = None
) -> Throttled | None:
    """Whether the account's second step is paused after `MAX_SECOND_FACTOR_FAILURES` wrong
    codes from any client addresses within `FAILURE_WINDOW`, and for how long."""
    now = now or dt.datetime.now(dt.UTC)
    recent = list(
        session.scalars(
            select(SignInFailure.at)
            .where(
                SignInFailure.email == normalise_email(email)[:320],
                SignInFailure.second_factor.is_(True),
                SignInFailure.at > now - FAILURE_WINDOW,
            )
            .order_by(SignInFailure.at.desc())
            .limit(MAX_SECOND_FACTOR_FAILURES)
        )
    )
    if len(recent) < MAX_SECOND_FACTOR_FAILURES:
        return None
    return Throttled(max(1, int((recent[-1] + FAILURE_WINDOW - now).total_seconds()) + 1))


def take_code_attempt(session: Session, *, session_row_id: int) -> bool:
    """Take one of the pending session's `CODES_PER_PENDING_SESSION` tries at a second-factor
    code; False when none is left (or the session is no longer pending). One conditional
    UPDATE: requests sent at once cannot all take the last one."""
    result = session.execute(
        update(UserSession)
        .where(
            UserSession.id == session_row_id,
            UserSession.revoked_at.is_(None),
            UserSession.second_factor_pending.is_(True),
            UserSession.code_attempts < CODES_PER_PENDING_SESSION,
        )
        .values(code_attempts=UserSession.code_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def void_links(session: Session, *, user_id: int, purposes: Sequence[str], keep: int | None = None) -> None:
    """Use up every outstanding e-mailed link of the user for these purposes (but `keep`)."""
    stmt = update(AccountToken).where(
        AccountToken.user_id == user_id, AccountToken.purpose.in_(purposes), AccountToken.used_at.is_(None)
    )
    if keep is not None:
        stmt = stmt.where(AccountToken.id != keep)
    session.execute(stmt.values(used_at=dt.datetime.now(dt.UTC)).execution_options(synchronize_session=False))


def start_session(
    session: Session, *, user: User, replacing: str | None = None, pending: bool = False
) -> tuple[str, UserSession]:
    """A new session for `user` (a fresh id at every sign-in); the one it replaces is ended.
    A `pending` one waits for the second factor and opens nothing else."""
    if replacing:
        end_session(session, session_id=replacing)
    session_id = secrets.token_urlsafe(32)
    row = UserSession(
        session_hash=hash_session_id(session_id),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=dt.datetime.now(dt.UTC) + (PENDING_LIFETIME if pending else SESSION_LIFETIME),
        second_factor_pending=pending,
    )
    session.add(row)
    session.flush()
    return session_id, row


def find_session(
    session: Session, *, session_id: str, now: dt.datetime | None = None, pending: bool = False
) -> tuple[User, UserSession] | None:
    """The live session with this id and its (enabled) user, or None (also for a session idle
    longer than `IDLE_TIMEOUT`, and, unless `pending`, one still waiting for its second factor)."""
    if not session_id or len(session_id) > 200:
        return None
    now = now or dt.datetime.now(dt.UTC)
    row = session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.session_hash == hash_session_id(session_id))
    ).first()
    if row is None:
        return None
    user, user_session = row
    if user_session.revoked_at is not None or user_session.expires_at <= now or user.disabled_at is not None:
        return None
    if (user_session.last_seen_at or user_session.created_at) <= now - IDLE_TIMEOUT:
        return None
    if user_session.second_factor_pending and not pending:
        return None
    return user, user_session


def seen_is_stale(user_session: UserSession, now: dt.datetime) -> bool:
    return (user_session.last_seen_at or user_session.created_at) <= now - SEEN_RESOLUTION


def touch_session(session: Session, *, session_row_id: int, now: dt.datetime) -> None:
    """Note a use of the session (for the idle timeout)."""
    session.execute(update(UserSession).where(UserSession.id == session_row_id).values(last_seen_at=now))


def end_sessions_of(session: Session, *, user_id: int, keep: int | None = None) -> int:
    """End every live session of a user (but `keep`, a session row id); how many ended."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    return _rowcount(session.execute(stmt.values(revoked_at=dt.datetime.now(dt.UTC))))


def get_by_email(session: Session, *, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"There is no user with e-mail {normalise_email(email)}.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def audit_change(session: Session, user: User, before: dict[str, object]) -> None:
    after = audit.row(user, exclude=USER_EXCLUDED)
    audit.updated(session, "user", user.id, before, after)


USER_EXCLUDED = ("password_hash", "totp_secret", "created_at", "updated_at")


def set_disabled(session: Session, *, email: str, disabled: bool) -> User:
    """Disable (ending every session at once) or enable an account."""
    user = get_by_email(session, email=email)
    before = audit.row(user, exclude=USER_EXCLUDED)
    user.disabled_at = dt.datetime.now(dt.UTC) if disabled else None
    session.flush()
    if disabled:
        end_sessions_of(session, user_id=user.id)
    audit_change(session, user, before)
    return user


def set_role(session: Session, *, email: str, role: Role) -> User:
    user = get_by_email(session, email=email)
    before = audit.row(user, exclude=USER_EXCLUDED)
    user.role = role
    session.flush()
    # A changed role applies from the next sign-in: end the sessions opened under the old one.
    end_sessions_of(session, user_id=user.id)
    audit_change(session, user, before)
    return user


def change_password(
    session: Session, *, user_id: int, current: str, new: str, keep_session: int | None = None
) -> User:
    """Change a user's own password (the current one is asked again); every other session ends."""
    user = session.get(User, user_id)
    if user is None or not hasher.verify(current, user.password_hash):
        raise Invalid(
            "The current password is wrong; nothing was changed.",
            [FieldError("current_password", "is wrong", "wrong_password")],
        )
    check_password(new, "new_password", user_inputs=(user.email, user.name))
    if hasher.verify(new, user.password_hash):
        raise Invalid(
            "The new password is the current one.", [FieldError("new_password", "is the current password")]
        )
    before = audit.row(user, exclude=USER_EXCLUDED)
    user.password_hash = hasher.hash(new)
    session.flush()
    end_sessions_of(session, user_id=user.id, keep=keep_session)
    # A reset link asked for before the change must not undo it.
    void_links(session, user_id=user.id, purposes=(RESET,))
    audit_change(session, user, before | {"password": "(old)"})
    return user


def end_session(session: Session, *, session_id: str) -> bool:
    """Revoke the session with this id (signing out); whether this call ended it (False for
    an unknown id or one already ended: of two requests ending one session, one is told True)."""
    result = session.execute(
        update(UserSession)
        .where(
            UserSession.session_hash == hash_session_id(session_id),
            UserSession.revoked_at.is_(None),
        )
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
    return _rowcount(result) == 1
