"""/api/v1/timelines and the member's own collections: bookmarks and favourites."""

from __future__ import annotations

import re

from aiohttp import web

from server.api import entities, params
from server.api.auth import api, current_user, maybe_user
from server.api.filters import apply_filters
from server.api.paging import page, respond
from server.errors import AppError
from server.keys import POOL, URLS
from server.store import home_feed, marks
from server.store import statuses as statuses_store

routes = web.RouteTableDef()
TAG_RE = re.compile(r"^\w{1,100}$")


async def _statuses(request: web.Request, items, pg, viewer_id, ids=None, *,
                    context: str | None = None) -> web.Response:
    body = await entities.statuses_to_api(request.app[POOL], request.app[URLS], items, viewer_id)
    if context is not None:  # the member's filters; Link ids stay those of the unfiltered page
        body = await apply_filters(request.app[POOL], viewer_id, context, body)
    return respond(request, body, ids if ids is not None else [s.id for s in items], limit=pg.limit)


@routes.get("/api/v1/timelines/home")
@api("read:statuses")
async def home(request: web.Request) -> web.Response:
    user = current_user(request)
    pg = page(params.Params(request.query))
    items = await home_feed.timeline(request.app[POOL], user.id, pg)
    return await _statuses(request, items, pg, user.id, context="home")


@routes.get("/api/v1/timelines/public")
@api(user=False)
async def public(request: web.Request) -> web.Response:
    p = params.Params(request.query)
    pg = page(p)
    local, remote = p.bool("local"), p.bool("remote")
    user = maybe_user(request)
    items = await statuses_store.public_timeline(
        request.app[POOL], pg, local=local or not remote, remote=remote or not local,
        viewer_id=user.id if user else None,
    )
    return await _statuses(request, items, pg, user.id if user else None, context="public")


@routes.get(r"/api/v1/timelines/tag/{tag}")
@api(user=False)
async def tag(request: web.Request) -> web.Response:
    name = request.match_info["tag"]
    if not TAG_RE.match(name):
        raise AppError(404, "Record not found")
    pg = page(params.Params(request.query))
    user = maybe_user(request)
    items = await statuses_store.tag_timeline(request.app[POOL], name, pg, user.id if user else None)
    return await _statuses(request, items, pg, user.id if user else None, context="public")


async def _marked(request: web.Request, table: str) -> web.Response:
    user = current_user(request)
    pg = page(params.Params(request.query))
    rows = await marks.marked(request.app[POOL], table, user.id, pg)
    return await _statuses(request, [r.item for r in rows], pg, user.id, [r.cursor for r in rows])


@routes.get("/api/v1/bookmarks")
@api("read:bookmarks")
async def bookmarks(request: web.Request) -> web.Response:
    return await _marked(request, "bookmarks")


@routes.get("/api/v1/favourites")
@api("read:favourites")
async def favourites(request: web.Request) -> web.Response:
    return await _marked(request, "favourites")
