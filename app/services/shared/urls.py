"""Outbound HTTP to addresses a user gave (webhooks, links to archive, links checked for rot),
checked by the HTTP client's own parser and sent only where the check allowed.

`vet` checks an address when it is given (the API and the pages' forms alike) and again before
each connection, redirects included: it is parsed by the parser of the client that sends
(httpx2), so an address that would only fail at sending time is refused when it is given; it
must be `http(s)` to port 80 or 443, without a user name, spaces or control characters; its
host is resolved, and every address it resolves to must be public (IPv4 global addresses;
IPv6 global unicast, less 6to4, Teredo and documentation ranges: no loopback, private,
link-local, site-local, NAT64, IPv4-mapped or -compatible address). `ALLOW_PRIVATE_URLS`
(formerly `ALLOW_PRIVATE_WEBHOOKS`, still read) lifts the address and port rules (tests, a
closed network).

`connect` then opens the request to the very address that was vetted (a name answering a
public address to the check and a loopback one to the send gets nothing), sending the name in
`Host` and in TLS SNI (the certificate is checked against the name). Redirects are never
followed by the client: a caller that follows one vets its `Location` first.
"""

import ipaddress
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx2

from app.config import Settings, get_settings
from app.errors import FieldError, Invalid

MAX_URL_LENGTH = 2000
PORTS = {"http": 80, "https": 443}
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# Inside 2000::/3, ranges that lead to other networks or to nowhere.
NOT_PUBLIC_V6 = tuple(
    ipaddress.ip_network(n)
    for n in ("2002::/16", "2001::/32", "2001:db8::/32", "2001:10::/28", "2001:20::/28", "3fff::/20")
)


@dataclass(frozen=True)
class Target:
    """A vetted address: the URL as the client sends it, and the address to connect to."""

    url: httpx2.URL
    address: str


def refuse(field: str, message: str, kind: str = "invalid") -> Invalid:
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
        raise refuse(field, f"must be at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise refuse(field, "must not hold spaces or control characters (encode them with %XX)")
    try:
        parsed = httpx2.URL(url)
        host = parsed.raw_host.decode("ascii")
    except Exception:
        raise refuse(field, "is not a valid URL") from None
    if parsed.scheme not in PORTS or not host:
        raise refuse(field, "must be an http:// or https:// address")
    if parsed.userinfo:
        raise refuse(field, "must not carry a user name or password")
    return parsed


def private_allowed(settings: Settings) -> bool:
    return settings.allow_private_urls or settings.allow_private_webhooks


def vet(url: str, *, field: str = "url", settings: Settings | None = None, what: str = "links") -> Target:
    """Check an address as it will be used; returns where to connect (`what` names the use in
    the refusal: "webhooks go to public addresses only")."""
    settings = settings or get_settings()
    parsed = parse(url, field=field)
    port = parsed.port or PORTS[parsed.scheme]
    private = private_allowed(settings)
    host = parsed.raw_host.decode("ascii")
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        raise refuse(field, f"the host {host} cannot be resolved", "unresolved") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = sorted(a for a in addresses if not address_allowed(a))
    if refused and not private:
        raise refuse(
            field,
            f"leads to a loopback, private or link-local address ({', '.join(refused)}); "
            f"{what} go to public addresses only",
            "address",
        )
    if not private and port != PORTS[parsed.scheme]:
        standard = PORTS[parsed.scheme]
        raise refuse(field, f"must use the standard port of {parsed.scheme} ({standard})", "port")
    return Target(parsed, addresses[0])


@asynccontextmanager
async def connect(
    target: Target,
    method: str,
    *,
    timeout: float,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> AsyncIterator[httpx2.Response]:
    """The streamed answer of one request to the vetted address (its body not yet read); the
    caller bounds the whole exchange in wall-clock time and reads as much of the body as it
    wants."""
    url = target.url.copy_with(host=target.address)
    extensions = {"sni_hostname": target.url.host} if target.url.scheme == "https" else {}
    async with (
        httpx2.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client,
        client.stream(
            method,
            url,
            content=content,
            headers=(headers or {}) | {"host": target.url.netloc.decode("ascii")},
            extensions=extensions,
        ) as response,
    ):
        yield response
