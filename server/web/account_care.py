"""Members looking after their account from the web: confirming their address, resetting a
forgotten password, changing their password or address, and the browsers signed in to it."""

from __future__ import annotations

from aiohttp import web

from server.domain import account_care, account_deletion
from server.errors import AppError, Invalid
from server.keys import CONFIG, POOL, SITE, URLS, USER
from server.media.storage import storage_for
from server.store import sessions as sessions_store
from server.web import sessions
from server.web.forms import field
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
TOKEN = r"{token:[A-Za-z0-9_-]{20,100}}"


def _login_page(request: web.Request, notice: str) -> web.Response:
    return render(request, "auth/login.html", {"notice": notice, "next": "/"})


@routes.get("/auth/confirm")
async def confirm(request: web.Request) -> web.Response:
    token = request.query.get("token", "")[:100]
    try:
        await account_care.confirm_email(request.app[POOL], token)
    except Invalid as exc:
        return render(request, "auth/login.html", {"error": exc.message, "next": "/"}, status=410)
    return _login_page(request, "Your e-mail address is confirmed.")


@routes.post("/auth/confirm/resend")
async def resend(request: web.Request) -> web.Response:
    form = await request.post()
    identifier = field(form, "identifier", max_len=320).strip().lstrip("@")
    await account_care.resend_confirmation(request.app[POOL], request.app[URLS], request[SITE].instance_name,
                                           identifier)
    return render(request, "auth/check_mail.html", {"email": "your address", "why": "confirm"})


@routes.get("/password/reset")
async def reset_form(request: web.Request) -> web.Response:
    return render(request, "auth/reset_request.html")


@routes.post("/password/reset")
async def request_reset(request: web.Request) -> web.Response:
    """The same answer whether or not the account exists."""
    form = await request.post()
    identifier = field(form, "identifier", max_len=320)
    try:
        await account_care.request_reset(request.app[POOL], request.app[URLS], request[SITE].instance_name,
                                         identifier)
    except Invalid as exc:
        return render(request, "auth/reset_request.html", {"error": exc.message, "error_field": exc.field,
                                                           "form": {"identifier": identifier}}, status=422)
    return render(request, "auth/check_mail.html", {"why": "reset"})


@routes.get(rf"/password/reset/{TOKEN}")
async def new_password_form(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    if await account_care.reset_link_valid(request.app[POOL], token):
        return render(request, "auth/reset_password.html", {"token": token, "valid": True})
    return render(request, "auth/reset_password.html", {
        "token": token, "valid": False, "error": "This reset link is not valid: it was used already or is more"
        " than an hour old."}, status=410)


@routes.post(rf"/password/reset/{TOKEN}")
async def set_new_password(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    form = await request.post()
    try:
        await account_care.reset_password(request.app[POOL], token, field(form, "password", max_len=1000))
    except Invalid as exc:
        valid = exc.field != "token"
        return render(request, "auth/reset_password.html", {"token": token, "valid": valid, "error": exc.message,
                                                            "error_field": exc.field}, status=422 if valid else 410)
    return _login_page(request, "Your password is changed. Log in with the new one.")


@routes.get("/settings/password")
async def password_form(request: web.Request) -> web.Response:
    require_user(request)
    return render(request, "settings_password.html", {"saved": request.query.get("saved")})


@routes.post("/settings/password")
async def change_password(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    others = field(form, "sign_out_others", max_len=10) == "on"
    try:
        await account_care.change_password(
            request.app[POOL], user.id, field(form, "current_password", max_len=1000),
            field(form, "password", max_len=1000), sign_out_others=others,
            this_session=sessions.current_session_hash(request))
    except Invalid as exc:
        return render(request, "settings_password.html", {"error": exc.message, "error_field": exc.field,
                                                          "form": {"sign_out_others": others}}, status=422)
    raise web.HTTPSeeOther("/settings/password?saved=password")


@routes.post("/settings/email")
async def change_email(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    email = field(form, "email", max_len=320)
    try:
        await account_care.change_email(request.app[POOL], request.app[URLS], request[SITE].instance_name, user.id,
                                        user.account.username, field(form, "email_password", max_len=1000), email)
    except Invalid as exc:
        field_name = "email_password" if exc.field == "current_password" else exc.field
        return render(request, "settings_password.html", {"error": exc.message, "error_field": field_name,
                                                          "form": {"email": email}}, status=422)
    raise web.HTTPSeeOther("/settings/password?saved=email")


@routes.get("/settings/sessions")
async def sessions_page(request: web.Request) -> web.Response:
    user = require_user(request)
    current = sessions.current_session_hash(request)
    found = await sessions_store.of_account(request.app[POOL], user.id)
    for item in found:
        item["current"] = item.pop("token_hash") == current
    return render(request, "settings_sessions.html", {"sessions": found})


@routes.post(r"/settings/sessions/{session_id:\d{1,19}}/revoke")
async def revoke_session(request: web.Request) -> web.Response:
    user = require_user(request)
    if not await sessions_store.delete_one(request.app[POOL], user.id, int(request.match_info["session_id"])):
        raise AppError(404, "There is no such session.")
    raise web.HTTPSeeOther("/settings/sessions")



@routes.get("/settings/delete")
async def delete_form(request: web.Request) -> web.Response:
    require_user(request)
    return render(request, "settings_delete.html")


@routes.post("/settings/delete")
async def delete_account(request: web.Request) -> web.Response:
    """The member's own deletion, with their password; they are signed out and told it is done."""
    user = require_user(request)
    form = await request.post()
    try:
        if field(form, "confirm", max_len=10) != "on":
            raise Invalid("Tick the box to confirm that everything goes.", field="confirm")
        await account_deletion.delete_member(request.app[POOL], request.app[URLS], storage_for(request.app[CONFIG]),
                                             user.account, password=field(form, "password", max_len=1000))
    except Invalid as exc:
        field_name = "password" if exc.field == "current_password" else exc.field
        return render(request, "settings_delete.html", {"error": exc.message, "error_field": field_name}, status=422)
    request[USER] = None  # the page after is a visitor's
    response = render(request, "auth/deleted.html", {"username": user.account.username})
    response.del_cookie(sessions.COOKIE, path="/")
    return response
