"""API tokens: random, prefixed, shown once, stored only as a hash."""

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, FieldError
from app.models import ApiToken
from app.services import audit
from app.vocab import Role

PREFIX = "ft_"


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    session: Session, *, name: str, role: Role, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token and its secret (returned this once; only its hash is kept)."""
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
    audit.record(
        session,
        action="create",
        entity="api_token",
        entity_id=token.id,
        before=None,
        after=audit.row(token, exclude=("token_hash",)),
    )
    return token, secret


def authenticate(session: Session, secret: str, *, now: dt.datetime | None = None) -> ApiToken | None:
    """The live token with this secret, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    now = now or dt.datetime.now(dt.UTC)
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token
