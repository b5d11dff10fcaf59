"""The files a browser or a crawler asks every site for: `/favicon.ico` and `/robots.txt`."""

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from app.access import public
from app.web.templating import STATIC_DIR

router = APIRouter(include_in_schema=False)

# Browsers ask for /favicon.ico whatever the page links; it is the site's SVG icon (every
# browser that shows icons reads SVG by its media type, whatever the address ends with).
FAVICON = (STATIC_DIR / "favicon.svg").read_bytes()

# A public record: crawlers may read every page and the API's reads. They are kept out of
# the forms (new, edit, delete, retract, merge, log an assessment; the possible duplicates),
# the account and alert pages (sign-in, sign-up, password, follow, subscriptions), the search
# results (an endless space of queries), the bulk export, and the API's areas for accounts,
# tokens, the audit log and imports.
# RFC 9309: the longest matching rule wins and `*` matches any characters; the Disallow
# lines come first for crawlers that still take the first match.
DISALLOWED = (
    "/*/new",
    "/*/edit",
    "/*/delete",
    "/*/retract",
    "/*/merge",
    "/duplicates",
    "/merges",
    "/review",
    "/report",
    "/signin",
    "/signout",
    "/signup",
    "/password-reset",
    "/account/",
    "/follow",
    "/subscriptions",
    "/unsubscribe/",
    "/search",
    "/api/v1/search",
    "/api/v1/export",
    "/api/v1/import",
    "/api/v1/tokens",
    "/api/v1/audit",
    "/api/v1/users",
    "/api/v1/subscriptions",
)
ROBOTS = (
    "# Findings Tracker: a public record. Read the pages; stay out of the forms and accounts.\n"
    "User-agent: *\n" + "".join(f"Disallow: {path}\n" for path in DISALLOWED) + "Allow: /\n"
)


@router.get("/favicon.ico", name="favicon")
@public
async def favicon() -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/robots.txt", name="robots")
@public
async def robots() -> PlainTextResponse:
    return PlainTextResponse(ROBOTS, headers={"Cache-Control": "public, max-age=86400"})
