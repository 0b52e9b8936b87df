"""/api/v1/conversations: the member's direct-message threads, newest activity first."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.api import entities, params
from server.api.auth import api, current_user
from server.api.common import NOT_FOUND, path_id
from server.api.paging import page, respond
from server.errors import AppError
from server.keys import POOL, URLS
from server.store import conversations as conversations_store

routes = web.RouteTableDef()


async def render(request: web.Request, items: list[conversations_store.Conversation],
                 viewer_id: int) -> list[dict[str, Any]]:
    """Conversation entities: id, unread, the other accounts in it, and its newest post."""
    pool, urls = request.app[POOL], request.app[URLS]
    people = await conversations_store.participants(pool, items, viewer_id)
    rendered_people = await entities.accounts_to_api(pool, urls, [a for group in people.values() for a in group])
    found = await conversations_store.statuses(pool, [c.last_status_id for c in items], viewer_id)
    shown = [found[c.last_status_id] for c in items if c.last_status_id in found]
    rendered = await entities.statuses_to_api(pool, urls, shown, viewer_id)
    statuses = {s.id: body for s, body in zip(shown, rendered, strict=True)}
    return [{"id": str(c.id), "unread": c.unread, "accounts": [rendered_people[a.id] for a in people[c.id]],
             "last_status": statuses.get(c.last_status_id)} for c in items]


@routes.get("/api/v1/conversations")
@routes.get("/api/v1/conversations/")  # Mastodon.py asks with the slash
@api("read:statuses")
async def index(request: web.Request) -> web.Response:
    user = current_user(request)
    pg = page(params.Params(request.query))
    items = await conversations_store.page_for(request.app[POOL], user.id, pg)
    # Paged by each conversation's newest post, as Mastodon pages by last_status_id.
    return respond(request, await render(request, items, user.id), [c.last_status_id for c in items],
                   limit=pg.limit)


async def _own(request: web.Request) -> conversations_store.Conversation:
    found = await conversations_store.get(request.app[POOL], current_user(request).id, path_id(request))
    if found is None:
        raise AppError(404, NOT_FOUND)
    return found


@routes.delete(r"/api/v1/conversations/{id:\d+}")
@api("write:conversations")
async def remove(request: web.Request) -> web.Response:
    """Removes the conversation from the member's list (its posts stay) until someone writes in it again."""
    found = await _own(request)
    await conversations_store.hide(request.app[POOL], current_user(request).id, found.id, found.last_status_id)
    return web.json_response({})


@routes.post(r"/api/v1/conversations/{id:\d+}/read")
@api("write:conversations")
async def mark_read(request: web.Request) -> web.Response:
    user = current_user(request)
    found = await _own(request)
    await conversations_store.mark_read(request.app[POOL], user.id, found.id, found.last_status_id)
    return web.json_response((await render(request, [await _own(request)], user.id))[0])
