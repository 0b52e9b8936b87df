"""Mastodon's rate limit for the client API: N requests per 5 minutes per token (or address),
with X-RateLimit-* headers on every answer and 429 past the limit.

Counted in each process's memory: with several processes the limit is per process, a soft bound.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import UTC, datetime

from aiohttp import web

from server.api.auth import token_hash
from server.client_address import client_ip
from server.keys import CONFIG

WINDOW = 300.0
MAX_KEYS = 100_000
WINDOWS = web.AppKey("rate_windows", OrderedDict)


def setup(app: web.Application) -> None:
    app[WINDOWS] = OrderedDict()


def _key(request: web.Request) -> bytes | str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return token_hash(header[7:].strip())[:16]
    return client_ip(request)


@web.middleware
async def rate_limit(request: web.Request, handler):
    if not request.path.startswith("/api/"):
        return await handler(request)
    limit = request.app[CONFIG].api_rate_limit
    _windows = request.app[WINDOWS]
    now = time.time()
    key = _key(request)
    start, count = _windows.get(key, (now, 0))
    if now - start >= WINDOW:
        start, count = now, 0
    count += 1
    _windows[key] = (start, count)
    _windows.move_to_end(key)
    while len(_windows) > MAX_KEYS:
        _windows.popitem(last=False)
    reset = datetime.fromtimestamp(start + WINDOW, UTC).isoformat(timespec="milliseconds")
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(limit - count, 0)),
               "X-RateLimit-Reset": reset.replace("+00:00", "Z")}
    if count > limit:
        return web.json_response({"error": "Too many requests"}, status=429, headers=headers)
    response = await handler(request)
    response.headers.update(headers)
    return response
