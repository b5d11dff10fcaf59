"""Two-factor sign-in (TOTP, RFC 6238): enrolment, the second step of a sign-in, and the
recovery codes (shown once; only their SHA-256 hashes are kept).

Every code is good once, also when sent many times at once: the code is checked in Python,
then taken by one conditional UPDATE (the TOTP step only grows; a recovery code is used
WHERE used_at IS NULL) whose row count says whether this request took it. On PostgreSQL a
concurrent request waits for the row lock and then finds the condition false.
"""

import datetime as dt
import hashlib
import re
import secrets

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.errors import FieldError, Invalid, NotFound
from app.models import RecoveryCode, User, UserSession
from app.services.accounts.users import USER_EXCLUDED, audit_change, end_session, start_session
from app.services.shared import audit
from app.vocab import Role

TOTP_ISSUER = "Findings Tracker"
RECOVERY_CODES = 10


def needs_second_factor(user: User) -> bool:
    """Whether signing in takes a second step: for anyone who enrolled, and for every admin
    (an admin without one must enrol before the session opens anything)."""
    return user.totp_enabled_at is not None or user.role is Role.admin


def totp_uri(user: User) -> str:
    assert user.totp_secret is not None
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def begin_enrolment(session: Session, *, user_id: int) -> User:
    """Give the user a new TOTP secret to enrol (kept until confirmed; not yet in force)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such user.")
    if user.totp_enabled_at is None and user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        session.flush()
    return user


def _code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _hash_code(code: str) -> str:
    return hashlib.sha256(_code(code).encode()).hexdigest()


def _totp_step(user: User, code: str) -> int | None:
    """The time step (this one, or one either side for clock drift) whose code is `code`, if
    it is later than the last one accepted: each code signs in once."""
    assert user.totp_secret is not None
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(dt.datetime.now(dt.UTC))
    for step in (current, current - 1, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(session: Session, *, user_id: int, code: str) -> list[str]:
    """Put the enrolled secret in force once a code from the app checks; return the recovery
    codes (shown once; only their hashes are kept)."""
    user = session.get(User, user_id)
    if user is None or user.totp_secret is None:
        raise Invalid("Start the enrolment first.", [FieldError("code", "no enrolment started")])
    step = _totp_step(user, _code(code))
    if step is None:
        raise Invalid(
            "The code does not match; check the time on your device and try the next code.",
            [FieldError("code", "does not match", "wrong_code")],
        )
    before = audit.row(user, exclude=USER_EXCLUDED)
    if not _take_step(session, user=user, step=step):
        raise Invalid(
            "That code was used already; wait for the next one.",
            [FieldError("code", "was used already", "wrong_code")],
        )
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    user.totp_enabled_at = dt.datetime.now(dt.UTC)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes)
    session.flush()
    audit_change(session, user, before)
    return codes


def _take_step(session: Session, *, user: User, step: int) -> bool:
    """Record `step` as the last accepted, unless a request at the same time took it (or a
    later one) first."""
    result = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def recovery_codes_left(session: Session, *, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def check_second_factor(session: Session, *, user: User, code: str) -> bool:
    """Whether `code` is the user's current TOTP code, or one of their unused recovery codes;
    either is used up by this call, and only one of many calls at once is told True."""
    if user.totp_secret is None or user.totp_enabled_at is None:
        return False
    cleaned = _code(code)
    if cleaned.isdigit() and len(cleaned) == 6:
        step = _totp_step(user, cleaned)
        return step is not None and _take_step(session, user=user, step=step)
    result = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=dt.datetime.now(dt.UTC))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def promote_session(session: Session, *, user: User, pending_id: str) -> tuple[str, UserSession] | None:
    """The second factor checked (or enrolled): end the pending session, open a full one; None
    when the pending session was ended meanwhile (by a request at the same time)."""
    if not end_session(session, session_id=pending_id):
        return None
    return start_session(session, user=user)
