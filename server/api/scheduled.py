"""Scheduled posts for apps: `scheduled_at` on POST /api/v1/statuses, and /api/v1/scheduled_statuses."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.api import entities, params
from server.api.auth import api, current_user
from server.api.common import NOT_FOUND, path_id
from server.api.paging import page, respond
from server.domain import posting, scheduling
from server.errors import AppError
from server.keys import POOL, URLS
from server.store import media as media_store
from server.store import scheduled as scheduled_store

routes = web.RouteTableDef()


async def scheduled_to_api(request: web.Request, item: scheduled_store.Scheduled) -> dict[str, Any]:
    """Mastodon's ScheduledStatus entity: what will be posted, and its still unattached media."""
    post = scheduling.post_of(item.params)
    media = [m for m in [await media_store.get_unattached(request.app[POOL], i, item.account_id)
                         for i in post.media_ids] if m]
    return {
        "id": str(item.id), "scheduled_at": entities.iso(item.scheduled_at),
        "params": {"text": post.text, "spoiler_text": post.spoiler_text or None, "visibility": post.visibility,
                   "sensitive": post.sensitive, "language": post.language,
                   "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
                   "media_ids": [str(i) for i in post.media_ids] or None, "application_id": post.application_id,
                   "poll": {"options": post.poll.options, "expires_in": str(post.poll.expires_in),
                            "multiple": post.poll.multiple} if post.poll else None,
                   "scheduled_at": None, "idempotency": None, "with_rate_limit": False},
        "media_attachments": [entities.media_to_api(m, request.app[URLS]) for m in media],
    }


async def schedule(request: web.Request, post: posting.NewPost, raw_time: str, max_chars: int) -> web.Response:
    """POST /api/v1/statuses with `scheduled_at`: kept for later instead of posted."""
    at = scheduling.parse_time(raw_time)
    made = await scheduling.schedule(request.app[POOL], current_user(request).account, post, at, max_chars)
    return web.json_response(await scheduled_to_api(request, made))


@routes.get("/api/v1/scheduled_statuses")
@api("read:statuses")
async def index(request: web.Request) -> web.Response:
    pg = page(params.Params(request.query))
    items = await scheduled_store.of_account(request.app[POOL], current_user(request).id, pg)
    return respond(request, [await scheduled_to_api(request, i) for i in items], [i.id for i in items],
                   limit=pg.limit)


async def _own(request: web.Request) -> scheduled_store.Scheduled:
    found = await scheduled_store.get(request.app[POOL], current_user(request).id, path_id(request))
    if found is None:
        raise AppError(404, NOT_FOUND)
    return found


@routes.get(r"/api/v1/scheduled_statuses/{id:\d+}")
@api("read:statuses")
async def show(request: web.Request) -> web.Response:
    return web.json_response(await scheduled_to_api(request, await _own(request)))


@routes.put(r"/api/v1/scheduled_statuses/{id:\d+}")
@api("write:statuses")
async def update(request: web.Request) -> web.Response:
    await _own(request)
    raw = (await params.read(request)).str("scheduled_at", "", max_len=100) or ""
    moved = await scheduling.reschedule(request.app[POOL], current_user(request).id, path_id(request),
                                        scheduling.parse_time(raw))
    if moved is None:
        raise AppError(404, NOT_FOUND)
    return web.json_response(await scheduled_to_api(request, moved))


@routes.delete(r"/api/v1/scheduled_statuses/{id:\d+}")
@api("write:statuses")
async def delete(request: web.Request) -> web.Response:
    if not await scheduled_store.delete(request.app[POOL], current_user(request).id, path_id(request)):
        raise AppError(404, NOT_FOUND)
    return web.json_response({})
