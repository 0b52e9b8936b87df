"""Who is asking, by network address: the web pages and the API both throttle by it."""

from __future__ import annotations

from aiohttp import web

from server.keys import CONFIG


def client_ip(request: web.Request) -> str:
    """The client's address: behind a trusted proxy, the last X-Forwarded-For hop it added."""
    remote = request.remote or ""
    trusted = request.app[CONFIG].trusted_proxies
    if remote not in trusted:
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    while hops and hops[-1] in trusted:
        hops.pop()
    return hops[-1][:64] if hops else remote
