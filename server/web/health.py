"""What supervisors and monitoring read: /health (the process answers), /ready (the database answers
and its schema is this code's), and /metrics for Prometheus, only to `metrics_allow` addresses or
with the `metrics_token` bearer token."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress

import asyncpg
from aiohttp import web

from server import metrics
from server.client_address import client_ip
from server.config import Config
from server.db.migrate import missing
from server.keys import CONFIG, POOL

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


def _may_read_metrics(request: web.Request, cfg: Config) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if cfg.metrics_token and scheme.lower() == "bearer":
        return hmac.compare_digest(token.encode(), cfg.metrics_token.encode())
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in cfg.metrics_allow)


@routes.get("/metrics")
async def prometheus(request: web.Request) -> web.Response:
    if not _may_read_metrics(request, request.app[CONFIG]):
        return web.json_response({"error": "Metrics are only served to the addresses in metrics_allow,"
                                           " or with the metrics_token."}, status=403)
    return web.Response(body=await metrics.exposition(request.app[POOL]), headers={
        "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store"})
