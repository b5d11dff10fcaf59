"""Signing in (with a second factor where needed) and out; two-factor enrolment; password change."""

from typing import Annotated
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app import security_log
from app.access import Access, mark, public
from app.errors import Invalid
from app.labels import N_, gettext
from app.models import User, UserSession
from app.services.accounts import two_factor, users
from app.unit_of_work import SessionDep
from app.vocab import Role
from app.web import forms
from app.web.auth import (
    AccountUser,
    SignInRequired,
    Viewer,
    WebUser,
    check_form_token,
    clear_session_cookie,
    refuse_cross_site,
    safe_next,
    session_id,
    set_session_cookie,
    sign_in_url,
)
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)

WRONG = N_("Unknown e-mail address or wrong password.")


def _form(
    request: Request,
    *,
    email: str = "",
    next_url: str = "/",
    message: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "signin.html",
        {"email": email, "next": safe_next(next_url), "message": message},
        status=status,
        headers=headers,
    )


@router.get("/signin", response_class=HTMLResponse, name="sign_in_form")
@public
def sign_in_form(request: Request, user: Viewer, next: str = "/") -> HTMLResponse:
    return _form(request, next_url=next[:2000])


@router.post("/signin", name="sign_in")
@public
async def sign_in(request: Request, session: SessionDep) -> Response:
    refuse_cross_site(request)
    form = await request.form()
    # Argon2 (and the database) off the event loop: sign-ins must not slow every other answer.
    return await run_in_threadpool(_sign_in, request, session, form)


def _sign_in(request: Request, session: Session, form: FormData) -> Response:
    email = str(form.get("email") or "")[:320]
    password = str(form.get("password") or "")
    next_url = safe_next(str(form.get("next") or "/")[:2000])
    client = security_log.client_address(request)
    wait = users.throttled(session, email=email, client=client)
    if wait is not None:
        security_log.event("sign_in_throttled", request, email=email, retry_after=wait.retry_after)
        return _form(
            request,
            email=email,
            next_url=next_url,
            status=429,
            message=gettext("Too many failed sign-ins for this address. Try again in %(seconds)s seconds.")
            % {"seconds": wait.retry_after},
            headers={"Retry-After": str(wait.retry_after)},
        )
    user = users.authenticate(session, email=email, password=password, client=client)
    if user is None:
        security_log.event("sign_in_failed", request, email=email)
        return _form(request, email=email, next_url=next_url, message=gettext(WRONG), status=400)
    if two_factor.needs_second_factor(user):
        # The password was right; the session opens nothing until the second factor is
        # given (or, for an admin without one, enrolled).
        pending_id, _ = users.start_session(session, user=user, replacing=session_id(request), pending=True)
        security_log.event("sign_in_password_ok", request, email=user.email, user_id=user.id)
        step = "sign_in_second_factor" if user.totp_enabled_at else "two_factor_setup"
        target = str(request.url_for(step).path) + "?" + urlencode({"next": next_url})
        response: Response = RedirectResponse(target, status_code=303)
        set_session_cookie(request, response, pending_id)
        return response
    # A fresh session id at every sign-in; the visitor's previous session (if any) ends.
    new_id, _ = users.start_session(session, user=user, replacing=session_id(request))
    security_log.event("sign_in", request, email=user.email, user_id=user.id)
    response = redirect_with_notice(next_url, "signed_in", request)
    set_session_cookie(request, response, new_id)
    return response


@router.post("/signout", name="sign_out")
@public
async def sign_out(request: Request, session: SessionDep, user: Viewer) -> Response:
    refuse_cross_site(request)
    form = await request.form()
    raw = session_id(request)
    if user is not None and raw:
        check_form_token(request, form, user.csrf_token, user_id=user.id)
        users.end_session(session, session_id=raw)
        security_log.event("sign_out", request, email=user.email, user_id=user.id)
    response = redirect_with_notice(str(request.url_for("web_dashboard").path), "signed_out", request)
    clear_session_cookie(request, response)
    return response


