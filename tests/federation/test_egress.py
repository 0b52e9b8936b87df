"""The egress gate against real aiohttp servers on loopback (no traffic goes anywhere else)."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from federation import egress
from federation.egress import (
    EgressBadContent,
    EgressBadStatus,
    EgressBlocked,
    EgressPolicy,
    EgressRedirectRefused,
    EgressTimeout,
    EgressTooLarge,
    GuardedResolver,
    fetch,
    fetch_json,
    is_forbidden_address,
    make_session,
)

UA = "Kith/test (+https://kith.test)"
LIMIT = 64 * 1024


# --- a peer that misbehaves on request ------------------------------------------------------


async def ok(request: web.Request) -> web.Response:
    return web.json_response({"hello": "world"}, content_type="application/activity+json")


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {"method": request.method, "body": body.decode(), "headers": dict(request.headers)},
        content_type="application/activity+json",
    )


async def chain(request: web.Request) -> web.Response:
    """/chain/N redirects N times, then lands on /ok."""
    left = int(request.match_info["n"])
    raise web.HTTPFound("/ok" if left == 0 else f"/chain/{left - 1}")


async def redirect(request: web.Request) -> web.Response:
    """/redirect?to=URL&status=302"""
    status = int(request.query.get("status", "302"))
    return web.Response(status=status, headers={"Location": request.query["to"]})


async def big(request: web.Request) -> web.Response:
    return web.Response(body=b"x" * (LIMIT + 1), content_type="application/octet-stream")


async def big_chunked(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    for _ in range(LIMIT // 1024 + 2):
        await resp.write(b"y" * 1024)
    await resp.write_eof()
    return resp


async def bomb(request: web.Request) -> web.Response:
    """A few KiB on the wire, 16 MiB once decompressed."""
    compressed = gzip.compress(b"\0" * (16 * 1024 * 1024))
    return web.Response(body=compressed, headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"})


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.Response(text="late")


async def html(request: web.Request) -> web.Response:
    return web.Response(text="<html></html>", content_type="text/html")


async def deep(request: web.Request) -> web.Response:
    return web.Response(text="[" * 100 + "]" * 100, content_type="application/activity+json")


async def gone(request: web.Request) -> web.Response:
    return web.Response(status=410, text="gone")


async def client_port(request: web.Request) -> web.Response:
    """The port the request came from: the same one again means the connection was reused."""
    return web.Response(text=str(request.transport.get_extra_info("peername")[1]))


def peer_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/port", client_port)
    app.router.add_get("/ok", ok)
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/chain/{n}", chain)
    app.router.add_route("*", "/redirect", redirect)
    app.router.add_get("/big", big)
    app.router.add_get("/big-chunked", big_chunked)
    app.router.add_get("/bomb", bomb)
    app.router.add_get("/slow", slow)
    app.router.add_get("/html", html)
    app.router.add_get("/deep", deep)
    app.router.add_get("/gone", gone)
    return app


async def start(host: str) -> TestServer:
    server = TestServer(peer_app(), host=host, port=0)
    await server.start_server()
    return server


@pytest.fixture
async def peer() -> AsyncIterator[TestServer]:
    server = await start("127.0.0.1")
    yield server
    await server.close()


@pytest.fixture
async def other_peer() -> AsyncIterator[TestServer]:
    """A second origin (another port) for cross-origin redirects."""
    server = await start("127.0.0.1")
    yield server
    await server.close()


def url(server: TestServer, path: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.port}{path}"


def local_policy(**overrides: Any) -> EgressPolicy:
    """Local-testing mode: loopback allowed by name, plain HTTP allowed."""
    settings: dict[str, Any] = {
        "user_agent": UA,
        "allow_private_hosts": frozenset({"127.0.0.1"}),
        "allow_http": True,
        "max_bytes": LIMIT,
    }
    return EgressPolicy(**(settings | overrides))


async def get(policy: EgressPolicy, target: str, **kwargs: Any) -> egress.EgressResponse:
    async with make_session(policy) as session:
        return await fetch(session, policy, kwargs.pop("method", "GET"), target, **kwargs)


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.1", "documentation"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("fd00::1", "unique local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("::7f00:1", "IPv4-compatible"),
        ("not-an-ip", "not an IP address"),
    ],
)
def test_forbidden_addresses(address: str, reason: str) -> None:
    found = is_forbidden_address(address)
    assert found is not None and reason in found


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_global_addresses_are_allowed(address: str) -> None:
    assert is_forbidden_address(address) is None


def test_policy_normalises_allow_list() -> None:
    policy = EgressPolicy(user_agent=UA, allow_private_hosts=frozenset({"Kith-A.Test:8080", "[::1]", "LOCALHOST."}))

    assert policy.allow_private_hosts == frozenset({"kith-a.test", "::1", "localhost"})


# --- the resolver, without any DNS -----------------------------------------------------------


class FixedResolver(AbstractResolver):
    """Answers every name with the given addresses."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=a,
                port=port,
                family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for a in self.addresses
        ]

    async def close(self) -> None:
        pass


