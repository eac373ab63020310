"""Feeds fetched by URL into a file: public addresses only, on every hop, within a deadline.

What a feed URL may reach is the engine's whole defence against being used to read the
shop's internal network (server-side request forgery), so every rule is checked by the engine
itself rather than left to the HTTP client:

- Only ``http`` and ``https``; redirects are followed here, one hop at a time, at most
  :data:`MAX_REDIRECTS`, and each new URL is checked as the first one was.
- The host's addresses must all be public (:func:`is_public`) unless the policy allows them.
  A literal address is checked before any request; a name is checked by the resolver that
  the connection then uses, so the address checked is the address connected to (a second DNS
  answer cannot swap it: no DNS rebinding). Legacy numeric forms (``2130706433``,
  ``0x7f.1``, ``127.1``) are refused outright.
- Errors say "could not fetch the feed", plus the HTTP status when there was one, and nothing
  about why a connection failed: that would tell open internal ports from closed ones. The
  reason goes to the log, with the URL's user name, password and query left out.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from recoms.errors import FeedError

log = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 15.0
CHUNK = 256 * 1024
COULD_NOT = "could not fetch the feed"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Addresses that carry an IPv4 address inside an IPv6 one: the IPv4 part could be anything.
_EMBEDDING = (
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated)
    ipaddress.IPv6Network("64:ff9b::/96"),  # NAT64
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64
)


def is_public(address: Address) -> bool:
    """Whether ``address`` is a globally routed unicast address: not loopback, private,
    link-local, multicast, reserved, unspecified, shared (CGNAT) or documentation space, and
    not an IPv6 address that embeds an IPv4 one (mapped, compatible, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address) and (
        address.ipv4_mapped is not None
        or address.sixtofour is not None
        or address.teredo is not None
        or any(address in network for network in _EMBEDDING)
    ):
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True)
class FetchPolicy:
    """What a feed fetch may reach and how much it may take.

    ``max_bytes`` bounds the bytes received (compressed as sent); ``deadline`` (seconds)
    bounds the whole fetch, redirects included."""

    max_bytes: int
    deadline: float
    allow_private: bool = False
    allowed_networks: tuple[Network, ...] = ()

    def permits(self, address: Address) -> bool:
        if self.allow_private or is_public(address):
            return True
        return any(
            address.version == network.version and address in network
            for network in self.allowed_networks
        )


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.1.2.0/24, 192.168.5.7"`` as networks. Raises ``ValueError`` naming a bad one."""
    networks = []
    for item in text.split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"{item.strip()!r} is not a network such as 10.1.2.0/24"
                ) from None
    return tuple(networks)


def redact(url: str | URL) -> str:
    """The URL as logs may show it: no user name, password, query or fragment (they may
    carry a token), ``?…`` where a query was."""
    try:
        parsed = URL(str(url))
        shown = str(parsed.with_user(None).with_query(None).with_fragment(None))
    except (ValueError, TypeError):
        return "(an unreadable URL)"
    return shown + ("?…" if parsed.query_string else "")


class _Refused(OSError):
    """The host's address is not one the policy lets the fetch reach."""


class _CheckedResolver(AbstractResolver):
    """Resolves as usual and refuses the host when any of its addresses is not permitted.

    The connection is made to the addresses returned here, so the check and the connection
    see the same answer."""

    def __init__(self, policy: FetchPolicy) -> None:
        self._policy = policy
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        # aiohttp hands literal addresses straight to the connection; a host such as
        # "0x7f.1" is not one for aiohttp but is for getaddrinfo, and lands here.
        results = await self._resolver.resolve(host, port, family)
        for result in results:
            address = ipaddress.ip_address(result["host"].partition("%")[0])
            if not self._policy.permits(address):
                raise _Refused(f"{host} resolves to {address}, which is not a public address")
        return results

    async def close(self) -> None:
        await self._resolver.close()


