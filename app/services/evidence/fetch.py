"""The worker's side of links: fetching a link to archive it, and checking archived links again
later (link rot).

A fetch is guarded like a webhook (`shared.urls`): the address is vetted when it is given (422)
and again at every connection and every redirect (at most `MAX_REDIRECTS`), the connection goes
to the address vetted, and the whole exchange is bounded by `FETCH_TIMEOUT` seconds of
wall-clock time and the body by `MAX_DOCUMENT_BYTES`. What comes back is kept as it came: the
body (by SHA-256, like an upload), the final URL, status, headers and time, and the exchange as
a standard WARC file (`warcio`: a `warcinfo`, the `request` and the `response` record), which
any web-archive tool reads. A failure that may pass (a timeout, a 5xx, a 429) is tried again
later (`RETRY_AFTER`); one that will not (a private address, a 404, a type the record does not
keep, too large) ends the document as `failed`, naming the reason.

The link checker asks each archived link again every `LINK_CHECK_DAYS` days, politely: one
request per host at a time (a round takes at most one link per host) and a host's
`Retry-After` honoured. It records `live` (it answers 2xx where it did), `moved` (it redirects
elsewhere that answers) or `gone` (404, 410, or the name no longer resolves); the archived copy
stays whatever the link does.
"""

import asyncio
import datetime as dt
import email.utils
import io
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx2
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from app.config import Settings, get_settings
from app.db import Database
from app.errors import Invalid
from app.models import Document
from app.services.evidence import sniff, storage
from app.services.shared import audit, urls
from app.vocab import DocumentStatus, LinkStatus, TextStatus

log = logging.getLogger("findings.worker")

MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}
# Seconds before the second, third and fourth attempt of a fetch that may pass; then it fails.
RETRY_AFTER = (60, 600, 3600)
USER_AGENT = "FindingsTracker (archiving the evidence of a public record)"
WARC_TYPE = "application/warc"


class Refused(Exception):
    """A fetch that failed: `reason` is told to the reader; `lasting` when trying again is
    pointless (a private address, a 404, a type not kept)."""

    def __init__(self, reason: str, *, lasting: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.lasting = lasting
        self.retry_after = retry_after


@dataclass
class Exchange:
    """One answered request: where it went, what came back."""

    url: str
    address: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    request_headers: list[tuple[str, str]]
    body: bytes
    at: dt.datetime
    redirected: bool = False
    hops: list[str] = field(default_factory=list)


def submitted(session: Session, *, url: str, title: str | None) -> Document:
    """A link given to archive: vetted now (422 for a private address, another scheme, a name
    that does not resolve), fetched by the worker."""
    urls.vet(url, field="url", what="links to archive")
    document = Document(
        title=title,
        status=DocumentStatus.pending,
        url=url,
        text_status=TextStatus.pending,
        created_by=audit.actor(session),
    )
    session.add(document)
    session.flush()
    audit.created(session, "document", document.id, audit.row(document))
    return document


def _retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds a `Retry-After` header asks for (delta or HTTP date), at most a day."""
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value.strip()), 86400.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, min((when - now).total_seconds(), 86400.0))


async def _exchange(
    url: str, *, method: str, settings: Settings, read_body: bool, max_bytes: int
) -> Exchange:
    """GET (or HEAD) `url`, following redirects, each hop vetted; raises `Refused`."""
    hops: list[str] = []
    for _ in range(MAX_REDIRECTS + 1):
        try:
            target = urls.vet(url, field="url", settings=settings, what="links to archive")
        except Invalid as exc:
            error = exc.errors[0] if exc.errors else None
            kind = error.type if error else "invalid"
            message = error.message if error else exc.detail
            where = f"redirected to {url}: " if hops else ""
            raise Refused(where + f"the address {message}", lasting=kind != "unresolved") from None
        headers = {"user-agent": USER_AGENT, "accept-encoding": "identity", "accept": "*/*"}
        at = dt.datetime.now(dt.UTC)
        async with urls.connect(target, method, timeout=settings.fetch_timeout, headers=headers) as response:
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location:
                hops.append(url)
                url = str(httpx2.URL(url).join(location))
                continue
            body = b""
            if read_body:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if size > max_bytes:
                        raise Refused(f"the answer is over {max_bytes:,} bytes", lasting=True)
                    chunks.append(chunk)
                body = b"".join(chunks)
            return Exchange(
                url=url,
                address=target.address,
                status=response.status_code,
                reason=response.reason_phrase or "",
                headers=[(k, v) for k, v in response.headers.multi_items()],
                request_headers=[(k, v) for k, v in headers.items()] + [("host", target.url.netloc.decode())],
                body=body,
                at=at,
                redirected=bool(hops),
                hops=hops,
            )
    raise Refused(f"more than {MAX_REDIRECTS} redirects", lasting=True)


async def get(url: str, *, settings: Settings, read_body: bool = True, method: str = "GET") -> Exchange:
    """One guarded exchange, bounded by `FETCH_TIMEOUT` seconds in all."""
    seconds = settings.fetch_timeout
    try:
        async with asyncio.timeout(seconds):
            return await _exchange(
                url,
                method=method,
                settings=settings,
                read_body=read_body,
                max_bytes=settings.max_document_bytes,
            )
    except Refused:
        raise
    except (TimeoutError, httpx2.HTTPError, OSError) as exc:
        log.info("fetch of %s failed: %s: %s", url, type(exc).__name__, exc)
        raise Refused(
            f"could not be reached, or did not answer within {seconds:g} seconds", lasting=False
        ) from None


def warc(exchange: Exchange) -> bytes:
    """The exchange as a gzipped WARC file: `warcinfo`, `request`, `response`."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    date = exchange.at.strftime("%Y-%m-%dT%H:%M:%SZ")
    writer.write_record(
        writer.create_warcinfo_record(
            "findings-tracker.warc.gz", {"software": USER_AGENT, "format": "WARC/1.1"}
        )
    )
    path = httpx2.URL(exchange.url).raw_path.decode("ascii")
    request = writer.create_warc_record(
        exchange.url,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=StatusAndHeaders(f"GET {path} HTTP/1.1", exchange.request_headers, is_http_request=True),
        warc_headers_dict={"WARC-Date": date, "WARC-IP-Address": exchange.address},
    )
    response = writer.create_warc_record(
        exchange.url,
        "response",
        payload=io.BytesIO(exchange.body),
        length=len(exchange.body),
        http_headers=StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".strip(), exchange.headers, protocol="HTTP/1.1"
        ),
        warc_headers_dict={"WARC-Date": date, "WARC-IP-Address": exchange.address},
    )
    writer.write_record(request)
    writer.write_record(response)
    return out.getvalue()


