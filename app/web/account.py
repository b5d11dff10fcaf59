"""Signing in and out."""

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app import security_log
from app.access import public
from app.api.deps import SessionDep
from app.errors import Forbidden
from app.services import users
from app.web.auth import (
    CSRF_FIELD,
    Viewer,
    clear_session_cookie,
    refuse_cross_site,
    safe_next,
    session_id,
    set_session_cookie,
)
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)

WRONG = "Unknown e-mail address or wrong password."


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
            message=f"Too many failed sign-ins for this address. Try again in {wait.retry_after} seconds.",
            headers={"Retry-After": str(wait.retry_after)},
        )
    user = users.authenticate(session, email=email, password=password, client=client)
    if user is None:
        security_log.event("sign_in_failed", request, email=email)
        return _form(request, email=email, next_url=next_url, message=WRONG, status=400)
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
        token = form.get(CSRF_FIELD)
        if not isinstance(token, str) or not secrets.compare_digest(token, user.csrf_token):
            security_log.event("csrf_refused", request, user_id=user.id)
            raise Forbidden("The form's security token is missing or out of date; reload the page.")
        users.end_session(session, session_id=raw)
        security_log.event("sign_out", request, email=user.email, user_id=user.id)
    response = redirect_with_notice(str(request.url_for("web_dashboard").path), "signed_out", request)
    clear_session_cookie(request, response)
    return response
