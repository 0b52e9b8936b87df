"""Profile settings (avatar, header, name, bio, fields, locked, discoverable, bot, hidden follow lists),
preferences (compose defaults, time zone), apps, invites, appeals."""

from __future__ import annotations

from aiohttp import web

from federation.runtime import FEDERATION
from server.domain import account_actions, preferences, profiles, registrations
from server.errors import AppError, Invalid, NotFound
from server.keys import CONFIG, POOL, SITE, URLS
from server.media import uploads
from server.media.storage import storage_for
from server.models import Preferences
from server.store import accounts as accounts_store
from server.store import oauth as oauth_store
from server.store import registrations as registrations_store
from server.store import warnings as warnings_store
from server.web.forms import field
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()


def _profile_form(update: profiles.ProfileUpdate) -> dict:
    """The profile form's values: four field rows, empty ones included."""
    fields = list(update.fields or [])[:profiles.MAX_FIELDS]
    return {"display_name": update.display_name, "note": update.bio, "locked": update.locked,
            "discoverable": update.discoverable, "bot": update.bot, "hide_collections": update.hide_collections,
            "indexable": update.indexable,
            "fields": fields + [("", "")] * (profiles.MAX_FIELDS - len(fields))}


@routes.get("/settings/profile")
async def profile_form(request: web.Request) -> web.Response:
    user = require_user(request)
    source = await accounts_store.get_profile_source(request.app[POOL], user.id)
    current = profiles.ProfileUpdate(source.display_name, source.note, user.account.locked, source.fields,
                                     user.account.discoverable, user.account.actor_type == "Service",
                                     user.account.hide_collections, user.account.indexable)
    return render(request, "settings.html", {"form": _profile_form(current),
                                             "saved": request.query.get("saved") == "1"})


def _picture(form, name: str) -> bytes | None:
    """The bytes of a chosen file ('' or an empty part when none was chosen)."""
    part = form.get(name)
    if not isinstance(part, web.FileField) or not part.filename:
        return None
    data = part.file.read(uploads.IMAGE_LIMIT + 1)
    if len(data) > uploads.IMAGE_LIMIT:
        raise Invalid(f"The {name} is too large: images can be up to {uploads.IMAGE_LIMIT // uploads.MIB} MB.",
                      field=name)
    return data or None


@routes.post("/settings/profile")
async def save_profile(request: web.Request) -> web.Response:
    """The same use case as the API's update_credentials: every rule checked before anything is stored."""
    user = require_user(request)
    form = await request.post()
    update = profiles.ProfileUpdate(
        display_name=field(form, "display_name", max_len=1000),
        bio=field(form, "note", max_len=20_000),
        locked=field(form, "locked", max_len=10) == "on",
        fields=[(field(form, f"field_name_{i}", max_len=1000), field(form, f"field_value_{i}", max_len=5000))
                for i in range(profiles.MAX_FIELDS)],
        discoverable=field(form, "discoverable", max_len=10) == "on",
        bot=field(form, "bot", max_len=10) == "on",
        hide_collections=field(form, "hide_collections", max_len=10) == "on",
        indexable=field(form, "indexable", max_len=10) == "on",
    )
    pool, urls = request.app[POOL], request.app[URLS]
    try:
        profiles.check(update, urls)  # before any picture is stored
        chosen = {kind: data for kind in ("avatar", "header") if (data := _picture(form, kind))}
        storage = storage_for(request.app[CONFIG])
        pictures = {kind: await uploads.store_picture(pool, storage, user.id, kind, data)
                    for kind, data in chosen.items()}
        updated = await profiles.update_profile(pool, urls, user.account, update, pictures=pictures)
    except Invalid as exc:
        return render(request, "settings.html", {"form": _profile_form(update), "error": exc.message,
                                                 "error_field": exc.field}, status=exc.status)
    await profiles.verify_links(pool, request.app[FEDERATION], updated)
    raise web.HTTPSeeOther("/settings/profile?saved=1")


def _preferences_page(request: web.Request, chosen: Preferences, *, status: int = 200, **context) -> web.Response:
    return render(request, "settings_preferences.html", {
        "chosen": chosen, "time_zones": preferences.time_zones(), "visibilities": preferences.VISIBILITIES,
        "languages": request[SITE].language_list, **context}, status=status)


@routes.get("/settings/preferences")
async def preferences_form(request: web.Request) -> web.Response:
    return _preferences_page(request, require_user(request).preferences, saved=request.query.get("saved") == "1")


@routes.post("/settings/preferences")
async def save_preferences(request: web.Request) -> web.Response:
    """Compose defaults and time zone, as the API's source[privacy|sensitive|language] sets them too."""
    user = require_user(request)
    form = await request.post()
    chosen = Preferences(visibility=field(form, "visibility", max_len=20),
                         sensitive=field(form, "sensitive", max_len=10) == "on",
                         language=field(form, "language", max_len=20) or None,
                         time_zone=field(form, "time_zone", max_len=100),
                         expand_spoilers=field(form, "expand_spoilers", max_len=10) == "on")
    try:
        await preferences.save(request.app[POOL], user.id, chosen)
    except Invalid as exc:
        return _preferences_page(request, chosen, error=exc.message, error_field=exc.field, status=422)
    raise web.HTTPSeeOther("/settings/preferences?saved=1")


@routes.get("/settings/apps")
async def apps(request: web.Request) -> web.Response:
    user = require_user(request)
    apps = await oauth_store.authorized_apps(request.app[POOL], user.id)
    return render(request, "settings_apps.html", {"apps": apps})


@routes.post(r"/settings/apps/{app_id:\d{1,19}}/revoke")
async def revoke_app(request: web.Request) -> web.Response:
    user = require_user(request)
    await oauth_store.revoke_app(request.app[POOL], user.id, int(request.match_info["app_id"]))
    raise web.HTTPSeeOther("/settings/apps")


@routes.get("/settings/invites")
async def invites(request: web.Request) -> web.Response:
    user = require_user(request)
    site = request[SITE]
    return render(request, "settings_invites.html", {
        "allowed": registrations.may_invite(user, site), "mode": site.registrations,
        "invites": await registrations_store.invites_of(request.app[POOL], user.id),
    })


@routes.post("/settings/invites")
async def create_invite(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    uses, days = field(form, "max_uses", max_len=6), field(form, "days", max_len=6)
    if (uses and not uses.isdigit()) or (days and not days.isdigit()):
        raise AppError(422, "Uses and days must be whole numbers.")
    try:
        await registrations.create_invite(request.app[POOL], user, request[SITE], int(uses) if uses else None,
                                          int(days) if days else None)
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    raise web.HTTPSeeOther("/settings/invites")


@routes.get("/settings/moderation")
async def moderation_notices(request: web.Request) -> web.Response:
    user = require_user(request)
    return render(request, "settings_moderation.html",
                  {"warnings": await warnings_store.of_account(request.app[POOL], user.id)})


@routes.post(r"/settings/moderation/{warning_id:\d{1,19}}/appeal")
async def appeal(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    try:
        await account_actions.appeal(request.app[POOL], user.id, int(request.match_info["warning_id"]),
                                     field(form, "appeal", max_len=5000))
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    except NotFound as exc:
        raise AppError(409, exc.message) from None
    raise web.HTTPSeeOther("/settings/moderation")
