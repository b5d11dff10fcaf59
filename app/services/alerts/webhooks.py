"""Sending one webhook, to an address checked by `app.services.shared.urls` (the HTTP
client's own parser; public addresses and ports 80/443 only unless `ALLOW_PRIVATE_URLS`).

`vet` checks a webhook address when a subscription is made (the API and the pages' form alike)
and again before each delivery. `post` then connects to the very address that was vetted (a
name answering a public address to the check and a loopback one to the send gets nothing),
sending the name in `Host` and in TLS SNI. The whole attempt, from connecting to the answer's
status, is bounded by `WEBHOOK_TIMEOUT` seconds of wall-clock time, and the answer's body is
never read (a receiver's 400 MB answer costs nothing). What it tells the subscriber of a
failure says nothing of the network beyond (no "connection refused" against "timed out").
"""

import asyncio
import logging
from dataclasses import dataclass

import httpx2

from app.config import Settings
from app.services.shared import urls

log = logging.getLogger("findings.worker")

UNREACHABLE = "could not be reached, or did not answer within {seconds:g} seconds"
Target = urls.Target


@dataclass
class Outcome:
    ok: bool
    code: int | None = None
    error: str | None = None


def vet(url: str, *, field: str = "url", settings: Settings | None = None) -> Target:
    """Check a webhook address as the worker will use it; returns where to connect."""
    return urls.vet(url, field=field, settings=settings, what="webhooks")


async def post(target: Target, *, body: bytes, headers: dict[str, str], settings: Settings) -> Outcome:
    """Send one webhook to the vetted address, within `WEBHOOK_TIMEOUT` seconds in all."""
    seconds = settings.webhook_timeout
    try:
        async with (
            asyncio.timeout(seconds),
            urls.connect(target, "POST", timeout=seconds, headers=headers, content=body) as response,
        ):
            # Only the status counts: the body is not read, whatever its size.
            status = response.status_code
    except (TimeoutError, httpx2.HTTPError, OSError) as exc:
        log.info("webhook to %s failed: %s: %s", target.url.host, type(exc).__name__, exc)
        return Outcome(False, None, UNREACHABLE.format(seconds=seconds))
    if 200 <= status < 300:
        return Outcome(True, status)
    return Outcome(False, status, f"answered HTTP {status}")
