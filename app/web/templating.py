"""The Jinja2 environment of the pages: autoescaping on, links from `url_for` (looked up by
name in a table of the routes, app/web/urls.py, rather than by walking the router)."""

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse

from app import clock, formats, labels, language, vocab
from app.config import get_settings
from app.labels import N_
from app.schemas.filters import country_name, known_country
from app.schemas.languages import language_name
from app.services import compliance
from app.web import translated, urls

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html", "svg"], default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# `_()`, `ngettext()` and `{% trans %}` in templates read the message catalogue of the reader's
# language (app/labels.py, app/language.py). The i18n extension adds
# install_gettext_callables to the environment at run time.
env.install_gettext_callables(labels.gettext, labels.ngettext, newstyle=True)  # type: ignore[attr-defined]


# Who recorded something, as the record keeps it (an account's display name, a token's role,
# or the kind of program), in words a reader understands.
ACTORS = {
    "cli": N_("an administrator, on the command line"),
    "import": N_("an import of a data set"),
    "demo": N_("the demo data"),
    "editor": N_("an editor"),
    "admin": N_("an administrator"),
    "reader": N_("a reader"),
    "system": N_("the site itself"),
    "worker": N_("the site's background worker"),
    "migrate": N_("an upgrade of the site"),
}


def by_whom(name: str | None) -> str:
    """Who recorded something, in words: "an import of a data set" for `import`, a person's
    display name as it is."""
    if not name:
        return labels.gettext(N_("someone unknown"))
    return labels.gettext(ACTORS[name]) if name in ACTORS else name


def country_said(code: str) -> str:
    """A country's name in the reader's language (a code it does not know, as it is)."""
    return formats.country(code, country_name(code)) if known_country(code) else country_name(code)


def record_name(record: object) -> str:
    """A record named for a heading: its reference and title, its name, or the start of its text."""
    reference, title = getattr(record, "reference", None), getattr(record, "title", None)
    if title:
        return f"{reference}: {title}" if reference else str(title)
    for attribute in ("name", "text"):
        value = getattr(record, attribute, None)
        if value:
            text = str(value)
            return text if len(text) <= 80 else text[:79] + "…"
    return f"#{getattr(record, 'id', '')}"


# The forms of numbers, amounts and dates follow the reader's language (app.formats).
money = formats.money
money_said = formats.money_said
day = formats.day
dated = formats.dated
SKELETONS = formats.SKELETONS


def machine_date(value: dt.date | None, precision: str | None = None) -> str:
    """The same for a `<time datetime>`: "2013", "2021-02" or "2021-02-03"."""
    if value is None:
        return ""
    cuts = {vocab.DatePrecision.year: 4, vocab.DatePrecision.month: 7}
    cut = cuts.get(vocab.DatePrecision(precision or "day"))
    return value.isoformat()[:cut]


def with_query(request: Request, **changes: Any) -> str:
    """The current address with some query parameters changed (None removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
    return request.url.path + ("?" + urlencode(params) if params else "")


def here_with_query(request: Request) -> str:
    """The current page's path with its whole query (where "Sign in" comes back to); on a
    sign-in page, where that page itself leads."""
    if request.url.path.startswith("/signin"):
        return request.query_params.get("next") or "/"
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def host(url: str | None) -> str:
    """The host of a link, to show where it leads."""
    if not url:
        return ""
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0]


@pass_context
def url_for(context: Any, name: str, /, _query: dict[str, Any] | None = None, **params: Any) -> str:
    """The path of a named route (links stay relative, right behind any proxy), with an
    optional query string."""
    path = urls.path_for(context["request"], name, **params)
    query_items = {k: v for k, v in (_query or {}).items() if v is not None and v != ""}
    return path + ("?" + urlencode(query_items) if query_items else "")


percent = formats.percent
size_in_words = formats.size_in_words


DOCUMENT_KINDS = {
    "application/pdf": "PDF",
    "text/html": N_("Web page"),
    "text/plain": N_("Text"),
    "image/png": N_("PNG image"),
    "image/jpeg": N_("JPEG image"),
}


env.filters["money"] = money
env.filters["money_said"] = money_said
env.filters["bytes"] = size_in_words
env.filters["doc_kind"] = lambda media: labels.gettext(DOCUMENT_KINDS.get(media) or media) if media else ""
env.filters["percent"] = percent
# A count with its thousands separated ("1,770").
env.filters["number"] = formats.number
env.globals["complied_share"] = compliance.complied_share
env.globals["describe_counts"] = compliance.describe_counts
env.filters["day"] = day
env.filters["by_whom"] = by_whom
env.globals["record_name"] = record_name
env.filters["dated"] = dated
env.filters["machine_date"] = machine_date
env.filters["host"] = host
env.globals["with_query"] = with_query
env.globals["here_with_query"] = here_with_query
env.globals["vocab"] = vocab
# The reader's language (`<html lang>`), and the languages of the switch in the header.
env.globals["language"] = language.current


def in_reader_language(record: Any, field: str, own: str | None = None) -> translated.Shown:
    """A record's own words (`field`) in the reader's language where it has a translation."""
    return translated.shown(record, field, language.current(), own)


def languages_said(codes: Any) -> str:
    """Languages named in the reader's language, in the order of their names."""
    return ", ".join(sorted(language_name(code, language.current()) for code in codes))


