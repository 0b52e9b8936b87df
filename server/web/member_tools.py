"""Member tools in the web UI: keyword filters (the same ones apps manage through filters v2),
muting with a duration, and hiding everything from a whole domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from server.domain import domain_hiding, filtering, muting
from server.errors import AppError, Invalid
from server.keys import POOL
from server.store import filters as filters_store
from server.web.forms import back, field, safe_next
from server.web.lookup import HANDLE, account_for_handle
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
MUTE_DURATIONS = {"": None, "3600": 3600, "86400": 86400, "604800": 604800}


@routes.get("/settings/filters")
async def filters_page(request: web.Request, *, error: str = "", form: Any = None) -> web.Response:
    """The member's filters; after a refused new filter, the form comes back as typed with the reason."""
    user = require_user(request)
    return render(request, "settings_filters.html", {
        "filters": await filters_store.owned(request.app[POOL], user.id), "contexts": filters_store.CONTEXTS,
        "hidden_domains": await domain_hiding.hidden(request.app[POOL], user.id),
        "error": error, "form": form,
    }, status=422 if error else 200)


@routes.post("/settings/filters")
async def add_filter(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    words = [w for w in field(form, "keywords", max_len=50_000).split(",") if w.strip()]
    days = field(form, "days", max_len=4)
    try:
        if not words or (days and not days.isdigit()):
            raise Invalid("A filter needs at least one keyword, and its duration is a number of days.")
        expires = datetime.now(UTC) + timedelta(days=int(days)) if days else None
        await filtering.create(request.app[POOL], user.id, field(form, "title", max_len=1000),
                               [str(c) for c in form.getall("context", [])], field(form, "action", max_len=10),
                               expires, [(w, True) for w in words])
    except Invalid as exc:
        return await filters_page(request, error=exc.message, form=form)
    raise web.HTTPSeeOther("/settings/filters")


@routes.post(r"/settings/filters/{filter_id:\d{1,19}}/delete")
async def delete_filter(request: web.Request) -> web.Response:
    user = require_user(request)
    if not await filters_store.delete(request.app[POOL], user.id, int(request.match_info["filter_id"])):
        raise AppError(404, "There is no such filter.")
    raise web.HTTPSeeOther("/settings/filters")


@routes.post(f"/@{HANDLE}/mute")
async def mute(request: web.Request) -> web.Response:
    user = require_user(request)
    target = await account_for_handle(request, request.match_info["handle"], resolve=False)
    form = await request.post()
    duration = field(form, "duration", max_len=10)
    if duration not in MUTE_DURATIONS:
        raise AppError(422, "Choose how long to mute.")
    await muting.mute(request.app[POOL], user.account, target, seconds=MUTE_DURATIONS[duration])
    raise await back(request, f"/@{target.handle()}")


@routes.post(f"/@{HANDLE}/unmute")
async def unmute(request: web.Request) -> web.Response:
    user = require_user(request)
    target = await account_for_handle(request, request.match_info["handle"], resolve=False)
    await muting.unmute(request.app[POOL], user.account, target)
    raise await back(request, f"/@{target.handle()}")


@routes.post("/settings/domains")
async def hide_domain(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    try:
        await domain_hiding.hide(request.app[POOL], user.id, field(form, "domain", max_len=300),
                                 hidden=field(form, "unhide", max_len=10) != "yes")
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    raise web.HTTPSeeOther(safe_next(field(form, "next", max_len=2000) or "/settings/filters"))