# -- Two-factor sign-in, enrolment, password change ------------------------------------------


def _pending(request: Request, session: Session) -> tuple[User, UserSession] | None:
    raw = session_id(request)
    found = users.find_session(session, session_id=raw, pending=True) if raw else None
    if found is None or not found[1].second_factor_pending:
        return None
    return found


def _second_factor_form(
    request: Request,
    pending: UserSession,
    *,
    next_url: str,
    message: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "second_factor.html",
        {"csrf": pending.csrf_token, "next": safe_next(next_url), "message": message},
        status=status,
        headers={"Cache-Control": "no-store"} | (headers or {}),
    )


@router.get("/signin/two-factor", response_class=HTMLResponse, name="sign_in_second_factor")
@public
def second_factor_form(request: Request, session: SessionDep, next: str = "/") -> HTMLResponse:
    found = _pending(request, session)
    if found is None or found[0].totp_enabled_at is None:
        return _form(request, next_url=next[:2000], message=gettext("Sign in with your password first."))
    return _second_factor_form(request, found[1], next_url=next[:2000])


@router.post("/signin/two-factor", name="sign_in_second_factor_check")
@public
async def second_factor_check(request: Request, session: SessionDep) -> Response:
    refuse_cross_site(request)
    form = await request.form()
    return await run_in_threadpool(_second_factor_check, request, session, form)


def _second_factor_check(request: Request, session: Session, form: FormData) -> Response:
    next_url = safe_next(str(form.get("next") or "/")[:2000])
    found = _pending(request, session)
    if found is None or found[0].totp_enabled_at is None:
        return _form(
            request, next_url=next_url, message=gettext("Sign in with your password first."), status=400
        )
    user, pending = found
    check_form_token(request, form, pending.csrf_token, user_id=user.id, then=N_("sign in again."))
    client = security_log.client_address(request)
    wait = users.throttled(session, email=user.email, client=client) or users.second_factor_throttled(
        session, email=user.email
    )
    if wait is not None:
        security_log.event("sign_in_throttled", request, email=user.email, retry_after=wait.retry_after)
        return _second_factor_form(
            request,
            pending,
            next_url=next_url,
            status=429,
            message=gettext("Too many wrong codes. Try again in %(seconds)s seconds.")
            % {"seconds": wait.retry_after},
            headers={"Retry-After": str(wait.retry_after)},
        )
    if not users.take_code_attempt(session, session_row_id=pending.id):
        # This sign-in has had its tries (from whatever addresses): it ends here.
        users.end_session(session, session_id=session_id(request) or "")
        security_log.event("sign_in_throttled", request, email=user.email, reason="pending session")
        return _form(
            request,
            next_url=next_url,
            status=429,
            message=gettext("Too many wrong codes for this sign-in; sign in again with your password."),
        )
    if not two_factor.check_second_factor(session, user=user, code=str(form.get("code") or "")[:40]):
        users.record_failure(session, email=user.email, client=client, second_factor=True)
        security_log.event("second_factor_failed", request, email=user.email, user_id=user.id)
        return _second_factor_form(
            request,
            pending,
            next_url=next_url,
            status=400,
            message=gettext("That code is not right; try again."),
        )
    promoted = two_factor.promote_session(session, user=user, pending_id=session_id(request) or "")
    if promoted is None:  # another request with this pending session signed in first
        return _form(
            request, next_url=next_url, message=gettext("Sign in with your password first."), status=400
        )
    new_id, _ = promoted
    security_log.event("sign_in", request, email=user.email, user_id=user.id, second_factor=True)
    response = redirect_with_notice(next_url, "signed_in", request)
    set_session_cookie(request, response, new_id)
    return response


def _enrolling(request: Request, session: Session) -> tuple[User, UserSession]:
    """The signed-in user, or an admin whose password was right and who must enrol now."""
    raw = session_id(request)
    found = users.find_session(session, session_id=raw, pending=True) if raw else None
    if found is None or (found[1].second_factor_pending and found[0].totp_enabled_at is not None):
        raise SignInRequired(sign_in_url(request))
    return found


