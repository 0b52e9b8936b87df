"""The outermost middleware: gives each request an id (the client's X-Request-Id when it is a sane
token, else a new one, echoed in the response), writes one access line, and counts the request and
its duration by route for /metrics. Query strings stay out of the logs: they can carry codes."""

from __future__ import annotations

import logging
import re
import secrets
import time

from aiohttp import web

from server import metrics
from server.client_address import client_ip
from server.logs import REQUEST_ID

access_log = logging.getLogger("kith.access")
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _route(request: web.Request) -> str:
    """The matched route's pattern (bounded, unlike paths), or `unmatched`."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler) -> web.StreamResponse:
    given = request.headers.get("X-Request-Id", "")
    request_id = given if _SANE_ID.fullmatch(given) else secrets.token_hex(8)
    REQUEST_ID.set(request_id)
    started, status = time.perf_counter(), 500
    try:
        response = await handler(request)
        status = response.status
        if not response.prepared:
            response.headers["X-Request-Id"] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers["X-Request-Id"] = request_id
        raise
    finally:
        elapsed = time.perf_counter() - started
        route = _route(request)
        metrics.HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
        metrics.HTTP_LATENCY.labels(route).observe(elapsed)
        metrics.note_memory()
        access_log.info("%s %s %s %.1fms", request.method, request.path, status, elapsed * 1000,
                        extra={"method": request.method, "path": request.path, "route": route, "status": status,
                               "duration_ms": round(elapsed * 1000, 1), "remote": client_ip(request)})
