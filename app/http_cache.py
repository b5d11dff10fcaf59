"""HTTP as clients expect it: `HEAD` on every `GET` route, validators and `304`, `Cache-Control`.

Over 450 lines, on purpose: one middleware whose rules (HEAD, validators, 304, Cache-Control,
the record's version read without waiting on the event loop) hold only together.

One ASGI middleware, outside the routes, so that every route (API, pages, feeds, docs) gets
the same rules:

- `HEAD` is answered as the `GET` of the same address, headers and all, without the body.
- A `GET` that reads the record answers a weak `ETag` and, where the time is known,
  `Last-Modified`. The validator is a digest of what the answer can depend on: the record's
  version (the newest audit-log entry; every change to the record writes one in its own
  transaction), the day (overdue counts move at midnight), the running code, the full URL
  (host, path and query: `as_of`, filters, cursors, `lang`), the caller's credentials (the
  `Cookie` and `Authorization` headers: a sign-in or sign-out changes them) and
  `Accept-Language` (pages are in the reader's language, app/language.py; a `lang` cookie
  alone names no one: such a reader is anonymous). A write, a
  sign-in, another `as_of` or a new day all give another validator; nothing else can change
  the answer.
- `If-None-Match` (or, without it, `If-Modified-Since`) matching the current validator gets
  `304` with no body. An anonymous request is answered before any route runs (a feed
  reader polling an unchanged feed costs one index lookup); a request with credentials runs
  its route first, so an expired session or a revoked token is still refused.
- The items of the API keep the ETag that names their version (the `If-Match` of writes
  needs it). That version does not move when a nested part changes (a recommendation's
  assessment changes the decision's compliance), so it is not enough alone to answer `304`:
  an item answers `304` only when `If-None-Match` names its version AND `If-Modified-Since`
  shows that nothing in the record has changed since (browsers and feed readers send both).
- `Cache-Control`: anonymous reads are `public` for `HTTP_MAX_AGE` seconds; with credentials,
  `private, no-cache` (kept by the browser, revalidated every time); anything that can carry
  a secret is `no-store`: API tokens, users, subscriptions and the audit log, the sign-in,
  sign-up, password-reset and unsubscribe pages (and their e-mailed links), every form (they
  hold the session's CSRF token), every answer to a write (a new token's secret), errors,
  redirects and answers that set a cookie. A route's own `Cache-Control` stands elsewhere.

Compression (gzip) is Starlette's middleware, inside this one; the weak validators hold for
the compressed and the plain representation alike.

One module of about 450 lines, on purpose: the middleware and the wrapper of its answer share
the validators and the cache policies above, and split apart each would reach into the
other's internals.
"""

import datetime as dt
import email.utils
import hashlib
import sqlite3
import time
import weakref
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import clock
from app.db import Database, unit_of_work
from app.language import COOKIE as LANGUAGE_COOKIE

SAFE = ("GET", "HEAD")
# Paths whose answers can carry a secret (or a CSRF token): never stored by anyone.
SECRET_PREFIXES = (
    "/api/v1/tokens",
    "/api/v1/users",
    "/api/v1/audit",
    "/api/v1/subscriptions",
    # The review queue: who holds which item changes with no audit entry.
    "/api/v1/review",
    "/api/v1/reports",
    "/review",
    "/report",
    "/signin",
    "/signout",
    "/signup",
    "/password-reset",
    "/account",
    "/follow",
    "/subscriptions",
    "/unsubscribe",
)
SECRET_SUFFIXES = ("/new", "/edit")
# Served by StaticFiles, which answers its own ETag, Last-Modified and 304.
STATIC_PREFIX = "/static/"
STATIC_MAX_AGE = 300
VARY = "Accept-Encoding, Accept-Language, Cookie, Authorization"
# Headers a 304 keeps (RFC 9110 15.4.5); the others describe a body it does not have.
NOT_MODIFIED_KEEPS = {
    b"cache-control",
    b"content-location",
    b"date",
    b"etag",
    b"expires",
    b"last-modified",
    b"vary",
}


