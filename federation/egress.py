"""The one gate for outgoing HTTP: every fetch of an actor, key, object, WebFinger, collection or media.

Remote servers and the URLs they hand us are hostile. The gate:

- checks addresses after DNS, at connect time (a resolver that drops non-global addresses and a
  connector that applies the same check to literal IP hosts), so DNS rebinding cannot slip a
  private address past an earlier check;
- follows redirects itself, re-checking the scheme on every hop (the connector re-checks the host);
- caps the decompressed body, the number of redirects and the time spent;
- raises one family of errors, `EgressError`, so callers can tell "refused" from "unreachable".

Local-testing mode is explicit: hosts named in `EgressPolicy.allow_private_hosts` may resolve to
loopback or private addresses, and `allow_http` permits plain HTTP. Neither is a default.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import json
import logging
import socket
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ConnectionKey
from aiohttp.connector import Connection
from multidict import CIMultiDict
from yarl import URL

log = logging.getLogger("kith.egress")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The media types ActivityPub objects are served as (the `profile` parameter is not compared).
ACTIVITY_MEDIA_TYPES = ("application/activity+json", "application/ld+json")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_SIZE = 64 * 1024

# Headers that carry the caller's credentials; never forwarded to another origin.
CREDENTIAL_HEADERS = ("Authorization", "Cookie", "Signature", "Signature-Input")
# Headers that describe a request body; dropped when a redirect turns the request into a GET.
BODY_HEADERS = ("Content-Type", "Content-Length", "Digest", "Content-Digest")

# Signs one hop: (method, url, headers, body) -> headers to add, or an awaitable of them (to sign
# off the event loop). Called again after each redirect, because an HTTP signature covers the
# target host and path.
Signer = Callable[[str, str, CIMultiDict[str], bytes | None], Mapping[str, str] | Awaitable[Mapping[str, str]]]


# ---------------------------------------------------------------------------------------------
# Errors


class EgressError(Exception):
    """An outgoing request was refused or failed; `url` says which, `reason` says why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason}: {url}")
        self.url = url
        self.reason = reason


class EgressBlocked(EgressError):
    """Refused by policy: scheme, or a host that is (or resolves only to) a non-global address."""


class EgressRedirectRefused(EgressError):
    """Too many redirects, or a redirect that would change what a POST means."""


class EgressTooLarge(EgressError):
    """The (decompressed) body is larger than the policy allows."""


class EgressTimeout(EgressError):
    """Connect, read or total time ran out."""


class EgressConnectionError(EgressError):
    """The peer could not be reached or broke the exchange (DNS failure, refused, TLS, bad body)."""


class EgressBadStatus(EgressError):
    """`fetch_json` got a non-2xx answer; `status` is kept (410 means gone, 429 means later)."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, f"HTTP {status}")
        self.status = status


class EgressBadContent(EgressError):
    """`fetch_json` got something that is not acceptable JSON (media type, syntax, nesting)."""


# ---------------------------------------------------------------------------------------------
# Policy


def normalise_host(host: str) -> str:
    """Lower-case, without IPv6 brackets, trailing dot or port: the form policy compares."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


@dataclass(frozen=True)
class EgressPolicy:
    """What outgoing requests may do. The defaults are the production ones."""

    user_agent: str
    # Hosts that may resolve to loopback/private addresses: local testing only.
    allow_private_hosts: frozenset[str] = field(default_factory=frozenset)
    allow_http: bool = False
    max_bytes: int = 1024 * 1024
    max_redirects: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 20.0
    limit_per_host: int = 8
    # Kept-alive connections waiting for reuse, over all hosts: a fan-out to 10,000 instances would
    # otherwise hold a socket per peer for `keepalive_timeout` (aiohttp's `limit` counts busy ones only).
    max_idle_connections: int = 256
    keepalive_timeout: float = 30.0

    def __post_init__(self) -> None:
        hosts = frozenset(normalise_host(h) for h in self.allow_private_hosts)
        object.__setattr__(self, "allow_private_hosts", hosts)

    def allows_private(self, host: str) -> bool:
        return normalise_host(host) in self.allow_private_hosts

    def allowed_schemes(self) -> frozenset[str]:
        return frozenset({"http", "https"}) if self.allow_http else frozenset({"https"})


# ---------------------------------------------------------------------------------------------
# Addresses

# Checked in order; the first match names the reason. `ipaddress` flags catch the rest.
_FORBIDDEN_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "unspecified ('this network')"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignment"),
        ("192.0.2.0/24", "documentation"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible (deprecated)"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "unique local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated)"),
        ("ff00::/8", "multicast"),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), which decides its fate."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped, "IPv4-mapped"
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF), "NAT64"
    if addr.sixtofour is not None:
        return addr.sixtofour, "6to4"
    return None


