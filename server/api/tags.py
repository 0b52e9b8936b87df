"""Hashtags for apps: a tag's entity with `following`, following and unfollowing it, the list of
followed tags (Mastodon 4.x)."""

from __future__ import annotations

from aiohttp import web

from server.api import params
from server.api.auth import api, current_user, maybe_user
from server.api.common import NOT_FOUND, path_id
from server.api.paging import page, respond
from server.domain import hashtags
from server.errors import AppError
from server.keys import POOL, URLS
from server.store import tags as tags_store

routes = web.RouteTableDef()
TAG = r"{name:[^/]{1,120}}"


def tag_to_api(request: web.Request, name: str, following: bool | None) -> dict:
    entity = {"name": name.lower(), "url": request.app[URLS].tag(name), "history": []}
    if following is not None:
        entity["following"] = following
    return entity


@routes.get(rf"/api/v1/tags/{TAG}")
@api(user=False)
async def show(request: web.Request) -> web.Response:
    name = hashtags.check(request.match_info["name"])
    user = maybe_user(request)
    following = name.lower() in await tags_store.following(request.app[POOL], user.id, [name]) if user else None
    return web.json_response(tag_to_api(request, name, following))


@routes.post(rf"/api/v1/tags/{TAG}/follow")
@api("write:follows")
async def follow(request: web.Request) -> web.Response:
    name = await hashtags.follow(request.app[POOL], current_user(request).id, request.match_info["name"])
    return web.json_response(tag_to_api(request, name, True))


@routes.post(rf"/api/v1/tags/{TAG}/unfollow")
@api("write:follows")
async def unfollow(request: web.Request) -> web.Response:
    name = hashtags.check(request.match_info["name"])
    await hashtags.unfollow(request.app[POOL], current_user(request).id, name)
    return web.json_response(tag_to_api(request, name, False))


@routes.get("/api/v1/followed_tags")
@api("read:follows")
async def followed(request: web.Request) -> web.Response:
    pg = page(params.Params(request.query), default=100, maximum=200)
    rows = await tags_store.followed(request.app[POOL], current_user(request).id, pg)
    return respond(request, [tag_to_api(request, row.item, True) for row in rows], [row.cursor for row in rows],
                   limit=pg.limit)


def featured_to_api(request: web.Request, item: dict) -> dict:
    return {"id": str(item["id"]), "name": item["name"].lower(), "url": request.app[URLS].tag(item["name"]),
            "statuses_count": str(item["posts"]),
            "last_status_at": item["last_at"].date().isoformat() if item["last_at"] else None}


@routes.get("/api/v1/featured_tags")
@api("read:accounts")
async def my_featured(request: web.Request) -> web.Response:
    user = current_user(request)
    items = await tags_store.featured(request.app[POOL], user.id)
    return web.json_response([featured_to_api(request, i) for i in items])


@routes.post("/api/v1/featured_tags")
@api("write:accounts")
async def add_featured(request: web.Request) -> web.Response:
    user = current_user(request)
    name = (await params.read(request)).str("name", "", max_len=120) or ""
    feature_id = await hashtags.feature(request.app[POOL], user.id, name)
    items = await tags_store.featured(request.app[POOL], user.id)
    return web.json_response(featured_to_api(request, next(i for i in items if i["id"] == feature_id)))


@routes.delete(r"/api/v1/featured_tags/{id:\d+}")
@api("write:accounts")
async def remove_featured(request: web.Request) -> web.Response:
    if not await tags_store.unfeature(request.app[POOL], current_user(request).id, path_id(request)):
        raise AppError(404, NOT_FOUND)
    return web.json_response({})


@routes.get("/api/v1/featured_tags/suggestions")
@api("read:accounts")
async def suggestions(request: web.Request) -> web.Response:
    used = await tags_store.used_by(request.app[POOL], current_user(request).id)
    return web.json_response([tag_to_api(request, name, None) for name in used])