def _build() -> str:
    """Changes when the code or the templates change (a deploy can change every page)."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".html", ".css", ".js", ".svg") and path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_mtime_ns}:{stat.st_size}\n".encode())
    return digest.hexdigest()[:16]


BUILD = _build()


def classify(path: str) -> str:
    """`secret` (never stored), `static` (StaticFiles' own validators) or `record` (a read)."""
    if path.startswith(SECRET_PREFIXES) or path.endswith(SECRET_SUFFIXES):
        return "secret"
    if path.startswith(STATIC_PREFIX):
        return "static"
    return "record"


def record_state(db: Database) -> tuple[str, float | None]:
    """The record's version and the time of its last change (None where not to be trusted),
    on a pooled connection (in a worker thread: it may wait for one)."""
    with db.engine.connect() as conn:
        state = connection_state(conn)
        conn.rollback()
    return state


def connection_state(conn: Connection) -> tuple[str, float | None]:
    """`record_state` on a connection, in its transaction.

    SQLite commits one writer at a time, so the newest audit id is the version. PostgreSQL can
    commit a lower id after a higher one: the transactions in progress are part of the
    version, and while there are any, the time of the last change is not given.
    """
    if conn.dialect.name == "postgresql":
        row = conn.execute(
            text(
                "SELECT a.id, a.at, array_to_string(array("
                "SELECT pg_snapshot_xip(pg_current_snapshot())::text ORDER BY 1), ',') "
                "FROM (SELECT 1) one LEFT JOIN LATERAL "
                "(SELECT id, at FROM audit_log ORDER BY id DESC LIMIT 1) a ON true"
            )
        ).one()
        last_id, at, running = row
    else:
        first = conn.execute(text(LAST_CHANGE)).first()
        last_id, at = first if first is not None else (0, None)
        running = ""
    return _state(last_id, at, running)


LAST_CHANGE = "SELECT id, at FROM audit_log ORDER BY id DESC LIMIT 1"


def sqlite_state(conn: sqlite3.Connection) -> tuple[str, float | None]:
    """`record_state` on a SQLite connection of its own (one lookup by primary key)."""
    row = conn.execute(LAST_CHANGE).fetchone()
    last_id, at = row if row is not None else (0, None)
    return _state(last_id, at, "")


def _state(last_id: int | None, at: Any, running: str) -> tuple[str, float | None]:
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    changed = None if running or at is None else at.timestamp()
    return f"{last_id or 0}/{running}", changed


def _midnight() -> float:
    return clock.midnight().timestamp()


def _http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


def _parse_http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _tags(value: str) -> list[str]:
    """The entity tags of an `If-None-Match`, weak ones without their `W/` (weak comparison)."""
    tags = []
    for part in value.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        if part:
            tags.append(part)
    return tags


def none_match(header: str | None, etag: str) -> bool:
    """True where `If-None-Match` names `etag` (or is `*`)."""
    if header is None:
        return False
    tags = _tags(header)
    return "*" in tags or _tags(etag)[0] in tags


def not_modified_since(header: str | None, last_modified: float | None) -> bool:
    since = _parse_http_date(header)
    return since is not None and last_modified is not None and int(last_modified) <= int(since)


class HttpCaching:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_age: int,
    ) -> None:
        self.app = app
        self.max_age = max_age
        self._sqlite: sqlite3.Connection | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in SAFE:
            await self.app(scope, receive, _with_cache_control(send, "no-store"))
            return
        head = method == "HEAD"
        if head:
            scope = dict(scope, method="GET")
        request_headers = Headers(scope=scope)
        kind = classify(scope["path"])
        credentials = _credentials(request_headers)
        if kind == "secret":
            policy = "no-store"
        elif kind == "static":
            policy = f"public, max-age={STATIC_MAX_AGE}"
        elif credentials:
            policy = "private, no-cache"
        else:
            policy = f"public, max-age={self.max_age}"

        etag = last_modified = None
        state = await self._state(scope) if kind == "record" else None
        if state is not None:
            version, changed = state
            etag = self._validator(scope, request_headers, version)
            last_modified = self._last_modified(changed)
            # (`If-None-Match: *` asks whether the address has an answer at all: the route says.)
            wildcard = "*" in _tags(request_headers.get("if-none-match", ""))
            if not credentials and not wildcard and self._fresh(request_headers, etag, last_modified):
                await self._not_modified(send, policy, etag, last_modified)
                return

        answer = _Answer(
            send,
            receive,
            head=head,
            policy=policy,
            etag=etag,
            last_modified=last_modified,
            request_headers=request_headers,
            anonymous=not credentials,
        )
        await self.app(scope, answer.receive, answer.send)

    async def _state(self, scope: Scope) -> tuple[str, float | None] | None:
        db: Database = scope["app"].state.db
        conn = self._sqlite_connection(db)
        if conn is not None:
            # A lookup by primary key in a local file, on a connection of the middleware's
            # own: cheaper than a thread hop, and never waits for the pool.
            try:
                return sqlite_state(conn)
            except sqlite3.Error:
                conn.close()
                self._sqlite = None
        try:
            # The event loop's own connection (app.db): never waited for on the loop.
            session = db.loop_session()
            if session is not None:
                with unit_of_work(session):
                    return connection_state(session.connection())
            return await anyio.to_thread.run_sync(record_state, db)
        except SQLAlchemyError:
            # The database is busy or away: no validator; the route answers (a 503 itself).
            return None

    def _sqlite_connection(self, db: Database) -> sqlite3.Connection | None:
        if self._sqlite is None and db.is_sqlite:
            path = db.engine.url.database
            if not path or path == ":memory:" or path.startswith("file:"):
                return None
            self._sqlite = sqlite3.connect(path, timeout=2.0, isolation_level=None, check_same_thread=False)
            weakref.finalize(self, self._sqlite.close)
            db.on_dispose.append(self._close)
        return self._sqlite

    def _close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None

    @staticmethod
    def _validator(scope: Scope, headers: Headers, version: str) -> str:
        host = headers.get("host", "")
        query = scope.get("query_string", b"").decode("latin-1")
        identity = hashlib.sha256(
            (headers.get("cookie", "") + "\n" + headers.get("authorization", "")).encode("latin-1")
        ).hexdigest()
        # A feed is a page to a browser and Atom to a feed reader (app/api/feeds.py): its
        # validator names the representation asked for.
        accept = headers.get("accept", "") if scope["path"].startswith("/feeds/") else ""
        # The reader's language (app.language) comes from the query, the cookie or this.
        languages = headers.get("accept-language", "")
        key = "\n".join(
            (
                BUILD,
                clock.today().isoformat(),
                version,
                scope.get("scheme", ""),
                host,
                scope["path"],
                query,
                identity,
                accept,
                languages,
            )
        )
        return 'W/"' + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:24] + '"'

    @staticmethod
    def _last_modified(changed: float | None) -> float | None:
        """The record's last change (or midnight, if later), unless it is this very second:
        a change later in the same second would not move it."""
        if changed is None:
            return None
        moment = max(changed, _midnight())
        if int(moment) >= int(time.time()):
            return None
        return moment

    @staticmethod
    def _fresh(headers: Headers, etag: str, last_modified: float | None) -> bool:
        if "if-none-match" in headers:
            return none_match(headers["if-none-match"], etag)
        return not_modified_since(headers.get("if-modified-since"), last_modified)

    @staticmethod
    async def _not_modified(send: Send, policy: str, etag: str, last_modified: float | None) -> None:
        headers = [
            (b"cache-control", policy.encode()),
            (b"etag", etag.encode()),
            (b"vary", VARY.encode()),
        ]
        if last_modified is not None:
            headers.append((b"last-modified", _http_date(last_modified).encode()))
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class _Answer:
    """Rewrites the route's answer: its caching headers, a 304 in its place, no body for HEAD."""

    def __init__(
        self,
        send: Send,
        receive: Receive,
        *,
        head: bool,
        policy: str,
        etag: str | None,
        last_modified: float | None,
        request_headers: Headers,
        anonymous: bool,
    ) -> None:
        self._send = send
        self._receive = receive
        self.head = head
        self.policy = policy
        self.etag = etag
        self.last_modified = last_modified
        self.request_headers = request_headers
        self.anonymous = anonymous
        self.bodiless = head
        self.done = False

    async def receive(self) -> Message:
        if self.done:
            # The answer is complete: a streamed body still being made can stop.
            return {"type": "http.disconnect"}
        return await self._receive()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._start(message)
            return
        if message["type"] != "http.response.body":
            await self._send(message)
            return
        if self.done:
            return
        if self.bodiless:
            self.done = True
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        if not message.get("more_body", False):
            self.done = True
        await self._send(message)

    async def _start(self, message: Message) -> None:
        status = message["status"]
        headers = MutableHeaders(scope=message)
        if status in (301, 308) and "set-cookie" not in headers:
            # A permanent redirect (a merged duplicate): kept, but asked again each time.
            headers.setdefault("Cache-Control", "no-cache")
            await self._send(message)
            return
        if status not in (200, 203, 204, 206, 304) or "set-cookie" in headers:
            # Errors, redirects to sign-in, answers setting a cookie: each for this request only.
            headers["Cache-Control"] = "no-store"
            await self._send(message)
            return
        if "cache-control" not in headers or self.policy == "no-store":
            headers["Cache-Control"] = self.policy
        if status != 200 or self.policy == "no-store":
            await self._send(message)
            return
        if self.etag is not None:
            _add_vary(headers, VARY)
            if self.last_modified is not None:
                headers["Last-Modified"] = _http_date(self.last_modified)
            own = headers.get("etag")
            if own is None:
                headers["ETag"] = self.etag
                fresh = HttpCaching._fresh(
                    self.request_headers, self.etag, self.last_modified if self.anonymous else None
                )
            else:
                # An item's version ETag: see the module's docstring.
                fresh = (
                    self.anonymous
                    and none_match(self.request_headers.get("if-none-match"), own)
                    and not_modified_since(self.request_headers.get("if-modified-since"), self.last_modified)
                )
            if fresh:
                message["status"] = 304
                message["headers"] = [
                    (k, v) for k, v in message["headers"] if k.lower() in NOT_MODIFIED_KEEPS
                ]
                self.bodiless = True
        await self._send(message)


def _credentials(headers: Headers) -> bool:
    """Whether the request may be someone's: an `Authorization`, or a cookie other than the
    reader's choice of language (which names no one)."""
    if "authorization" in headers:
        return True
    cookies = [c.split("=", 1)[0].strip() for c in headers.get("cookie", "").split(";") if c.strip()]
    return any(name != LANGUAGE_COOKIE for name in cookies)


def _with_cache_control(send: Send, value: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message)["Cache-Control"] = value
        await send(message)

    return sending


def _add_vary(headers: MutableHeaders, names: str) -> None:
    present = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
    for name in names.split(", "):
        if name.lower() not in (p.lower() for p in present):
            present.append(name)
    headers["Vary"] = ", ".join(present)
