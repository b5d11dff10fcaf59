"""Self sign-up of reader accounts (when `SIGNUP=open`), address confirmation, and password
reset by e-mail. Every message goes through the outbox; the worker sends it."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.access import public
from app.config import get_settings
from app.errors import DomainError, NotFound
from app.labels import gettext
from app.services.accounts import signup as accounts
from app.services.alerts import notices
from app.unit_of_work import SessionDep
from app.web.auth import refuse_cross_site
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)
Field = Annotated[str, Form(max_length=400)]
Secret = Annotated[str, Form(max_length=200)]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _require_open() -> None:
    if get_settings().signup != "open":
        raise NotFound(gettext("Accounts are made by an administrator here; sign-up is closed."))


def _link(request: Request, name: str) -> Callable[[str], str]:
    """A function making the absolute link of a route taking a token (for a message)."""
    return lambda token: notices.site_url(str(request.url_for(name, token=token).path))


@router.get("/signup", response_class=HTMLResponse, name="sign_up_form")
@public
def sign_up_form(request: Request) -> HTMLResponse:
    _require_open()
    return render(request, "account/signup.html", {"values": {"email": "", "name": ""}})


@router.post("/signup", response_class=HTMLResponse, name="sign_up")
@public
def sign_up(
    request: Request,
    session: SessionDep,
    email: Field = "",
    name: Field = "",
    password: Secret = "",
    password2: Secret = "",
) -> Response:
    _require_open()
    refuse_cross_site(request)
    values = {"email": email, "name": name}
    if password != password2:
        return render(
            request,
            "account/signup.html",
            {
                "values": values,
                "message": gettext("The two passwords differ."),
                "errors": {"password2": gettext("differs")},
            },
            status=422,
        )
    try:
        # Not in a savepoint: a refused sign-up still counts against the limits (the service
        # writes the account in a savepoint of its own).
        accounts.sign_up(
            session,
            email=email,
            name=name,
            password=password,
            client=_client(request),
            link=_link(request, "confirm_address"),
        )
    except DomainError as exc:
        return render(
            request,
            "account/signup.html",
            {"values": values, "message": exc.detail, "errors": {e.field: e.message for e in exc.errors}},
            status=exc.status,
            headers=exc.headers or None,
        )
    return render(request, "account/sent.html", {"email": email.strip(), "what": "confirm"})


@router.get("/signup/confirm/{token}", response_class=HTMLResponse, name="confirm_address")
@public
def confirm_address(request: Request, token: str, session: SessionDep) -> Response:
    user = accounts.confirm(session, token=token)
    if user is None:
        return render(
            request,
            "error.html",
            {
                "status": 400,
                "title": gettext("Link not valid"),
                "detail": gettext(
                    "This confirmation link is unknown, used or expired. Sign up again to get a new one."
                ),
            },
            status=400,
        )
    return redirect_with_notice(str(request.url_for("sign_in_form").path), "confirmed", request)


@router.get("/password-reset", response_class=HTMLResponse, name="reset_request_form")
@public
def reset_request_form(request: Request) -> HTMLResponse:
    return render(request, "account/reset_request.html", {"values": {"email": ""}})


@router.post("/password-reset", response_class=HTMLResponse, name="reset_request")
@public
def reset_request(request: Request, session: SessionDep, email: Field = "") -> Response:
    refuse_cross_site(request)
    try:
        with session.begin_nested():
            accounts.request_reset(
                session, email=email, client=_client(request), link=_link(request, "reset_password_form")
            )
    except DomainError as exc:
        return render(
            request,
            "account/reset_request.html",
            {"values": {"email": email}, "message": exc.detail},
            status=exc.status,
            headers=exc.headers or None,
        )
    return render(request, "account/sent.html", {"email": email.strip(), "what": "reset"})


@router.get("/password-reset/{token}", response_class=HTMLResponse, name="reset_password_form")
@public
def reset_password_form(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    valid = accounts.reset_is_valid(session, token=token)
    return render(
        request,
        "account/reset.html",
        {"token": token if valid else "", "valid": valid},
        status=200 if valid else 400,
    )


@router.post("/password-reset/{token}", response_class=HTMLResponse, name="reset_password")
@public
def reset_password(
    request: Request, token: str, session: SessionDep, password: Secret = "", password2: Secret = ""
) -> Response:
    refuse_cross_site(request)
    context = {"token": token, "valid": True}
    if password != password2:
        return render(
            request,
            "account/reset.html",
            context | {"message": gettext("The two passwords differ.")},
            status=422,
        )
    try:
        with session.begin_nested():
            accounts.reset(session, token=token, password=password)
    except DomainError as exc:
        return render(request, "account/reset.html", context | {"message": exc.detail}, status=exc.status)
    return redirect_with_notice(str(request.url_for("sign_in_form").path), "password_reset", request)
