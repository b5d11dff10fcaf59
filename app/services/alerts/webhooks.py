"""Webhook addresses and the sending of one webhook, both with the HTTP client's own parser.

`vet` checks an address when a subscription is made (the API and the pages' form alike) and
again before each delivery: it is parsed by the parser of the client that sends (httpx), so
an address that would only fail at sending time is refused when it is given; it must be
`http(s)` to port 80 or 443, without a user name, spaces or control characters; its
host is resolved, and every address it resolves to must be public (IPv4 global addresses;
IPv6 global unicast, less 6to4, Teredo and documentation ranges: no loopback, private,
link-local, site-local, NAT64, IPv4-mapped or -compatible address). `ALLOW_PRIVATE_WEBHOOKS`
lifts the address and port rules (tests, a closed network).

`post` then connects to the very address that was vetted (a name answering a public address
to the check and a loopback one to the send gets nothing), sending the name in `Host` and in
TLS SNI (the certificate is checked against the name). The whole attempt, from connecting to
the answer's status, is bounded by `WEBHOOK_TIMEOUT` seconds of wall-clock time, and the
answer's body is never read (a receiver's 400 MB answer costs nothing). What it tells the
subscriber of a failure says nothing of the network beyond (no "connection refused" against
"timed out").
"""

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass

import httpx2

from app.config import Settings, get_settings
from app.errors import FieldError, Invalid

log = logging.getLogger("findings.worker")

MAX_URL_LENGTH = 2000
PORTS = {"http": 80, "https": 443}
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# Inside 2000::/3, ranges that lead to other networks or to nowhere.
NOT_PUBLIC_V6 = tuple(
    ipaddress.ip_network(n)
    for n in ("2002::/16", "2001::/32", "2001:db8::/32", "2001:10::/28", "2001:20::/28", "3fff::/20")
)
UNREACHABLE = "could not be reached, or did not answer within {seconds:g} seconds"


@dataclass(frozen=True)
class Target:
    """A vetted webhook address: the URL as the client sends it, and the address to connect to."""

    url: httpx2.URL
    address: str


@dataclass
class Outcome:
    ok: bool
    code: int | None = None
    error: str | None = None


def _refuse(field: str, message: str, kind: str = "invalid") -> Invalid:
    return Invalid(f"{field}: {message}.", [FieldError(field, message, kind)])


def address_allowed(address: str) -> bool:
    """A public address: IPv4 global, or IPv6 global unicast outside the tunnels and examples."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_global and not ip.is_multicast and not ip.is_reserved
    if ip not in GLOBAL_UNICAST or any(ip in net for net in NOT_PUBLIC_V6):
        return False
    return ip.is_global


def parse(url: str, *, field: str = "url") -> httpx2.URL:
    """The URL as the HTTP client reads it; refused if it would not send it as given."""
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(field, f"must be at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise _refuse(field, "must not hold spaces or control characters (encode them with %XX)")
    try:
        parsed = httpx2.URL(url)
        host = parsed.raw_host.decode("ascii")
    except Exception:
        raise _refuse(field, "is not a valid URL") from None
    if parsed.scheme not in PORTS or not host:
        raise _refuse(field, "must be an http:// or https:// address")
    if parsed.userinfo:
        raise _refuse(field, "must not carry a user name or password")
    return parsed


def vet(url: str, *, field: str = "url", settings: Settings | None = None) -> Target:
    """Check a webhook address as the worker will use it; returns where to connect."""
    settings = settings or get_settings()
    parsed = parse(url, field=field)
    port = parsed.port or PORTS[parsed.scheme]
    private = settings.allow_private_webhooks
    host = parsed.raw_host.decode("ascii")
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        raise _refuse(field, f"the host {host} cannot be resolved") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = sorted(a for a in addresses if not address_allowed(a))
    if refused and not private:
        raise _refuse(
            field,
            f"leads to a loopback, private or link-local address ({', '.join(refused)}); "
            "webhooks go to public addresses only",
            "address",
        )
    if not private and port != PORTS[parsed.scheme]:
        standard = PORTS[parsed.scheme]
        raise _refuse(field, f"must use the standard port of {parsed.scheme} ({standard})", "port")
    return Target(parsed, addresses[0])


async def post(target: Target, *, body: bytes, headers: dict[str, str], settings: Settings) -> Outcome:
    """Send one webhook to the vetted address, within `WEBHOOK_TIMEOUT` seconds in all."""
    seconds = settings.webhook_timeout
    url = target.url.copy_with(host=target.address)
    extensions = {"sni_hostname": target.url.host} if target.url.scheme == "https" else {}
    try:
        async with asyncio.timeout(seconds):
            async with (
                httpx2.AsyncClient(timeout=seconds, follow_redirects=False, trust_env=False) as client,
                client.stream(
                    "POST",
                    url,
                    content=body,
                    headers=headers | {"host": target.url.netloc.decode("ascii")},
                    extensions=extensions,
                ) as response,
            ):
                # Only the status counts: the body is not read, whatever its size.
                status = response.status_code
    except (TimeoutError, httpx2.HTTPError, OSError) as exc:
        log.info("webhook to %s failed: %s: %s", target.url.host, type(exc).__name__, exc)
        return Outcome(False, None, UNREACHABLE.format(seconds=seconds))
    if 200 <= status < 300:
        return Outcome(True, status)
    return Outcome(False, status, f"answered HTTP {status}")
