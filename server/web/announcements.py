"""Announcements on the web: admins write, publish, edit, take back and delete them at
/admin/announcements; members see the ones they have not dismissed on home, all of them at
/announcements, and react with emoji."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from server.domain import announcements
from server.errors import AppError
from server.keys import POOL, URLS
from server.models import Role
from server.store import announcements as announcements_store
from server.web.admin import require_role
from server.web.forms import back, field
from server.web.render import render, zone_info
from server.web.sessions import require_user

routes = web.RouteTableDef()


def _moment(form, name: str, zone: str) -> datetime | None:
    """A datetime-local field, read in the admin's time zone."""
    text = field(form, name, max_len=30).strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=zone_info(zone))
    except ValueError:
        raise AppError(422, f"The {name.replace('_', ' ')} is not a date and time.") from None


def _fields(form, zone: str) -> dict:
    return {"starts_at": _moment(form, "starts_at", zone), "ends_at": _moment(form, "ends_at", zone),
            "all_day": field(form, "all_day", max_len=10) == "on"}


@routes.get("/admin/announcements")
async def admin_page(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN)
    return render(request, "admin/announcements.html",
                  {"announcements": await announcements_store.every(request.app[POOL]), "now": datetime.now(UTC)})


@routes.post("/admin/announcements")
async def create(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    await announcements.create(request.app[POOL], request.app[URLS], user.id, field(form, "text", max_len=10_000),
                               **_fields(form, user.preferences.time_zone),
                               publish=field(form, "publish", max_len=10) == "on")
    raise web.HTTPSeeOther("/admin/announcements")


@routes.post(r"/admin/announcements/{announcement_id:\d{1,19}}")
async def edit(request: web.Request) -> web.Response:
    """Save the text and times, publish, take back (unpublish) or delete, as the button pressed says."""
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    pool, announcement_id = request.app[POOL], int(request.match_info["announcement_id"])
    action = field(form, "action", max_len=20)
    if action == "save":
        await announcements.change(pool, request.app[URLS], user.id, announcement_id,
                                   field(form, "text", max_len=10_000), **_fields(form, user.preferences.time_zone))
    elif action in ("publish", "unpublish"):
        await announcements.publish(pool, user.id, announcement_id, action == "publish")
    elif action == "delete":
        await announcements.delete(pool, user.id, announcement_id)
    else:
        raise AppError(400, "action must be save, publish, unpublish or delete.")
    raise web.HTTPSeeOther("/admin/announcements")


@routes.get("/announcements")
async def all_shown(request: web.Request) -> web.Response:
    user = require_user(request)
    return render(request, "announcements.html",
                  {"announcements": await announcements_store.shown(request.app[POOL], user.id)})


@routes.post(r"/announcements/{announcement_id:\d{1,19}}/dismiss")
async def dismiss(request: web.Request) -> web.Response:
    user = require_user(request)
    await announcements.dismiss(request.app[POOL], user.id, int(request.match_info["announcement_id"]))
    raise await back(request, "/")


@routes.post(r"/announcements/{announcement_id:\d{1,19}}/reactions")
async def react(request: web.Request) -> web.Response:
    """Add a reaction, or take back one's own (`remove`)."""
    user = require_user(request)
    form = await request.post()
    change = announcements.unreact if field(form, "remove", max_len=10) == "on" else announcements.react
    announcement_id = int(request.match_info["announcement_id"])
    await change(request.app[POOL], user.id, announcement_id, field(form, "name", max_len=100))
    raise await back(request, "/announcements")
