"""The browser pages: server-rendered over the same services as the REST API."""

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from app.access import Access, declare_path
from app.web import (
    about,
    account,
    countries,
    documents,
    duplicates,
    edit,
    follow,
    lists,
    pages,
    reports,
    review,
    signup,
    site,
)
from app.web.auth import SignInRequired, current_user
from app.web.templating import STATIC_DIR, render


def install(app: FastAPI) -> None:
    """Mount the pages, their static files and the sign-in redirect on the app."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    declare_path("/static", Access.public)
    # Every page knows who is signed in (for its header and its forms' CSRF token): one
    # dependency of all the page routers, so no page can forget it (see `render`).
    signed_in = [Depends(current_user)]
    # The editing routes first, so `/decisions/new` is not read as a decision id.
    for router in (
        edit.router,
        account.router,
        follow.router,
        signup.router,
        duplicates.router,
        documents.router,
        lists.router,
        review.router,
        reports.router,
        pages.router,
        about.router,
        countries.router,
        site.router,
    ):
        app.include_router(router, dependencies=signed_in)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> RedirectResponse:
        return RedirectResponse(exc.next_url, status_code=303)


def error_page(
    request: Request,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    detail_language: str | None = None,
) -> HTMLResponse:
    """A domain error as an HTML page (the API answers problem+json instead); `detail_language`
    names the detail's language where it is not the page's."""
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail, "detail_language": detail_language},
        status=status,
        headers=headers,
    )
