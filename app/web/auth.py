"""Who is looking at a page: the signed-in user from the session cookie, and the checks a
form post must pass (same site, the session's CSRF token, the editor role)."""

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app import security_log
from app.access import Access, mark
from app.db import Database
from app.errors import DomainError, Forbidden
from app.labels import N_, gettext, label
from app.models import UserSession
from app.services.accounts import users
from app.unit_of_work import SAFE_METHODS, SessionDep, get_database
from app.vocab import Role

COOKIE = "findings_session"
SECURE_COOKIE = "__Host-findings_session"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class WebUser:
    """The signed-in user, copied out of the database rows (it outlives a rollback)."""

    id: int
    email: str
    name: str
    role: Role
    csrf_token: str

    def can(self, role: Role) -> bool:
        return self.role.allows(role)


class SignInRequired(Exception):
    """Raised where a page needs an account; answered with a redirect to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only, Path=/.
    return SECURE_COOKIE if is_https(request) else COOKIE


def session_id(request: Request) -> str | None:
    return request.cookies.get(cookie_name(request))


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        cookie_name(request),
        value,
        max_age=int(users.SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        cookie_name(request), path="/", secure=is_https(request), httponly=True, samesite="lax"
    )


def form_refusal(db: Database, request: Request, role: Role) -> DomainError | Response | None:
    """What the sender of a large form (a file attached) gets instead of posting it, or None:
    asked by the request-body reader (app.main.ReadBody) before a byte of the body is kept.
    Nobody signed in: the way to the sign-in page, as every editing page answers; an account
    without the role: 403. The route checks the user and the form's token again, as every form
    post does."""
    raw = session_id(request)
    held = None
    if raw:
        with db.transaction(write=False, actor="system") as session:
            found = users.find_session(session, session_id=raw)
            held = found[0].role if found is not None else None
    if held is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        signin = str(request.app.url_path_for("sign_in_form")) + "?" + urlencode({"next": target})
        return RedirectResponse(signin, status_code=303)
    if not held.allows(role):
        return Forbidden(
            gettext("This needs the %(needed)s role; your account has %(held)s.")
            % {"needed": label(role).lower(), "held": label(held).lower()}
        )
    return None


def current_user(request: Request, session: SessionDep) -> WebUser | None:
    """The signed-in user (also set as the actor of any change made in this request)."""
    found = None
    raw = session_id(request)
    if raw:
        found = users.find_session(session, session_id=raw)
    user = None
    if found is not None:
        row, user_session = found
        user = WebUser(row.id, row.email, row.name, row.role, user_session.csrf_token)
        session.info["actor"] = f"user:{row.email}"
        session.info["actor_name"] = row.name
        _note_use(request, session, user_session)
    request.state.user = user
    return user


def _note_use(request: Request, session: Session, user_session: UserSession) -> None:
    """Note the session's use (for the idle timeout), at most once a minute; a read request
    does it in a short transaction of its own."""
    now = dt.datetime.now(dt.UTC)
    if not users.seen_is_stale(user_session, now):
        return
    if request.method not in SAFE_METHODS:
        user_session.last_seen_at = now
        return
    try:
        with get_database(request).transaction(actor="system") as writer:
            users.touch_session(writer, session_row_id=user_session.id, now=now)
    except OperationalError:
        return  # a convenience: never fail a page over it


Viewer = Annotated[WebUser | None, Depends(current_user)]


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return str(request.url_for("sign_in_form").path) + "?" + urlencode({"next": target})


def require_editor(request: Request, user: Viewer) -> WebUser:
    if user is None:
        raise SignInRequired(sign_in_url(request))
    if not user.can(Role.editor):
        raise Forbidden(
            gettext("Editing needs the editor role; your account has %(held)s.")
            % {"held": label(user.role).lower()}
        )
    return user


mark(require_editor, Access.editor)
EditorUser = Annotated[WebUser, Depends(require_editor)]


def require_admin(request: Request, user: Viewer) -> WebUser:
    if user is None:
        raise SignInRequired(sign_in_url(request))
    if not user.can(Role.admin):
        raise Forbidden(
            gettext("This needs the %(needed)s role; your account has %(held)s.")
            % {"needed": label(Role.admin).lower(), "held": label(user.role).lower()}
        )
    return user


mark(require_admin, Access.admin)
AdminUser = Annotated[WebUser, Depends(require_admin)]


def require_account(request: Request, user: Viewer) -> WebUser:
    """Any signed-in account (a reader too: following records writes nothing to the record)."""
    if user is None:
        raise SignInRequired(sign_in_url(request))
    return user


mark(require_account, Access.reader)
AccountUser = Annotated[WebUser, Depends(require_account)]


def same_site(request: Request) -> bool:
    """False for a post sent from another site (Sec-Fetch-Site, else Origin, tells)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def refuse_cross_site(request: Request) -> None:
    if not same_site(request):
        security_log.event("csrf_refused", request, reason="cross-site")
        raise Forbidden(gettext("This form was sent from another site; it was refused and nothing changed."))


def check_form_token(
    request: Request,
    form: FormData,
    expected: str,
    *,
    user_id: int,
    then: str = N_("reload the page."),
) -> None:
    """The CSRF check, the one every form post goes through: the form's token must be the
    session's (`then`: what to do about a refusal)."""
    token = form.get(CSRF_FIELD)
    if not isinstance(token, str) or not secrets.compare_digest(token, expected):
        security_log.event("csrf_refused", request, reason="form token", user_id=user_id)
        raise Forbidden(
            gettext("The form's security token is missing or out of date; %(then)s") % {"then": gettext(then)}
        )


async def _form_of(request: Request, user: WebUser) -> FormData:
    """The posted form, after the same-site and the session's CSRF-token checks."""
    refuse_cross_site(request)
    form = await request.form()
    check_form_token(
        request,
        form,
        user.csrf_token,
        user_id=user.id,
        then=N_("were you signed out meanwhile? Reload the page and send it again."),
    )
    return form


async def checked_form(request: Request, user: EditorUser) -> FormData:
    """The posted form of a signed-in editor."""
    return await _form_of(request, user)


async def account_form(request: Request, user: AccountUser) -> FormData:
    """The posted form of any signed-in account."""
    return await _form_of(request, user)


async def admin_form(request: Request, user: AdminUser) -> FormData:
    """The posted form of a signed-in admin."""
    return await _form_of(request, user)


PostedForm = Annotated[FormData, Depends(checked_form)]
AdminForm = Annotated[FormData, Depends(admin_form)]
AccountForm = Annotated[FormData, Depends(account_form)]


def safe_next(target: str | None) -> str:
    """A local address to go to after signing in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    # Browsers drop tabs and line breaks from an address (`/\t/evil.example` is `//evil.example`).
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    return target
