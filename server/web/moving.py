"""Moving accounts from the web: aliases at /settings/aliases, moving out at /settings/migration."""

from __future__ import annotations

from aiohttp import web

from federation.runtime import FEDERATION
from server.domain import moving
from server.errors import Invalid
from server.keys import URLS
from server.web.forms import field
from server.web.lookup import account_for_uri
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()


async def _aliases_page(request: web.Request, *, status: int = 200, **context) -> web.Response:
    user = require_user(request)
    return render(request, "settings_aliases.html", {
        "aliases": user.account.also_known_as, "address": f"{user.account.username}@{request.app[URLS].host}",
        **context}, status=status)


@routes.get("/settings/aliases")
async def aliases(request: web.Request) -> web.Response:
    return await _aliases_page(request)


@routes.post("/settings/aliases")
async def add_alias(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    handle = field(form, "handle", max_len=300)
    try:
        if field(form, "remove", max_len=2100):
            await moving.remove_alias(request.app[FEDERATION], user.account, field(form, "remove", max_len=2100))
        else:
            await moving.add_alias(request.app[FEDERATION], user.account, handle)
    except Invalid as exc:
        return await _aliases_page(request, error=exc.message, error_field=exc.field, form={"handle": handle},
                                   status=422)
    raise web.HTTPSeeOther("/settings/aliases")


async def _migration_page(request: web.Request, *, status: int = 200, **context) -> web.Response:
    user = require_user(request)
    moved_to = user.account.moved_to_uri
    target = await account_for_uri(request, moved_to) if moved_to else None
    return render(request, "settings_migration.html", {
        "moved_to": moved_to, "target": target, "address": f"{user.account.username}@{request.app[URLS].host}",
        "cooldown": moving.COOLDOWN_DAYS, **context}, status=status)


@routes.get("/settings/migration")
async def migration(request: web.Request) -> web.Response:
    return await _migration_page(request)


@routes.post("/settings/migration")
async def move(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    handle = field(form, "handle", max_len=300)
    try:
        await moving.move_out(request.app[FEDERATION], user.account, handle, field(form, "password", max_len=1000))
    except Invalid as exc:
        field_name = "password" if exc.field == "current_password" else exc.field
        return await _migration_page(request, error=exc.message, error_field=field_name, form={"handle": handle},
                                     status=422)
    raise web.HTTPSeeOther("/settings/migration")
