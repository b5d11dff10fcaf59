"""Dependencies shared by the REST routers: the caller, common parameters (the request's
session is `app.unit_of_work`'s, shared with the pages)."""

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import security_log
from app.access import Access, mark
from app.db import Database
from app.errors import DomainError, FieldError, Forbidden, Invalid, PreconditionRequired, Unauthorized
from app.models import ApiToken
from app.schemas.common import MAX_ID, IsoDate
from app.services.accounts import tokens
from app.services.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.unit_of_work import SAFE_METHODS, SessionDep, get_database
from app.vocab import CaseSort, DecisionSort, OrganisationSort, RecommendationSort, RegulatorSort, Role

__all__ = ["SAFE_METHODS", "SessionDep", "get_database"]


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized(
            "The Authorization header must be `Bearer <token>`.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_request"'},
        )
    return credentials.strip()


def current_token(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> ApiToken | None:
    """The caller's token, or None for an anonymous caller; a bad token is refused."""
    secret = _bearer(authorization)
    if secret is None:
        return None
    token = tokens.authenticate(session, secret)
    if token is None:
        raise Unauthorized(
            "The token is unknown, revoked or expired.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    session.info["actor"] = f"token:{token.name}"
    session.info["actor_name"] = token.role.value
    _record_use(request, session, token)
    return token


TOUCH_WAIT = 0.1  # seconds a read waits to note its token's use; past that, the next one will


def _record_use(request: Request, session: Session, token: ApiToken) -> None:
    """Note when a token was last used, at most once a minute per token.

    A write request notes it in its own transaction; a read request, whose transaction
    is read-only, in a short one of its own.
    """
    now = dt.datetime.now(dt.UTC)
    client = security_log.client_address(request)[:64]
    new_address = token.last_used_from != client
    if new_address:
        security_log.event("token_new_address", request, token_id=token.id, token_name=token.name)
    if not new_address and not tokens.use_is_stale(token, now):
        return
    if request.method not in SAFE_METHODS:
        # Past the ORM, in the request's transaction: the token's version (its ETag) stays, and
        # concurrent requests with one token never conflict over it (an ORM update of the
        # versioned row made every second one a 500 when two came in the same minute).
        tokens.touch(session, token_id=token.id, now=now, client=client)
        return
    try:
        # Only a convenience for the token's owner: never fail a read over it, nor make it wait
        # behind the writers (on SQLite it would wait its turn for the whole busy timeout).
        with get_database(request).transaction(actor="system", wait=TOUCH_WAIT) as writer:
            tokens.touch(writer, token_id=token.id, now=now, client=client)
    except OperationalError:
        return


def require(role: Role) -> Callable[[ApiToken | None], ApiToken]:
    """A dependency letting through only callers whose token has at least `role`."""

    def check(token: Annotated[ApiToken | None, Depends(current_token)]) -> ApiToken:
        if token is None:
            raise Unauthorized(
                "This needs an API token: send `Authorization: Bearer <token>`.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not token.role.allows(role):
            raise Forbidden(f"This needs the {role.value} role; the token has {token.role.value}.")
        return token

    return mark(check, Access(role.value))


def refusal(db: Database, authorization: str | None, role: Role) -> DomainError | None:
    """Why a caller sending this `Authorization` header may not call a route needing `role`
    (401 or 403), or None. For the request-body reader (app.main.ReadBody), which asks before
    it reads a large body: an anonymous 600 MB import is refused before anything is spooled.
    The route checks the token again, as every route does."""
    try:
        secret = _bearer(authorization)
    except Unauthorized as exc:
        return exc
    if secret is None:
        return Unauthorized(
            "This needs an API token: send `Authorization: Bearer <token>`.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with db.transaction(write=False, actor="system") as session:
        token = tokens.authenticate(session, secret)
        if token is None:
            return Unauthorized(
                "The token is unknown, revoked or expired.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if not token.role.allows(role):
            return Forbidden(f"This needs the {role.value} role; the token has {token.role.value}.")
    return None


Reader = Annotated[ApiToken | None, Depends(current_token)]
Editor = Annotated[ApiToken, Depends(require(Role.editor))]
Admin = Annotated[ApiToken, Depends(require(Role.admin))]


def item_id(name: str) -> object:
    return Path(ge=1, le=MAX_ID, alias=name, description="An integer id.")


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(max_length=500, description="The `next_cursor` of the previous page.")]
AsOf = Annotated[IsoDate | None, Query(description="Read the record as it stood on this day.")]
Q = Annotated[
    str | None,
    Query(
        max_length=500,
        description='Words to look for, by the full-text index: all of them; `"a phrase"`, `prefix*`, '
        "`a OR b`, `-left_out`; case and accents ignored (see `/api/v1/search`).",
    ),
]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
DEFAULT_PAGE = DEFAULT_LIMIT


IF_MATCH_PATTERN = r'^(\*|(W/)?"[0-9]{1,18}")$'
IF_MATCH_DESCRIPTION = (
    'Required. The `ETag` of the version you read, such as `"3"` (`W/"3"` is taken too), or `*` '
    "for whatever version is current. A stale one gets 412 and changes nothing; without it, 428."
)


def expected_version(
    if_match: Annotated[str | None, Header(description=IF_MATCH_DESCRIPTION)] = None,
) -> int | None:
    """The version named by `If-Match` (None for `*`); a PATCH or DELETE without it is refused.

    The header is optional to FastAPI (which would answer 422) so that its absence answers
    428 Precondition Required; the OpenAPI description declares it required, with its
    pattern (app/api/contract.py).
    """
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "This change needs an If-Match header with the ETag you read (GET the item first), "
            "so that it cannot silently overwrite someone else's change.",
            [FieldError("header.if-match", "is required", "missing")],
        )
    if if_match.strip() == "*":
        return None
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit() or len(value) > 18:
        raise Invalid(
            'If-Match must be an ETag this API gave, such as "3".',
            [FieldError("header.if-match", "malformed ETag", "etag")],
        )
    return int(value)


IfMatch = Annotated[int | None, Depends(expected_version)]


def etag(version: int) -> str:
    return f'"{version}"'


SORT_DESCRIPTION = "Order of the list; a leading `-` reverses it."
# The `sort` parameter of each list: its vocabulary of orders (app/vocab.py).
DecisionSortParam = Annotated[DecisionSort, Query(description=SORT_DESCRIPTION)]
RecommendationSortParam = Annotated[RecommendationSort, Query(description=SORT_DESCRIPTION)]
OrganisationSortParam = Annotated[OrganisationSort, Query(description=SORT_DESCRIPTION)]
RegulatorSortParam = Annotated[RegulatorSort, Query(description=SORT_DESCRIPTION)]
CaseSortParam = Annotated[CaseSort, Query(description=SORT_DESCRIPTION)]