def is_forbidden_address(ip: str | IPAddress) -> str | None:
    """Why we must not connect to `ip` (loopback, private, ...), or None if it is a global address."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return "not an IP address"
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(addr)
        if embedded is not None:
            reason = is_forbidden_address(embedded[0])
            return f"{reason} ({embedded[1]})" if reason else None
    for network, reason in _FORBIDDEN_NETWORKS:
        if addr in network:
            return reason
    if addr.is_reserved or not addr.is_global:
        return "not globally routable"
    return None


def _blocked(target: str, host: str, reason: str) -> EgressBlocked:
    """Log the refusal as one structured event and build the error to raise."""
    log.warning(
        "egress_blocked host=%s reason=%s target=%s",
        host,
        reason,
        target,
        extra={"event": "egress_blocked", "host": host, "reason": reason, "target": target},
    )
    return EgressBlocked(target, reason)


class GuardedResolver(AbstractResolver):
    """Resolves with `inner`, then drops non-global addresses unless the host is allow-listed.

    aiohttp connects only to what this returns, so the check holds at connect time.
    """

    def __init__(self, policy: EgressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        # ThreadedResolver is getaddrinfo: it honours /etc/hosts, as local testing needs.
        self._inner = inner or aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._policy.allows_private(host):
            return results
        kept = [r for r in results if is_forbidden_address(r["host"]) is None]
        if not kept:
            reason = is_forbidden_address(results[0]["host"]) if results else "no addresses"
            raise _blocked(host, host, f"resolves only to non-global addresses ({reason})")
        return kept

    async def close(self) -> None:
        await self._inner.close()


def _pool_hooks_fit() -> bool:
    """Whether aiohttp's connection pool has the internals GuardedConnector's idle cap hooks (as in
    3.14): checked once, so a newer aiohttp that changed them runs uncapped instead of failing."""
    try:
        release = list(inspect.signature(aiohttp.TCPConnector._release).parameters)
        get = list(inspect.signature(aiohttp.TCPConnector._get).parameters)
    except (AttributeError, TypeError, ValueError):
        return False
    return (release[:3] == ["self", "key", "protocol"] and "should_close" in release
            and get[:2] == ["self", "key"]
            and all(hasattr(aiohttp.TCPConnector, name) for name in ("_cleanup", "_close")))


class GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that applies the address policy to literal IP hosts too, and keeps at most
    `max_idle` connections alive for reuse (the least recently used one is closed beyond that).

    aiohttp answers IP literals itself without asking the resolver (TCPConnector._resolve_host),
    so this is the one place both kinds of host pass through before a socket is opened. Its own
    `limit` bounds the connections in use, not those kept alive: one per peer a fan-out reached.
    The cap hooks aiohttp's pool (`_conns`, `_release`, `_get`, `_cleanup`, `_close`; 3.14),
    which tests/federation/test_egress.py checks.
    """

    def __init__(self, policy: EgressPolicy, *, max_idle: int = 0, **kwargs: Any) -> None:
        super().__init__(resolver=GuardedResolver(policy), **kwargs)
        self._policy = policy
        if max_idle and not _pool_hooks_fit():
            log.warning("this aiohttp's connection pool is not the one the idle cap was written for (3.14);"
                        " idle keep-alive connections are not capped")
            max_idle = 0
        self._max_idle = max_idle  # 0: no cap, and the hooks below only pass through
        self._idle: OrderedDict[ResponseHandler, ConnectionKey] = OrderedDict()  # least recently released first

    def idle_connections(self) -> int:
        return len(self._idle)

    def _release(self, key: ConnectionKey, protocol: ResponseHandler, *args: Any, **kwargs: Any) -> None:
        super()._release(key, protocol, *args, **kwargs)
        if not self._max_idle:
            return
        kept = self._conns.get(key)
        if not kept or kept[-1][0] is not protocol:
            return  # closed rather than kept (or the connector is closed)
        self._idle[protocol] = key
        while len(self._idle) > self._max_idle:
            oldest, oldest_key = self._idle.popitem(last=False)
            self._drop_idle(oldest_key, oldest)

    def _drop_idle(self, key: ConnectionKey, protocol: ResponseHandler) -> None:
        conns = self._conns.get(key)
        if conns is None:
            return
        for entry in conns:
            if entry[0] is protocol:
                conns.remove(entry)
                break
        else:
            return
        if not conns:
            del self._conns[key]
        transport = protocol.transport
        protocol.close()
        if key.is_ssl and not self._cleanup_closed_disabled:
            self._cleanup_closed_transports.append(transport)

    async def _get(self, key: ConnectionKey, *args: Any, **kwargs: Any) -> Connection | None:
        if not self._max_idle:
            return await super()._get(key, *args, **kwargs)
        conns = self._conns.get(key)
        before = [proto for proto, _ in conns] if conns and self._idle else []
        try:
            return await super()._get(key, *args, **kwargs)
        finally:  # taken for reuse, or closed as stale: no longer idle
            still = {proto for proto, _ in self._conns.get(key, ())}
            for proto in before:
                if proto not in still:
                    self._idle.pop(proto, None)

    def _cleanup(self) -> None:
        super()._cleanup()
        if self._idle:  # those aiohttp closed as expired
            still = {proto for conns in self._conns.values() for proto, _ in conns}
            self._idle = OrderedDict((proto, key) for proto, key in self._idle.items() if proto in still)

    def _close(self, *args: Any, **kwargs: Any) -> Any:
        self._idle.clear()
        return super()._close(*args, **kwargs)

    async def _resolve_host(self, host: str, port: int, traces: Any = None) -> list[ResolveResult]:
        if not self._policy.allows_private(host):
            reason = _literal_ip_reason(host)
            if reason is not None:
                raise _blocked(host, host, reason)
        return await super()._resolve_host(host, port, traces=traces)