async def download(
    url: str,
    file: BinaryIO,
    policy: FetchPolicy,
    *,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write the body of ``url`` (following redirects) to ``file``, as sent: a gzipped
    feed stays gzipped. ``progress`` gets the bytes written since its previous call.

    Raises ``FeedError`` (see the module's notes on what it says)."""
    shown = redact(url)
    connector = aiohttp.TCPConnector(
        resolver=_CheckedResolver(policy), use_dns_cache=False, limit=1
    )
    session = aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT),
        auto_decompress=False,
        headers={"User-Agent": "recoms-feed-import/1", "Accept-Encoding": "gzip"},
    )
    try:
        async with asyncio.timeout(policy.deadline):
            await _follow(session, url, file, policy, progress)
    except _Failed as failed:
        log.warning("feed %s not fetched: %s", shown, failed.reason)
        raise FeedError(failed.message) from None
    except TimeoutError:
        log.warning("feed %s not fetched within %g s", shown, policy.deadline)
        raise FeedError(f"{COULD_NOT} within {policy.deadline:g} s") from None
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        log.warning("feed %s not fetched: %s", shown, _reason(exc))
        raise FeedError(COULD_NOT) from None
    finally:
        await session.close()


class _Failed(Exception):
    def __init__(self, reason: str, status: int | None = None, message: str = COULD_NOT) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = f"{message}: HTTP {status}" if status is not None else message


async def _follow(
    session: aiohttp.ClientSession,
    url: str,
    file: BinaryIO,
    policy: FetchPolicy,
    progress: Callable[[int], None] | None,
) -> None:
    current = URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        _check(current, policy)
        async with session.get(current, allow_redirects=False) as response:
            if response.status in _REDIRECTS:
                location = response.headers.get("Location", "")
                if not location:
                    raise _Failed(f"HTTP {response.status} without a Location", response.status)
                current = current.join(URL(location))
                continue
            if response.status != 200:
                raise _Failed(f"HTTP {response.status}", response.status)
            encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
            if encoding not in ("identity", "gzip", "x-gzip"):
                raise _Failed(f"unsupported Content-Encoding {encoding!r}")
            await _save(response, file, policy, progress)
            return
    raise _Failed(f"more than {MAX_REDIRECTS} redirects")


def _check(url: URL, policy: FetchPolicy) -> None:
    """Refuse a URL whose scheme is not the web's or whose literal address is not permitted."""
    if url.scheme not in ("http", "https") or not url.host:
        raise _Failed(f"not an http(s) URL: {redact(url)}")
    host = url.host
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        # Every dotted or plain number is an address to the socket layer ("2130706433",
        # "127.1", "0x7f.0.0.1"); only the canonical form is accepted, and checked above.
        if host.replace(".", "").isdigit() or _hex_number(host):
            raise _Failed(f"{host} is a non-canonical numeric address") from None
        return
    if not policy.permits(address):
        raise _Failed(f"{address} is not a public address")


def _hex_number(host: str) -> bool:
    parts = host.lower().split(".")
    return any(part.startswith("0x") for part in parts) and all(
        part.startswith("0x") or part.isdigit() for part in parts if part
    )


async def _save(
    response: aiohttp.ClientResponse,
    file: BinaryIO,
    policy: FetchPolicy,
    progress: Callable[[int], None] | None,
) -> None:
    too_large = f"the feed is larger than {policy.max_bytes} bytes (RECOMS_FEED_MAX_BYTES)"
    declared = response.content_length
    if declared is not None and declared > policy.max_bytes:
        raise _Failed(f"Content-Length {declared}", message=too_large)
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK):
        size += len(chunk)
        if size > policy.max_bytes:
            raise _Failed(f"more than {policy.max_bytes} bytes", message=too_large)
        await asyncio.to_thread(file.write, chunk)
        if progress is not None:
            progress(len(chunk))
    if size == 0:
        raise _Failed("an empty body", message="the feed is empty")


def _reason(exc: BaseException) -> str:
    """The cause of a failed connection, for the log only. Never the exception's own text:
    aiohttp puts whole URLs (user, password, query) into some of them."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, _Refused):
            return str(cause)
        if isinstance(cause, aiohttp.ClientConnectorError):
            error = cause.os_error
            if isinstance(error, _Refused):
                return str(error)
            return f"cannot connect to {cause.host}:{cause.port}: {error.strerror or error}"
        cause = cause.__cause__
    return type(exc).__name__
