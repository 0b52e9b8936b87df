"""Exporting one's data at /settings/export: each CSV in Mastodon's format, at Mastodon's paths."""

from __future__ import annotations

from aiohttp import web

from server.domain import archive, exports
from server.keys import CONFIG, POOL, URLS
from server.store import archives as archives_store
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
FILES = {"follows": "Accounts you follow", "lists": "Your lists", "blocks": "Accounts you block",
         "mutes": "Accounts you mute", "domain_blocks": "Servers you hide", "bookmarks": "Your bookmarks"}


@routes.get("/settings/export")
async def export_page(request: web.Request) -> web.Response:
    user = require_user(request)
    return render(request, "settings_export.html", {
        "files": FILES, "archives": await archives_store.of_account(request.app[POOL], user.id, archive.KEPT),
        "keep": archive.KEPT, "queued": request.query.get("queued")})


@routes.post("/settings/export/archive")
async def request_archive(request: web.Request) -> web.Response:
    user = require_user(request)
    await archive.request(request.app[POOL], user.id)  # a second request while one is built adds nothing
    raise web.HTTPSeeOther("/settings/export?queued=1")


@routes.get(r"/settings/export/archive/{archive_id:\d{1,19}}.zip")
async def download_archive(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    archive_id = int(request.match_info["archive_id"])
    kept = {a.id: a for a in await archives_store.of_account(request.app[POOL], user.id, archive.KEPT)}
    found = kept.get(archive_id)
    if found is None or not found.file_name:
        raise web.HTTPNotFound(text="This archive is not kept any more: ask for a new one.")
    return web.FileResponse(archive.folder(request.app[CONFIG]) / found.file_name, headers={
        "Content-Type": "application/zip", "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="archive-{user.account.username}-{archive_id}.zip"'})


@routes.get(r"/settings/exports/{kind:follows|lists|blocks|mutes|domain_blocks|bookmarks}.csv")
async def export_file(request: web.Request) -> web.Response:
    user = require_user(request)
    kind = request.match_info["kind"]
    text = await exports.export_csv(request.app[POOL], request.app[URLS], user.id, kind)
    return web.Response(text=text, content_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{kind}.csv"', "Cache-Control": "no-store"})