async def test_resolver_drops_non_global_addresses() -> None:
    resolver = GuardedResolver(EgressPolicy(user_agent=UA), FixedResolver("10.0.0.5", "93.184.215.14", "::1"))

    results = await resolver.resolve("mixed.example", 443)

    assert [r["host"] for r in results] == ["93.184.215.14"]


async def test_resolver_refuses_a_name_with_only_private_addresses() -> None:
    resolver = GuardedResolver(EgressPolicy(user_agent=UA), FixedResolver("169.254.169.254"))

    with pytest.raises(EgressBlocked, match="link-local"):
        await resolver.resolve("metadata.example", 80)


async def test_resolver_refuses_localhost_through_real_getaddrinfo() -> None:
    resolver = GuardedResolver(EgressPolicy(user_agent=UA))  # ThreadedResolver: /etc/hosts, no DNS

    with pytest.raises(EgressBlocked, match="loopback"):
        await resolver.resolve("localhost", 80)


async def test_resolver_lets_allow_listed_hosts_resolve_to_loopback() -> None:
    resolver = GuardedResolver(EgressPolicy(user_agent=UA, allow_private_hosts=frozenset({"localhost"})))

    results = await resolver.resolve("localhost", 80)

    assert all(is_forbidden_address(r["host"]) == "loopback" for r in results)


# --- host policy at connect time -------------------------------------------------------------


async def test_localhost_is_refused_without_allow_list(peer: TestServer, caplog: pytest.LogCaptureFixture) -> None:
    policy = local_policy(allow_private_hosts=frozenset())

    with caplog.at_level(logging.WARNING, logger="kith.egress"), pytest.raises(EgressBlocked) as info:
        await get(policy, url(peer, "/ok", host="localhost"))

    assert info.value.url == url(peer, "/ok", host="localhost")
    assert "loopback" in info.value.reason
    [record] = [r for r in caplog.records if r.name == "kith.egress"]
    assert record.getMessage().startswith("egress_blocked")
    assert "host=localhost" in record.getMessage() and "loopback" in record.getMessage()
    assert record.event == "egress_blocked"  # type: ignore[attr-defined]


async def test_literal_loopback_ip_is_refused(peer: TestServer) -> None:
    policy = local_policy(allow_private_hosts=frozenset())

    with pytest.raises(EgressBlocked, match="loopback"):
        await get(policy, url(peer, "/ok"))


async def test_literal_ipv6_loopback_is_refused() -> None:
    """Refused before any connection, so no IPv6 listener is needed."""
    policy = local_policy(allow_private_hosts=frozenset())

    with pytest.raises(EgressBlocked, match="loopback"):
        await get(policy, "http://[::1]:9/ok")


