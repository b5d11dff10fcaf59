"""The reader's language: English or French, chosen once per request.

`?lang=fr|en` first (and a `lang` cookie then keeps the choice for a year), else that cookie,
else the `Accept-Language` header (negotiated by Babel: `fr-CA` reads French), else English.
A pure ASGI middleware sets it in a context variable before anything answers (the error
pages of the outer middlewares too); `app.labels` and the pages' templates read it, with
`current()`. No query: the choice is read from the request's own headers.

Work outside a request (the alert worker writing an e-mail) speaks a language with
`speaking(language)`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl

from babel import negotiate_locale
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENGLISH = "en"
FRENCH = "fr"
LANGUAGES = (ENGLISH, FRENCH)
# Each language named in itself, for the switch in the pages' header.
NAMES = {ENGLISH: "English", FRENCH: "Français"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

_current: ContextVar[str] = ContextVar("language", default=ENGLISH)


def current() -> str:
    """The language of the request being answered ("en" outside one)."""
    return _current.get()


@contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Speak `language` (English where it is not one of ours) for the time of the block."""
    chosen = language if language in LANGUAGES else ENGLISH
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def negotiate(*preferred: str | None) -> str | None:
    """The first of ours that the preferred tags (in order) accept: "fr-CA" → "fr"."""
    tags = [t.strip().replace("_", "-") for t in preferred if t and t.strip()]
    return negotiate_locale(tags, list(LANGUAGES), sep="-", aliases={}) if tags else None


def accepted(header: str | None) -> list[str]:
    """The tags of an `Accept-Language` header, most preferred first (`q=0` left out)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag.strip() and tag.strip() != "*" and quality > 0:
            ranked.append((-quality, index, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def choose(asked: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: `?lang=` (the closest of ours; English where none is), the
    cookie, `Accept-Language`, English."""
    if asked is not None:
        return negotiate(asked) or ENGLISH
    if cookie in LANGUAGES:
        return cookie
    return negotiate(*accepted(accept_language)) or ENGLISH


class Language:
    """Sets the request's language; a page asked with `?lang=` also sets the `lang` cookie
    (1 year, SameSite=Lax, Secure under HTTPS) and is then stored by no one. Pages say their
    language in `Content-Language`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = _query_lang(scope)
        headers = dict(scope["headers"])
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        cookie = cookies.get(COOKIE)
        language = choose(asked, cookie, headers.get(b"accept-language", b"").decode("latin-1"))
        remember = asked is not None and cookie != language

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = MutableHeaders(scope=message)
                if answer.get("content-type", "").startswith("text/html"):
                    answer.setdefault("Content-Language", language)
                    if remember:
                        answer.append("Set-Cookie", _cookie(language, secure=scope.get("scheme") == "https"))
                        answer["Cache-Control"] = "no-store"
            await send(message)

        token = _current.set(language)
        try:
            await self.app(scope, receive, sending)
        finally:
            _current.reset(token)


def _query_lang(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    if "lang=" not in query:
        return None
    values = [v for k, v in parse_qsl(query, keep_blank_values=True) if k == "lang"]
    return values[-1] if values else None


def _cookie(language: str, *, secure: bool) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE] = language
    morsel = cookie[COOKIE]
    morsel["max-age"] = COOKIE_MAX_AGE
    morsel["path"] = "/"
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    return morsel.OutputString()
