"""Announcements as Mastodon's apps read them: the ones shown now, dismissing one, reacting."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg
from aiohttp import web

from server.api import params
from server.api.auth import api, current_user
from server.api.common import NOT_FOUND, path_id
from server.api.entities import iso
from server.domain import announcements
from server.errors import AppError, NotFound
from server.keys import POOL, URLS
from server.store import announcements as announcements_store
from server.store import emojis as emojis_store
from server.text import plaintext
from server.urls import Urls

routes = web.RouteTableDef()


async def custom_emoji_files(pool: asyncpg.Pool, names: Iterable[str]) -> dict[str, str]:
    """The files of this server's custom emoji among reaction names, by shortcode (a Unicode emoji is never ASCII)."""
    codes = [name for name in names if name.isascii()]
    return {e.shortcode: e.file_path for e in await emojis_store.by_shortcodes(pool, codes)} if codes else {}


def reaction_to_api(name: str, count: int, me: bool | None, custom: dict[str, str], urls: Urls) -> dict[str, Any]:
    """An AnnouncementReaction; a custom emoji's carries its image (`me` is left out where it is nobody's)."""
    out: dict[str, Any] = {"name": name, "count": count, **({"me": me} if me is not None else {})}
    if name in custom:
        out["url"] = out["static_url"] = urls.media(custom[name])
    return out


async def announcements_to_api(pool: asyncpg.Pool, urls: Urls,
                               items: list[announcements_store.Announcement]) -> list[dict[str, Any]]:
    custom = await custom_emoji_files(pool, {r.name for item in items for r in item.reactions})
    return [_announcement_to_api(item, custom, urls) for item in items]


def _announcement_to_api(item: announcements_store.Announcement, custom: dict[str, str], urls: Urls) -> dict[str, Any]:
    return {
        "id": str(item.id), "content": item.content, "starts_at": iso(item.starts_at), "ends_at": iso(item.ends_at),
        "all_day": item.all_day, "published_at": iso(item.published_at), "updated_at": iso(item.updated_at),
        "read": item.read, "mentions": [], "statuses": [], "emojis": [],
        "tags": [{"name": tag.lower(), "url": urls.tag(tag)} for tag in plaintext.parse(item.text).tags],
        "reactions": [reaction_to_api(r.name, r.count, r.me, custom, urls) for r in item.reactions],
    }


@routes.get("/api/v1/announcements")
@api("read")
async def shown(request: web.Request) -> web.Response:
    """Those shown now; `with_dismissed=false` leaves out the ones the member dismissed."""
    pool = request.app[POOL]
    unread_only = not params.Params(request.query).bool("with_dismissed", True)
    items = await announcements_store.shown(pool, current_user(request).id, unread_only=unread_only)
    return web.json_response(await announcements_to_api(pool, request.app[URLS], items))


@routes.post(r"/api/v1/announcements/{id:\d{1,19}}/dismiss")
@api("write:accounts")
async def dismiss(request: web.Request) -> web.Response:
    try:
        await announcements.dismiss(request.app[POOL], current_user(request).id, path_id(request))
    except NotFound as exc:
        raise AppError(404, NOT_FOUND) from exc
    return web.json_response({})


@routes.put(r"/api/v1/announcements/{id:\d{1,19}}/reactions/{name}")
@routes.delete(r"/api/v1/announcements/{id:\d{1,19}}/reactions/{name}")
@api("write:favourites")
async def reaction(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    change = announcements.react if request.method == "PUT" else announcements.unreact
    try:
        await change(request.app[POOL], current_user(request).id, path_id(request), name)
    except NotFound as exc:
        raise AppError(404, NOT_FOUND) from exc
    return web.json_response({})