async def test_literal_ipv6_loopback_is_allowed_when_listed() -> None:
    try:
        server = await start("::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        policy = local_policy(allow_private_hosts=frozenset({"[::1]"}))
        response = await get(policy, f"http://[::1]:{server.port}/ok")
    finally:
        await server.close()

    assert response.status == 200


async def test_the_session_alone_refuses_private_hosts(peer: TestServer) -> None:
    """The connector guards direct use of the session too, literal IPs included."""
    policy = local_policy(allow_private_hosts=frozenset())

    async with make_session(policy) as session:
        with pytest.raises(EgressBlocked):
            await session.get(url(peer, "/ok"))
        with pytest.raises(EgressBlocked):
            await session.get(url(peer, "/ok", host="localhost"))


async def test_allow_listed_host_is_fetched(peer: TestServer) -> None:
    response = await get(local_policy(), url(peer, "/echo"))

    assert response.status == 200
    assert response.url == url(peer, "/echo")
    assert json.loads(response.body)["headers"]["User-Agent"] == UA
    assert response.headers["Content-Type"].startswith("application/activity+json")


# --- schemes ---------------------------------------------------------------------------------


async def test_https_only_policy_refuses_http(peer: TestServer) -> None:
    with pytest.raises(EgressBlocked, match="scheme 'http'"):
        await get(local_policy(allow_http=False), url(peer, "/ok"))


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://ftp.example/x", "gopher://gopher.example/1", "peer.example/x"]
)
async def test_non_http_schemes_are_refused(target: str) -> None:
    with pytest.raises(EgressBlocked, match="scheme"):
        await get(local_policy(), target)


# --- redirects -------------------------------------------------------------------------------


async def test_five_redirects_are_followed(peer: TestServer) -> None:
    response = await get(local_policy(), url(peer, "/chain/4"))  # 5 redirects in all

    assert response.status == 200
    assert response.url == url(peer, "/ok")


async def test_six_redirects_are_refused(peer: TestServer) -> None:
    with pytest.raises(EgressRedirectRefused, match="more than 5 redirects"):
        await get(local_policy(), url(peer, "/chain/5"))


async def test_redirect_to_a_forbidden_host_is_refused(peer: TestServer) -> None:
    to_localhost = url(peer, "/redirect?to=" + url(peer, "/ok", host="localhost"))

    with pytest.raises(EgressBlocked, match="loopback") as info:
        await get(local_policy(), to_localhost)
    assert "localhost" in info.value.url


async def test_redirect_to_cloud_metadata_is_refused(peer: TestServer) -> None:
    with pytest.raises(EgressBlocked, match="link-local"):
        await get(local_policy(), url(peer, "/redirect?to=http://169.254.169.254/latest/meta-data/"))


async def test_redirect_to_another_scheme_is_refused(peer: TestServer) -> None:
    with pytest.raises(EgressBlocked, match="scheme 'file'"):
        await get(local_policy(), url(peer, "/redirect?to=file:///etc/passwd"))


async def test_post_is_not_turned_into_get_by_302(peer: TestServer) -> None:
    target = url(peer, "/redirect?status=302&to=/echo")

    with pytest.raises(EgressRedirectRefused, match="POST"):
        await get(local_policy(), target, method="POST", data=b"{}")


async def test_post_follows_303_as_get(peer: TestServer) -> None:
    target = url(peer, "/redirect?status=303&to=/echo")

    response = await get(local_policy(), target, method="POST", data=b"{}", headers={"Content-Type": "x/y"})

    echoed = json.loads(response.body)
    assert echoed["method"] == "GET" and echoed["body"] == ""
    assert "Content-Type" not in echoed["headers"]


async def test_post_keeps_method_and_body_through_307(peer: TestServer) -> None:
    response = await get(local_policy(), url(peer, "/redirect?status=307&to=/echo"), method="POST", data=b"{}")

    echoed = json.loads(response.body)
    assert echoed["method"] == "POST" and echoed["body"] == "{}"