def require_enrolling(request: Request, session: SessionDep) -> tuple[User, UserSession]:
    return _enrolling(request, session)


mark(require_enrolling, Access.reader)
Enrolling = Annotated[tuple[User, UserSession], Depends(require_enrolling)]


def _qr_svg(uri: str) -> Markup:
    # An inline SVG drawn by the app: no image from another host, no script.
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="QR code"))


@router.get("/account/two-factor", response_class=HTMLResponse, name="two_factor_setup")
def two_factor_setup(request: Request, session: SessionDep, who: Enrolling) -> HTMLResponse:
    user, _ = who
    if user.totp_enabled_at is not None:
        return render(
            request,
            "two_factor.html",
            {"enabled": True, "left": two_factor.recovery_codes_left(session, user_id=user.id)},
            headers={"Cache-Control": "no-store"},
        )
    user = two_factor.begin_enrolment(session, user_id=user.id)
    return _enrol_page(request, user, who[1])


def _enrol_page(
    request: Request, user: User, user_session: UserSession, *, message: str | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "two_factor.html",
        {
            "enabled": False,
            "qr": _qr_svg(two_factor.totp_uri(user)),
            "secret": user.totp_secret,
            "csrf": user_session.csrf_token,
            "required": user.role is Role.admin,
            "message": message,
        },
        status=status,
        headers={"Cache-Control": "no-store"},
    )


@router.post("/account/two-factor", name="two_factor_confirm")
async def two_factor_confirm(request: Request, session: SessionDep, who: Enrolling) -> Response:
    refuse_cross_site(request)
    form = await request.form()
    user, user_session = who
    check_form_token(request, form, user_session.csrf_token, user_id=user.id)
    if user.totp_enabled_at is not None:
        return redirect_with_notice(str(request.url_for("two_factor_setup").path), "saved", request)
    user = two_factor.begin_enrolment(session, user_id=user.id)
    try:
        codes = two_factor.confirm_enrolment(session, user_id=user.id, code=str(form.get("code") or "")[:40])
    except Invalid as exc:
        return _enrol_page(request, user, user_session, message=exc.detail, status=422)
    security_log.event("second_factor_enrolled", request, email=user.email, user_id=user.id)
    response = render(request, "recovery_codes.html", {"codes": codes}, headers={"Cache-Control": "no-store"})
    if user_session.second_factor_pending:
        promoted = two_factor.promote_session(session, user=user, pending_id=session_id(request) or "")
        if promoted is None:  # a request at the same time enrolled first
            raise SignInRequired(sign_in_url(request))
        set_session_cookie(request, response, promoted[0])
    return response


Account = AccountUser


@router.get("/account/password", response_class=HTMLResponse, name="password_form")
def password_form(request: Request, user: Account) -> HTMLResponse:
    return render(request, "password.html", {})


@router.post("/account/password", name="password_change")
async def password_change(request: Request, session: SessionDep, user: Account) -> Response:
    refuse_cross_site(request)
    form = await request.form()
    check_form_token(request, form, user.csrf_token, user_id=user.id)
    return await run_in_threadpool(_password_change, request, session, user, form)


def _password_change(request: Request, session: Session, user: WebUser, form: FormData) -> Response:
    new = str(form.get("new_password") or "")
    if new != str(form.get("new_password_again") or ""):
        errors = {"new_password_again": "is not the same as the new password"}
        return render(request, "password.html", {"errors": errors}, status=422)
    raw = session_id(request) or ""
    current = users.find_session(session, session_id=raw)
    try:
        users.change_password(
            session,
            user_id=user.id,
            current=str(form.get("current_password") or "")[:200],
            new=new,
            keep_session=current[1].id if current else None,
        )
    except Invalid as exc:
        errors = forms.errors_of(exc.errors)
        return render(request, "password.html", {"errors": errors, "message": exc.detail}, status=422)
    security_log.event("password_changed", request, email=user.email, user_id=user.id)
    return redirect_with_notice(str(request.url_for("web_dashboard").path), "saved", request)
