"""Security headers on every response.

The pages need nothing from another host and no inline script, so the policy is strict.
FastAPI's interactive API docs (`/docs`, `/redoc`) start with an inline script (their own
assets are served by the app); those paths alone get a policy that allows inline script,
and still nothing from another host.

`Strict-Transport-Security` goes with every answer whenever the site is known to be served
over HTTPS: the request came over it, or `BASE_URL` says so (a proxy ending TLS may speak
plain HTTP to the app, and tell nothing).
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")


def add_security_headers(headers: MutableHeaders, scope: Scope) -> None:
    """The headers every answer carries (also the 500 answer, made outside this middleware)."""
    csp = DOCS_CSP if scope.get("path") in DOCS_PATHS else STRICT_CSP
    headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if scope.get("scheme") == "https" or (get_settings().base_url or "").lower().startswith("https://"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), scope)
            await send(message)

        await self.app(scope, receive, send_with_headers)