async def test_credentials_do_not_cross_origins(peer: TestServer, other_peer: TestServer) -> None:
    headers = {"Authorization": "Bearer secret", "Signature": "keyId=x", "Accept": "application/activity+json"}
    same = await get(local_policy(), url(peer, "/redirect?to=/echo"), headers=headers)
    cross = await get(local_policy(), url(peer, "/redirect?to=" + url(other_peer, "/echo")), headers=headers)

    assert json.loads(same.body)["headers"]["Authorization"] == "Bearer secret"
    cross_headers = json.loads(cross.body)["headers"]
    assert "Authorization" not in cross_headers and "Signature" not in cross_headers
    assert cross_headers["Accept"] == "application/activity+json"


@pytest.mark.parametrize("off_the_loop", [False, True], ids=["signed-in-the-loop", "signed-in-a-thread"])
async def test_every_hop_is_signed_afresh(peer: TestServer, other_peer: TestServer, off_the_loop: bool) -> None:
    """Every hop gets its own signature; a signer that answers with an awaitable (deliveries sign
    in a thread) is awaited on each."""
    signed: list[str] = []

    def sign(method: str, target: str, headers: Any, body: bytes | None) -> dict[str, str]:
        signed.append(target)
        return {"Signature": f"for {target}"}

    async def sign_later(method: str, target: str, headers: Any, body: bytes | None) -> dict[str, str]:
        await asyncio.sleep(0)
        return sign(method, target, headers, body)

    final = url(other_peer, "/echo")
    response = await get(local_policy(), url(peer, "/redirect?to=" + final), sign=sign_later if off_the_loop else sign)

    assert signed == [url(peer, "/redirect?to=" + final), final]
    assert json.loads(response.body)["headers"]["Signature"] == f"for {final}"


# --- size and time ---------------------------------------------------------------------------


async def test_head_reads_no_body(peer: TestServer) -> None:
    response = await get(local_policy(), url(peer, "/big"), method="HEAD")

    assert response.status == 200 and response.body == b""
    assert int(response.headers["Content-Length"]) > LIMIT


async def test_declared_length_over_the_cap_is_refused(peer: TestServer) -> None:
    with pytest.raises(EgressTooLarge, match="Content-Length"):
        await get(local_policy(), url(peer, "/big"))


async def test_chunked_body_over_the_cap_is_refused(peer: TestServer) -> None:
    with pytest.raises(EgressTooLarge, match="body exceeds"):
        await get(local_policy(), url(peer, "/big-chunked"))


async def test_gzip_bomb_is_refused_after_decompression(peer: TestServer) -> None:
    assert len(gzip.compress(b"\0" * (16 * 1024 * 1024))) < LIMIT  # small on the wire

    with pytest.raises(EgressTooLarge, match="body exceeds"):
        await get(local_policy(), url(peer, "/bomb"))


async def test_slow_peer_times_out(peer: TestServer) -> None:
    with pytest.raises(EgressTimeout):
        await get(local_policy(read_timeout=0.2), url(peer, "/slow"))


async def test_total_time_covers_every_hop(peer: TestServer) -> None:
    with pytest.raises(EgressTimeout):
        await get(local_policy(total_timeout=0.3), url(peer, "/redirect?to=/slow"))


# --- kept-alive connections -------------------------------------------------------------------


