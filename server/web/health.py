"""Health checks for load balancers and supervisors: /health (the process answers) and /ready
(the database answers and its schema is this code's)."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web

from server.db.migrate import missing
from server.keys import POOL

routes = web.RouteTableDef()
READY_TIMEOUT = 3.0  # seconds: a database that does not answer by then is not ready


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})


@routes.get("/ready")
async def ready(request: web.Request) -> web.Response:
    try:
        behind = await asyncio.wait_for(missing(request.app[POOL]), READY_TIMEOUT)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return web.json_response({"status": "unavailable", "reason": f"database: {type(exc).__name__}"},
                                 status=503, headers={"Cache-Control": "no-store"})
    if behind:
        return web.json_response({"status": "unavailable", "reason": f"migrations not applied: {behind}"},
                                 status=503, headers={"Cache-Control": "no-store"})
    return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})
