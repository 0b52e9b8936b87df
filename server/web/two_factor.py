"""Two-factor sign-in on the web: setting it up at /settings/otp, and the code asked for after
the password at /login (the OAuth authorize page signs in through the same form)."""

from __future__ import annotations

import hashlib
import hmac
import time

from aiohttp import web

from server.domain import two_factor
from server.errors import AppError, Invalid
from server.keys import CONFIG, POOL, SECRET, SITE, URLS
from server.store import accounts as accounts_store
from server.store import sessions as sessions_store
from server.store import two_factor as otp_store
from server.web import sessions
from server.web.forms import field, safe_next
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
PENDING_SECONDS = 300  # how long the password step stays good for the code step


def _sign(request: web.Request, payload: str) -> str:
    return hmac.new(request.app[SECRET], b"otp-login " + payload.encode(), hashlib.sha256).hexdigest()


def pending_login(request: web.Request, account_id: int) -> str:
    """A token saying: this browser gave the right password for the account, just now."""
    payload = f"{account_id}.{int(time.time()) + PENDING_SECONDS}"
    return f"{payload}.{_sign(request, payload)}"


def _pending_account(request: web.Request, token: str) -> int | None:
    payload, _, signature = token.rpartition(".")
    account, _, expires = payload.partition(".")
    if not (account.isdigit() and expires.isdigit()) or not hmac.compare_digest(_sign(request, payload), signature):
        return None
    return int(account) if int(expires) >= time.time() else None


def code_page(request: web.Request, token: str, target: str, *, error: str | None = None,
              status: int = 200) -> web.Response:
    return render(request, "auth/login_otp.html", {"pending": token, "next": target, "error": error},
                  status=status)


@routes.post("/login/otp")
async def login_code(request: web.Request) -> web.Response:
    form = await request.post()
    token = field(form, "pending", max_len=200)
    target = safe_next(field(form, "next", max_len=2000))
    account_id = _pending_account(request, token)
    if account_id is None:
        return render(request, "auth/login.html", {"error": "That took too long: log in again.", "next": target},
                      status=401)
    pool = request.app[POOL]
    account = await accounts_store.get_by_id(pool, account_id)
    ip = sessions.client_ip(request)
    limit = request.app[CONFIG].login_attempts_per_15min
    if account is None or await sessions_store.recent_failures(pool, account.username, ip, 15) >= limit:
        raise AppError(429, "Too many failed sign-in attempts. Try again in 15 minutes.")
    if not await two_factor.verify(pool, account_id, field(form, "code", max_len=40)):
        await sessions_store.record_failure(pool, account.username, ip)
        return code_page(request, token, target, error="That code does not match (or was used already).",
                         status=401)
    response = web.HTTPSeeOther(target)
    await sessions.sign_in(request, response, account_id)
    sessions.keep_device(request, response, sessions.device_token(request))
    raise response


@routes.get("/settings/otp")
async def otp_page(request: web.Request) -> web.Response:
    user = require_user(request)
    pool = request.app[POOL]
    if await two_factor.enabled(pool, user.id):
        return render(request, "settings_otp.html", {"on": True,
                                                     "left": await otp_store.recovery_left(pool, user.id)})
    return await _setup_page(request)


async def _setup_page(request: web.Request, **context) -> web.Response:
    user = require_user(request)
    secret = await two_factor.start_setup(request.app[POOL], user.id)
    label = f"{user.account.username}@{request.app[URLS].host}"
    status = context.pop("status", 200)
    return render(request, "settings_otp.html", {
        "on": False, "secret": secret, "qr": two_factor.qr_svg(secret, label, request[SITE].instance_name),
        **context}, status=status)


@routes.post("/settings/otp")
async def turn_on(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    try:
        codes = await two_factor.enable(request.app[POOL], user.id, field(form, "code", max_len=40))
    except Invalid as exc:
        return await _setup_page(request, error=exc.message, error_field=exc.field, status=422)
    return render(request, "settings_otp.html", {"on": True, "codes": codes, "left": len(codes)})


@routes.post("/settings/otp/disable")
async def turn_off(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    pool = request.app[POOL]
    try:
        await two_factor.disable(pool, user.id, field(form, "password", max_len=1000), field(form, "code", max_len=40))
    except Invalid as exc:
        return render(request, "settings_otp.html", {
            "on": True, "left": await otp_store.recovery_left(pool, user.id), "error": exc.message,
            "error_field": "password" if exc.field == "current_password" else exc.field}, status=422)
    raise web.HTTPSeeOther("/settings/otp")