def _literal_ip_reason(host: str) -> str | None:
    """The refusal reason if `host` is a literal IP address we must not reach; None otherwise."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None  # a name (or a legacy numeric form aiohttp itself rejects)
    return is_forbidden_address(host)


# ---------------------------------------------------------------------------------------------
# Session and fetch


def make_session(policy: EgressPolicy) -> aiohttp.ClientSession:
    """The ClientSession for all outgoing requests.

    Its connector refuses forbidden addresses on its own; send requests through `fetch`, which
    adds the per-hop scheme check, redirect handling and body cap the session does not have.
    """
    connector = GuardedConnector(
        policy,
        limit=256,
        limit_per_host=policy.limit_per_host,
        keepalive_timeout=policy.keepalive_timeout,
        max_idle=policy.max_idle_connections,
        ttl_dns_cache=60,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=policy.total_timeout,
            connect=policy.connect_timeout,
            sock_read=policy.read_timeout,
        ),
        headers={"User-Agent": policy.user_agent},
        auto_decompress=True,
        cookie_jar=aiohttp.DummyCookieJar(),  # no state carried between remote servers
        trust_env=False,  # no proxy: the proxy would resolve hosts out of the guard's sight
    )


@dataclass(frozen=True)
class EgressResponse:
    """A completed exchange: the last hop's status and headers, the whole body, the final URL."""

    status: int
    headers: CIMultiDict[str]
    body: bytes
    url: str


async def fetch(
    session: aiohttp.ClientSession,
    policy: EgressPolicy,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    sign: Signer | None = None,
) -> EgressResponse:
    """Send one request through the gate, following up to `policy.max_redirects` redirects.

    Any status is returned as is (the caller decides what 4xx/5xx mean); refusals and failures
    raise `EgressError` subclasses. `sign`, if given, signs every hop.
    """
    try:
        start = URL(url)
    except ValueError as exc:
        raise EgressBlocked(url, "invalid URL") from exc
    try:
        async with asyncio.timeout(policy.total_timeout):
            return await _follow(session, policy, method.upper(), start, headers, data, sign)
    except TimeoutError as exc:
        raise EgressTimeout(url, "timed out") from exc


