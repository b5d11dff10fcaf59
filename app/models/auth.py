import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigId, Timestamps, enum_column, utcnow
from app.vocab import Role


class ApiToken(Base):
    """A bearer token for the REST API. Only a hash of the secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[Role] = enum_column(Role)
    # The first characters of the token, to recognise it in listings.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    # The client address it was last used from (a use from a new one is a security event).
    last_used_from: Mapped[str | None] = mapped_column(String(64))
    # Its ETag: a revocation names the version it saw (If-Match), like every other DELETE. The
    # record of its last use is written past the ORM and leaves it alone.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class User(Timestamps, Base):
    """A person who signs in to the browser pages."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = enum_column(Role)
    password_hash: Mapped[str] = mapped_column(String(300))
    disabled_at: Mapped[dt.datetime | None]
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret (base32), set when enrolment
    # starts, in force from `totp_enabled_at` (the recovery codes are `RecoveryCode` rows).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[dt.datetime | None]
    # The time step of the last code accepted: a code is good once (no replay); it only
    # grows, by a conditional UPDATE, so one code sent many times at once is accepted once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # A self-registered reader signs in only once the address is confirmed (accounts made
    # on the command line are confirmed when made).
    email_confirmed_at: Mapped[dt.datetime | None]


class UserSession(Base):
    """A signed-in browser session, kept server-side so that it can be revoked."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # SHA-256 of the random id held in the cookie.
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    # When the session was last used (an idle session ends, see users.IDLE_TIMEOUT).
    last_seen_at: Mapped[dt.datetime | None]
    # The password was right but the second factor is still to come (or, for an admin
    # without one, still to be enrolled): such a session opens nothing else.
    second_factor_pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Second-factor codes tried on this pending session (each try takes one, right or wrong,
    # by a conditional UPDATE: a pending session has a few tries, whatever the client address).
    code_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)


class RecoveryCode(Base):
    """One of a user's two-factor recovery codes: its SHA-256, and when it was used (once:
    a conditional UPDATE ... WHERE used_at IS NULL, checked by its row count)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None]

    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)


class SignInFailure(Base):
    """A failed sign-in, for the throttle: by e-mail address and by client address.

    Kept apart from the audit log (which no one can prune), and pruned as it ages.
    """

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A wrong second-factor code (after the right password), also counted per account.
    second_factor: Mapped[bool] = mapped_column(default=False, server_default=false())

    __table_args__ = (
        Index("ix_sign_in_failures_email", "email", "at"),
        Index("ix_sign_in_failures_client", "client", "at"),
    )
