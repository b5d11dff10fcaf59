"""Accounts for the browser pages: argon2id password hashes, server-side sessions, and a
throttle on failed sign-ins.

A session id is 256 random bits held in the visitor's cookie; the database keeps only its
SHA-256, so a copy of the database cannot be replayed as a cookie. Failed sign-ins are
written to the audit log (in every app process's view, as they share the database) and more
than `MAX_FAILURES` for one address within `FAILURE_WINDOW` are refused until the oldest of
them is old enough.
"""

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import Conflict, FieldError, Invalid
from app.models import AuditEntry, User, UserSession
from app.services import audit
from app.vocab import Role

MIN_PASSWORD = 8
MAX_PASSWORD = 128
SESSION_LIFETIME = dt.timedelta(days=14)
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
FAILURE_ENTITY = "sign_in"

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")

hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the address is unknown, so both failures take the same time.
_DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    return email.replace("\x00", "").strip().lower()


def check_password(password: str, field: str = "password") -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
            [FieldError(field, f"must have {MIN_PASSWORD} to {MAX_PASSWORD} characters", "length")],
        )


def create(
    session: Session, *, email: str, name: str, role: Role, password: str, confirmed: bool = True
) -> User:
    """A new account; `confirmed=False` for a self-registered reader who must confirm the address."""
    email = normalise_email(email)
    errors = []
    if not EMAIL.match(email) or len(email) > 320:
        errors.append(FieldError("email", "is not an e-mail address", "email"))
    name = name.strip()
    if not 1 <= len(name) <= 200:
        errors.append(FieldError("name", "must have 1 to 200 characters", "length"))
    if errors:
        raise Invalid("; ".join(f"{e.field} {e.message}" for e in errors) + ".", errors)
    check_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with e-mail {email} already exists.", [FieldError("email", "already used")])
    user = User(
        email=email,
        name=name,
        role=role,
        password_hash=hasher.hash(password),
        email_confirmed_at=dt.datetime.now(dt.UTC) if confirmed else None,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        action="create",
        entity="user",
        entity_id=user.id,
        before=None,
        after=audit.row(user, exclude=("password_hash", "created_at", "updated_at")),
    )
    return user


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class Throttled:
    retry_after: int  # seconds


def _failure_actor(email: str) -> str:
    return f"sign-in:{email}"[:200]


def throttled(session: Session, *, email: str, now: dt.datetime | None = None) -> Throttled | None:
    """Whether sign-ins to this address are paused after too many failures, and for how long."""
    now = now or dt.datetime.now(dt.UTC)
    recent = list(
        session.scalars(
            select(AuditEntry.at)
            .where(
                AuditEntry.entity == FAILURE_ENTITY,
                AuditEntry.entity_id == 0,
                AuditEntry.actor == _failure_actor(normalise_email(email)),
                AuditEntry.at > now - FAILURE_WINDOW,
            )
            .order_by(AuditEntry.at.desc())
            .limit(MAX_FAILURES)
        )
    )
    if len(recent) < MAX_FAILURES:
        return None
    wait = recent[-1] + FAILURE_WINDOW - now
    return Throttled(max(1, int(wait.total_seconds()) + 1))


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with this address and password, or None (the same for either mistake).

    A failure is recorded for the throttle; call `throttled` first.
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
    session.add(
        AuditEntry(
            actor=_failure_actor(email),
            action="sign_in_failed",
            entity=FAILURE_ENTITY,
            entity_id=0,
            before=None,
            after=None,
        )
    )
    session.flush()
    return None


def start_session(session: Session, *, user: User, replacing: str | None = None) -> tuple[str, UserSession]:
    """A new session for `user` (a fresh id at every sign-in); the one it replaces is ended."""
    if replacing:
        end_session(session, session_id=replacing)
    session_id = secrets.token_urlsafe(32)
    row = UserSession(
        session_hash=hash_session_id(session_id),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=dt.datetime.now(dt.UTC) + SESSION_LIFETIME,
    )
    session.add(row)
    session.flush()
    return session_id, row


def find_session(
    session: Session, *, session_id: str, now: dt.datetime | None = None
) -> tuple[User, UserSession] | None:
    """The live session with this id and its (enabled) user, or None."""
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
    return user, user_session


def end_session(session: Session, *, session_id: str) -> None:
    """Revoke the session with this id (signing out); unknown ids are ignored."""
    session.execute(
        update(UserSession)
        .where(
            UserSession.session_hash == hash_session_id(session_id),
            UserSession.revoked_at.is_(None),
        )
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