async def _follow(
    session: aiohttp.ClientSession,
    policy: EgressPolicy,
    method: str,
    start: URL,
    headers: Mapping[str, str] | None,
    data: bytes | None,
    sign: Signer | None,
) -> EgressResponse:
    base_headers = CIMultiDict(headers or {})
    target = start
    for _ in range(policy.max_redirects + 1):
        _check_scheme(target, policy)
        hop_headers = base_headers.copy()
        if sign is not None:
            signed = sign(method, str(target), hop_headers, data)
            hop_headers.update(await signed if inspect.isawaitable(signed) else signed)
        response = await _exchange(session, policy, method, target, hop_headers, data)
        location = response.headers.get("Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response
        next_target = _redirect_target(target, location)
        method, data = _redirected_method(method, response.status, data, str(target))
        if data is None:
            for name in BODY_HEADERS:
                base_headers.popall(name, None)
        if _origin(next_target) != _origin(target):
            for name in CREDENTIAL_HEADERS:
                base_headers.popall(name, None)
        target = next_target
    raise EgressRedirectRefused(str(start), f"more than {policy.max_redirects} redirects")


async def _exchange(
    session: aiohttp.ClientSession,
    policy: EgressPolicy,
    method: str,
    target: URL,
    headers: CIMultiDict[str],
    data: bytes | None,
) -> EgressResponse:
    """One hop. The body of a redirect (or a HEAD) is left unread: `body` is empty."""
    url = str(target)
    try:
        async with session.request(method, target, headers=headers, data=data, allow_redirects=False) as resp:
            is_redirect = resp.status in REDIRECT_STATUSES and bool(resp.headers.get("Location"))
            no_body = is_redirect or method == "HEAD"
            body = b"" if no_body else await _read_capped(resp, policy.max_bytes, url)
            return EgressResponse(resp.status, CIMultiDict(resp.headers), body, str(resp.url))
    except EgressBlocked as exc:  # refused at connect time, where only the host was known
        raise EgressBlocked(url, exc.reason) from exc
    except TimeoutError as exc:  # aiohttp's connect/read timeouts (also ClientErrors)
        raise EgressTimeout(url, f"timed out ({type(exc).__name__})") from exc
    except aiohttp.ClientError as exc:
        raise EgressConnectionError(url, f"{type(exc).__name__}: {exc}") from exc


def _origin(url: URL) -> tuple[str, str | None, int | None]:
    return url.scheme, url.host, url.port


def _redirect_target(current: URL, location: str) -> URL:
    try:
        return current.join(URL(location))
    except ValueError as exc:
        raise EgressRedirectRefused(str(current), f"invalid Location {location[:200]!r}") from exc


def _check_scheme(target: URL, policy: EgressPolicy) -> None:
    if target.scheme not in policy.allowed_schemes():
        raise _blocked(str(target), target.host or "", f"scheme {target.scheme or '(none)'!r} not allowed")
    if not target.host:
        raise _blocked(str(target), "", "no host")


def _redirected_method(method: str, status: int, data: bytes | None, url: str) -> tuple[str, bytes | None]:
    """The method and body for the next hop (RFC 9110 section 15.4); refuse POST -> GET by 301/302."""
    if status == 303 and method != "HEAD":
        return "GET", None
    if method == "POST" and status in (301, 302):
        raise EgressRedirectRefused(url, f"{status} redirect would turn a POST into a GET")
    return method, data


async def _read_capped(resp: aiohttp.ClientResponse, limit: int, url: str) -> bytes:
    """The decompressed body, refused as soon as it (or its declared length) passes `limit`."""
    if resp.content_length is not None and resp.content_length > limit:
        raise EgressTooLarge(url, f"Content-Length {resp.content_length} exceeds {limit} bytes")
    body = bytearray()
    async for chunk in resp.content.iter_chunked(CHUNK_SIZE):
        body += chunk
        if len(body) > limit:
            raise EgressTooLarge(url, f"body exceeds {limit} bytes")
    return bytes(body)


# ---------------------------------------------------------------------------------------------
# JSON


class JsonResult(NamedTuple):
    data: Any
    response: EgressResponse


async def fetch_json(
    session: aiohttp.ClientSession,
    policy: EgressPolicy,
    url: str,
    *,
    accept: Collection[str] = ACTIVITY_MEDIA_TYPES,
    headers: Mapping[str, str] | None = None,
    max_depth: int = 64,
    sign: Signer | None = None,
) -> JsonResult:
    """GET a JSON document whose media type is one of `accept`; 2xx only, depth-bounded."""
    request_headers = CIMultiDict(headers or {})
    request_headers.setdefault("Accept", ", ".join(accept))
    response = await fetch(session, policy, "GET", url, headers=request_headers, sign=sign)
    if not 200 <= response.status < 300:
        raise EgressBadStatus(response.url, response.status)
    media_type = _media_type(response.headers)
    if media_type not in {m.lower() for m in accept}:
        raise EgressBadContent(response.url, f"media type {media_type or '(none)'!r} not acceptable")
    return JsonResult(parse_json(response.body, response.url, max_depth), response)


def _media_type(headers: CIMultiDict[str]) -> str:
    return headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def json_depth(value: Any) -> int:
    """The deepest nesting of arrays/objects in a decoded JSON value, walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Collection[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_json(raw: bytes, url: str, max_depth: int = 64) -> Any:
    """Parse `raw` as strict JSON (no NaN/Infinity), refusing nesting deeper than `max_depth`.

    The C decoder raises RecursionError (it never crashes) on absurd nesting; anything it can
    build is at most a few MiB here, so checking depth after decoding is cheap and linear.
    """
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise EgressBadContent(url, f"JSON nested deeper than {max_depth}") from exc
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, over-long integers
        raise EgressBadContent(url, f"invalid JSON: {exc}") from exc
    # Each level opens a bracket, so a body with few brackets (most activities) needs no walk.
    if raw.count(b"{") + raw.count(b"[") > max_depth and json_depth(data) > max_depth:
        raise EgressBadContent(url, f"JSON nested deeper than {max_depth}")
    return data


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
