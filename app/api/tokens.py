"""API tokens (admin): list, create, revoke. Secrets are shown once, at creation."""

from typing import Annotated

from fastapi import APIRouter, Request, Response

from app.api.common import CREATE, DELETE, READ, READ_ITEM, problems, with_etag
from app.api.deps import DEFAULT_PAGE, Admin, Cursor, IfMatch, Limit, SessionDep, item_id
from app.schemas.common import Page
from app.schemas.token import TokenCreate, TokenCreated, TokenRead
from app.services.accounts import tokens

# A plain route class: no Idempotency-Key here, because replaying a creation would mean
# storing its answer, and the answer holds the token's secret, which is never stored.
router = APIRouter(prefix="/tokens", tags=["tokens"])
TokenId = Annotated[int, item_id("token_id")]
ADMIN_READ = READ | problems(403)
ADMIN_READ_ITEM = READ_ITEM | problems(403)


@router.get("", response_model=Page[TokenRead], responses=ADMIN_READ)
def list_tokens(
    session: SessionDep, _: Admin, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None
) -> Page[TokenRead]:
    """Every token, without its secret: name, role, prefix, created, expires, revoked, last used."""
    items, next_cursor = tokens.list_(session, limit=limit, cursor=cursor)
    return Page(items=[TokenRead.model_validate(t) for t in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=TokenCreated, responses=CREATE)
def create_token(
    data: TokenCreate, session: SessionDep, _: Admin, request: Request, response: Response
) -> TokenCreated:
    """Create a token; the answer holds its secret, this once."""
    token, secret = tokens.create(session, name=data.name, role=data.role, expires_at=data.expires_at)
    response.headers["Location"] = str(request.url_for("get_token", token_id=token.id))
    return TokenCreated.model_validate({**TokenRead.model_validate(token).model_dump(), "token": secret})


@router.get("/{token_id}", response_model=TokenRead, responses=ADMIN_READ_ITEM)
def get_token(token_id: TokenId, session: SessionDep, _: Admin, response: Response) -> TokenRead:
    token = tokens.get(session, token_id=token_id)
    with_etag(response, token.version)
    return TokenRead.model_validate(token)


@router.delete("/{token_id}", status_code=204, responses=DELETE)
def revoke_token(token_id: TokenId, session: SessionDep, _: Admin, version: IfMatch) -> Response:
    """Revoke the token: it stops working at once. It stays listed, with its revocation time.
    `If-Match` names the version read (`*`: whatever it is), as for every DELETE."""
    tokens.revoke(session, token=tokens.get(session, token_id=token_id), expected_version=version)
    return Response(status_code=204)
