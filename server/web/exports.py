"""Exporting one's data at /settings/export: each CSV in Mastodon's format, at Mastodon's paths."""

from __future__ import annotations

from aiohttp import web

from server.domain import exports
from server.keys import POOL, URLS
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
FILES = {"follows": "Accounts you follow", "lists": "Your lists", "blocks": "Accounts you block",
         "mutes": "Accounts you mute", "domain_blocks": "Servers you hide", "bookmarks": "Your bookmarks"}


@routes.get("/settings/export")
async def export_page(request: web.Request) -> web.Response:
    require_user(request)
    return render(request, "settings_export.html", {"files": FILES})


@routes.get(r"/settings/exports/{kind:follows|lists|blocks|mutes|domain_blocks|bookmarks}.csv")
async def export_file(request: web.Request) -> web.Response:
    user = require_user(request)
    kind = request.match_info["kind"]
    text = await exports.export_csv(request.app[POOL], request.app[URLS], user.id, kind)
    return web.Response(text=text, content_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{kind}.csv"', "Cache-Control": "no-store"})
