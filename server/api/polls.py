"""/api/v1/polls: reading a poll and voting in it."""

from __future__ import annotations

from aiohttp import web

from server.api import entities, params
from server.api.auth import api, current_user, maybe_user
from server.api.common import NOT_FOUND, path_id, status_or_404
from server.domain import polls
from server.errors import AppError, NotFound
from server.keys import POOL, URLS

routes = web.RouteTableDef()


async def _poll(request: web.Request, viewer_id: int | None) -> web.Response:
    status = await status_or_404(request, path_id(request), viewer_id)
    body = await entities.status_to_api(request.app[POOL], request.app[URLS], status, viewer_id)
    if body["poll"] is None:
        raise AppError(404, NOT_FOUND)
    return web.json_response(body["poll"])


@routes.get(r"/api/v1/polls/{id:\d+}")
@api(user=False)
async def show(request: web.Request) -> web.Response:
    user = maybe_user(request)
    return await _poll(request, user.id if user else None)


@routes.post(r"/api/v1/polls/{id:\d+}/votes")
@api("write:statuses")
async def vote(request: web.Request) -> web.Response:
    user = current_user(request)
    p = await params.read(request)
    raw = p.list("choices", max_items=20)
    if any(not c.isdigit() or len(c) > 3 for c in raw):
        raise AppError(422, "Validation failed: choices must be option indexes")
    try:
        await polls.vote(request.app[POOL], request.app[URLS], user.account, path_id(request), [int(c) for c in raw])
    except NotFound:
        raise AppError(404, NOT_FOUND) from None
    return await _poll(request, user.id)