# -- The worker's chores ---------------------------------------------------------------------


def _claim(db: Database, ids: list[int], column: Any, lease: dt.timedelta) -> list[int]:
    """Take each of `ids` whose time has come, pushing it by `lease` so that no other worker
    takes it meanwhile (a conditional update: one winner on either database)."""
    mine = []
    for document_id in ids:
        with db.transaction(actor="worker:fetch") as session:
            now = dt.datetime.now(dt.UTC)
            taken = session.execute(
                update(Document)
                .where(Document.id == document_id, or_(column.is_(None), column <= now))
                .values({column.key: now + lease})
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                mine.append(document_id)
    return mine


def fetch_pending(db: Database, *, limit: int = 5, settings: Settings | None = None) -> int:
    """Fetch up to `limit` links waiting to be archived; return how many were tried."""
    settings = settings or get_settings()
    now = dt.datetime.now(dt.UTC)
    with db.transaction(write=False) as session:
        due = list(
            session.scalars(
                select(Document.id)
                .where(
                    Document.status == DocumentStatus.pending,
                    or_(Document.next_attempt_at.is_(None), Document.next_attempt_at <= now),
                )
                .order_by(Document.id)
                .limit(limit)
            )
        )
    lease = dt.timedelta(seconds=settings.fetch_timeout * 2 + 30)
    mine = _claim(db, due, Document.next_attempt_at, lease)
    for document_id in mine:
        with db.transaction(write=False) as session:
            url = session.scalar(select(Document.url).where(Document.id == document_id))
        if url is None:
            continue
        try:
            exchange = asyncio.run(get(url, settings=settings))
            outcome: Exchange | Refused = exchange
            if exchange.status >= 400:
                raise Refused(
                    f"answered HTTP {exchange.status}",
                    lasting=exchange.status not in (408, 425, 429) and exchange.status < 500,
                    retry_after=_retry_after(dict(exchange.headers).get("retry-after"), exchange.at),
                )
        except Refused as refused:
            outcome = refused
        with db.transaction(actor="worker:fetch") as session:
            document = session.get(Document, document_id)
            if document is None or document.status != DocumentStatus.pending:
                continue
            if isinstance(outcome, Refused):
                _failed(document, outcome)
            else:
                _archived(session, document, outcome, settings)
            document.updated_at = dt.datetime.now(dt.UTC)
    return len(mine)


def _failed(document: Document, refused: Refused) -> None:
    document.attempts += 1
    document.failure = refused.reason[:500]
    if refused.lasting or document.attempts > len(RETRY_AFTER):
        document.status = DocumentStatus.failed
        document.next_attempt_at = None
        document.text_status = TextStatus.no_text
        return
    wait = max(RETRY_AFTER[document.attempts - 1], refused.retry_after or 0)
    document.next_attempt_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait)