env.globals["in_reader_language"] = in_reader_language
env.globals["language_said"] = lambda code: language_name(code, language.current())
env.globals["languages_said"] = languages_said
env.globals["languages"] = language.NAMES
# Codes in words: `{{ d.compliance | label }}`, `explain(d.compliance)`, `choices(vocab.Status)`.
env.filters["label"] = labels.label
env.globals["explain"] = labels.explanation
env.globals["choices"] = labels.choices
env.globals["country_name"] = country_said
env.globals["known_country"] = known_country
env.globals["today"] = clock.today
env.globals["signup_open"] = lambda: get_settings().signup == "open"
templates = Jinja2Templates(env=env)
env.globals["url_for"] = url_for


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    notice = NOTICES.get(request.cookies.get(NOTICE_COOKIE, ""))
    ctx: dict[str, Any] = {"user": user, "errors": {}, "message": None, "notice": notice, "as_of": None}
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status, headers=headers)
    if NOTICE_COOKIE in request.cookies:
        response.delete_cookie(
            NOTICE_COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
        )
    return response


# A one-time notice shown on the page a form redirects to ("Saved."), carried by a short
# cookie holding one of these keys (never text from the user); its words are in the catalogue.
NOTICE_COOKIE = "findings_notice"
NOTICES = {
    "saved": N_("Saved."),
    "merged": N_("Merged: everything of the duplicate is now here, and its old address leads here."),
    "dismissed": N_("Not the same: that pair will not be suggested again."),
    "undone": N_("Merge undone: this record is back, with everything the merge had moved."),
    "assessed": N_("Assessment logged."),
    "retracted": N_("Assessment retracted: it stays in the history and no longer counts."),
    "reviewed": N_("Review saved; here is the next reading."),
    "review_done": N_("Nothing is left to review under these filters."),
    "reported": N_("Thank you: your report is in the editors' queue."),
    "report_resolved": N_("The report is resolved (its reporter, when signed in, is told by e-mail)."),
    "deleted": N_("Deleted."),
    "signed_in": N_("You are signed in."),
    "signed_out": N_("You are signed out."),
    "following": N_("You follow it now: alerts come as things change."),
    "unfollowed": N_("You no longer follow it."),
    "confirmed": N_("Your address is confirmed: sign in."),
    "password_reset": N_("Your password is changed: sign in with it."),
}


def redirect_with_notice(url: str, notice: str, request: Request | None = None) -> RedirectResponse:
    """A post/redirect/get redirect that shows `notice` once on the page it leads to (its
    cookie Secure when the site is served over HTTPS)."""
    response = RedirectResponse(url, status_code=303)
    secure = request is not None and request.url.scheme == "https"
    response.set_cookie(
        NOTICE_COOKIE, notice, max_age=60, path="/", httponly=True, samesite="lax", secure=secure
    )
    return response
