"""API tokens: random, prefixed, shown once, stored only as a hash, expiring and revocable."""

import datetime as dt
import hashlib
import secrets

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.errors import Conflict, FieldError, Invalid, NotFound
from app.models import ApiToken
from app.services.shared import audit
from app.services.shared.common import check_version
from app.services.shared.pagination import SortKey, paginate
from app.vocab import Role

PREFIX = "ft_"
# How stale `last_used_at` may get before a request writes it again.
USE_RESOLUTION = dt.timedelta(minutes=1)

SORTS = {"id": SortKey(ApiToken.id, ApiToken.id)}


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def _public(token: ApiToken) -> dict[str, object]:
    return audit.row(token, exclude=("token_hash", "last_used_at"))


def create(
    session: Session,
    *,
    name: str,
    role: Role,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret (returned this once; only its hash is kept)."""
    now = now or dt.datetime.now(dt.UTC)
    if expires_at is not None and expires_at <= now:
        raise Invalid(
            "The expiry must be in the future.", [FieldError("expires_at", "must be in the future", "expiry")]
        )
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise Conflict(
            f"A token named {name!r} already exists.", [FieldError("name", "already used", "unique")]
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name, role=role, prefix=secret[:10], token_hash=hash_token(secret), expires_at=expires_at
    )
    session.add(token)
    session.flush()
    audit.created(session, "api_token", token.id, _public(token))
    return token, secret


def authenticate(session: Session, secret: str, *, now: dt.datetime | None = None) -> ApiToken | None:
    """The live token with this secret, or None (unknown, revoked or expired)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    now = now or dt.datetime.now(dt.UTC)
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token


def use_is_stale(token: ApiToken, now: dt.datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION


def touch(session: Session, *, token_id: int, now: dt.datetime, client: str | None = None) -> None:
    """Record a use of the token (and where from), unless one was recorded less than a minute
    ago from the same address."""
    values: dict[str, object] = {"last_used_at": now}
    fresh = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - USE_RESOLUTION)
    if client is not None:
        values["last_used_from"] = client
        fresh = or_(fresh, ApiToken.last_used_from.is_(None), ApiToken.last_used_from != client)
    session.execute(update(ApiToken).where(ApiToken.id == token_id).where(fresh).values(**values))


def list_(session: Session, *, limit: int, cursor: str | None) -> tuple[list[ApiToken], str | None]:
    rows, next_cursor = paginate(
        session, select(ApiToken), sorts=SORTS, sort="id", limit=limit, cursor=cursor
    )
    return [row[0] for row in rows], next_cursor


def all_(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def get(session: Session, *, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"There is no token with id {token_id}.")
    return token


def by_name(session: Session, *, name: str) -> ApiToken:
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise NotFound(f"There is no token named {name!r}.")
    return token


def revoke(
    session: Session, *, token: ApiToken, now: dt.datetime | None = None, expected_version: int | None = None
) -> ApiToken:
    """Revoke a token for good (revoking it again changes nothing); `expected_version`: the
    version the caller saw (412 when it is no longer the token's)."""
    check_version(token, expected_version)
    if token.revoked_at is not None:
        return token
    before = _public(token)
    token.revoked_at = now or dt.datetime.now(dt.UTC)
    session.flush()
    audit.record(
        session, action="revoke", entity="api_token", entity_id=token.id, before=before, after=_public(token)
    )
    return token