def _archived(session: Session, document: Document, exchange: Exchange, settings: Settings) -> None:
    document.attempts += 1
    media = sniff.media_type(exchange.body)
    if media is None:
        _failed(
            document, Refused("the page is none of the types kept (PDF, HTML, text, PNG, JPEG)", lasting=True)
        )
        return
    document.sha256 = storage.put(session, exchange.body)
    document.warc_sha256 = storage.put(session, warc(exchange))
    document.media_type = media
    document.size = len(exchange.body)
    document.status = DocumentStatus.stored
    document.final_url = exchange.url
    document.http_status = exchange.status
    document.headers = dict(exchange.headers)
    document.fetched_at = exchange.at
    document.failure = None
    document.next_attempt_at = None
    document.text_status = TextStatus.no_text if media.startswith("image/") else TextStatus.pending
    document.link_status = LinkStatus.live
    document.link_checked_at = exchange.at
    document.link_next_check_at = exchange.at + dt.timedelta(days=settings.link_check_days)


def check_links(db: Database, *, limit: int = 10, settings: Settings | None = None) -> int:
    """Ask up to `limit` archived links again (one per host); return how many were asked."""
    settings = settings or get_settings()
    now = dt.datetime.now(dt.UTC)
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(Document.id, Document.url)
            .where(
                Document.url.is_not(None),
                Document.status == DocumentStatus.stored,
                Document.link_next_check_at <= now,
            )
            .order_by(Document.link_next_check_at, Document.id)
            .limit(limit * 5)
        ).all()
    hosts: set[str] = set()
    due: list[int] = []
    for document_id, url in rows:
        host = httpx2.URL(str(url)).host
        if host not in hosts and len(due) < limit:
            hosts.add(host)
            due.append(document_id)
    lease = dt.timedelta(seconds=settings.fetch_timeout * 2 + 30)
    mine = _claim(db, due, Document.link_next_check_at, lease)
    for document_id in mine:
        with db.transaction(write=False) as session:
            url, final_url = session.execute(
                select(Document.url, Document.final_url).where(Document.id == document_id)
            ).one()
        if url is None:
            continue
        status, wait = _check(url, final_url or url, settings)
        with db.transaction(actor="worker:links") as session:
            document = session.get(Document, document_id)
            if document is None:
                continue
            checked = dt.datetime.now(dt.UTC)
            if status is not None:
                document.link_status = status
                document.link_checked_at = checked
            document.link_next_check_at = checked + (wait or dt.timedelta(days=settings.link_check_days))
    return len(mine)


def _check(url: str, archived_from: str, settings: Settings) -> tuple[LinkStatus | None, dt.timedelta | None]:
    """What the link answers now (None: cannot tell yet), and when to ask again if sooner:
    `moved` when it now leads somewhere else than where it led when it was archived."""
    try:
        exchange = asyncio.run(get(url, settings=settings, read_body=False))
    except Refused as refused:
        if "cannot be resolved" in refused.reason:
            return LinkStatus.gone, None
        return None, dt.timedelta(days=1)
    if exchange.status in (404, 410):
        return LinkStatus.gone, None
    if exchange.status in (429, 503):
        wait = _retry_after(dict(exchange.headers).get("retry-after"), exchange.at) or 3600.0
        return None, dt.timedelta(seconds=wait)
    if 200 <= exchange.status < 300:
        return (LinkStatus.moved if exchange.url != archived_from else LinkStatus.live), None
    return None, dt.timedelta(days=1)