async def test_idle_connections_are_capped_least_recently_used_first() -> None:
    peers = [await start("127.0.0.1") for _ in range(6)]
    policy = local_policy(max_idle_connections=3)
    try:
        async with make_session(policy) as session:
            connector = session.connector
            assert isinstance(connector, egress.GuardedConnector)

            async def port_seen_by(peer: TestServer) -> str:
                return (await fetch(session, policy, "GET", url(peer, "/port"))).body.decode()

            first = [await port_seen_by(peer) for peer in peers]  # one connection each, kept when done
            kept = [proto for conns in connector._conns.values() for proto, _ in conns]
            assert connector.idle_connections() == len(kept) == 3  # peers 3-5; 0-2 were closed
            assert all(proto.is_connected() for proto in kept)

            assert await port_seen_by(peers[5]) == first[5]  # reused
            assert await port_seen_by(peers[0]) != first[0]  # closed, so connected again
            assert connector.idle_connections() == 3  # peers 4, 5, 0: peer 3's was the oldest
            assert await port_seen_by(peers[4]) == first[4]
            assert await port_seen_by(peers[3]) != first[3]
    finally:
        for peer in peers:
            await peer.close()


async def test_idle_connections_under_the_cap_are_all_reused(peer: TestServer, other_peer: TestServer) -> None:
    policy = local_policy()
    async with make_session(policy) as session:
        ports = [(await fetch(session, policy, "GET", url(server, "/port"))).body for server in (peer, other_peer) * 3]
        assert ports[0::2] == [ports[0]] * 3 and ports[1::2] == [ports[1]] * 3
        assert session.connector.idle_connections() == 2


async def test_an_aiohttp_whose_pool_changed_runs_uncapped(peer: TestServer, other_peer: TestServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A newer aiohttp whose pool internals differ must not break deliveries: the cap is left off."""
    monkeypatch.setattr(egress, "_pool_hooks_fit", lambda: False)
    policy = local_policy(max_idle_connections=1)
    async with make_session(policy) as session:
        ports = [(await fetch(session, policy, "GET", url(server, "/port"))).body for server in (peer, other_peer) * 2]
        assert ports[0::2] == [ports[0]] * 2 and ports[1::2] == [ports[1]] * 2  # both kept: no cap
        assert session.connector.idle_connections() == 0


# --- JSON ------------------------------------------------------------------------------------


async def test_fetch_json_parses_activity_json(peer: TestServer) -> None:
    policy = local_policy()
    async with make_session(policy) as session:
        data, response = await fetch_json(session, policy, url(peer, "/ok"))

    assert data == {"hello": "world"}
    assert response.status == 200


async def test_fetch_json_refuses_other_media_types(peer: TestServer) -> None:
    policy = local_policy()
    async with make_session(policy) as session:
        with pytest.raises(EgressBadContent, match="text/html"):
            await fetch_json(session, policy, url(peer, "/html"))


async def test_fetch_json_refuses_deep_nesting(peer: TestServer) -> None:
    policy = local_policy()
    async with make_session(policy) as session:
        with pytest.raises(EgressBadContent, match="deeper than 64"):
            await fetch_json(session, policy, url(peer, "/deep"))


async def test_fetch_json_reports_the_status(peer: TestServer) -> None:
    policy = local_policy()
    async with make_session(policy) as session:
        with pytest.raises(EgressBadStatus) as info:
            await fetch_json(session, policy, url(peer, "/gone"))

    assert info.value.status == 410


@pytest.mark.parametrize(
    ("value", "depth"),
    [(1, 0), ("[[[", 0), ([], 1), ({"a": [1, {"b": []}]}, 4), ([[1], [[2]], 3], 3)],
)
def test_json_depth(value: Any, depth: int) -> None:
    assert egress.json_depth(value) == depth


@pytest.mark.parametrize("raw", [b"[NaN]", b"{", b"\xff", b"[" * 65 + b"]" * 65, b"[" * 100_000 + b"]" * 100_000])
def test_parse_json_refuses_bad_documents(raw: bytes) -> None:
    with pytest.raises(EgressBadContent):
        egress.parse_json(raw, "https://peer.example/x")


async def test_unreachable_peer_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]

    with pytest.raises(egress.EgressConnectionError):
        await get(local_policy(), f"http://127.0.0.1:{closed_port}/ok")
