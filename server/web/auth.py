"""Sign-up, sign-in and sign-out pages."""

from __future__ import annotations

from aiohttp import web

from server.domain import accounts as accounts_domain
from server.domain import registrations, two_factor
from server.errors import AppError
from server.keys import CONFIG, POOL, SITE, URLS, USER
from server.store import registrations as registrations_store
from server.store import rules as rules_store
from server.web import sessions
from server.web import two_factor as two_factor_pages
from server.web.forms import field, safe_next
from server.web.render import render

routes = web.RouteTableDef()


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    if request[USER] is not None:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    return render(request, "auth/login.html", {"next": safe_next(request.query.get("next"))})


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    form = await request.post()
    username = field(form, "username", max_len=200).strip().lstrip("@")
    password = field(form, "password", max_len=1000)
    target = safe_next(field(form, "next", max_len=2000))
    cfg = request.app[CONFIG]
    device = sessions.device_token(request)
    try:
        if not username or not password:
            raise AppError(400, "Enter your username and password.")
        account_id = await accounts_domain.authenticate(
            request.app[POOL], username, password, sessions.client_ip(request), cfg.login_attempts_per_15min,
            allow_suspended=True, device=sessions.device_hash(device),
            require_confirmed=cfg.require_email_confirmation,
        )
    except AppError as exc:
        context = {"error": exc.message, "form": {"username": username}, "next": target,
                   "unconfirmed": isinstance(exc, accounts_domain.Unconfirmed)}
        return render(request, "auth/login.html", context, status=exc.status)
    if await two_factor.enabled(request.app[POOL], account_id):  # the password was right: now the code
        return two_factor_pages.code_page(request, two_factor_pages.pending_login(request, account_id), target)
    response = web.HTTPSeeOther(target)
    await sessions.sign_in(request, response, account_id)
    sessions.keep_device(request, response, device)
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    response = web.HTTPSeeOther("/")
    await sessions.sign_out(request, response)
    raise response


async def _signup_page(request: web.Request, *, status: int = 200, **context) -> web.Response:
    site = request[SITE]
    invite = context.pop("invite", request.query.get("invite", ""))[:100]
    email_required = request.app[CONFIG].require_email_confirmation \
        or bool(await registrations_store.email_domains(request.app[POOL]))
    defaults = {"registrations": site.registrations, "rules": await rules_store.all_rules(request.app[POOL]),
                "email_required": email_required,
                "invite": invite,
                "invite_ok": bool(invite) and await registrations_store.invite_valid(request.app[POOL], invite)}
    return render(request, "auth/signup.html", {**defaults, **context}, status=status)


@routes.get("/signup")
async def signup_page(request: web.Request) -> web.Response:
    return await _signup_page(request)


@routes.post("/signup")
async def signup(request: web.Request) -> web.Response:
    form = await request.post()
    username = field(form, "username", max_len=200).strip()
    email = field(form, "email", max_len=300).strip()
    password = field(form, "password", max_len=1000)
    reason = field(form, "reason", max_len=5000)
    invite = field(form, "invite", max_len=100)
    try:
        account, outcome = await registrations.sign_up(
            request.app[POOL], request[SITE], username, password, email or None, urls=request.app[URLS],
            confirm_email=request.app[CONFIG].require_email_confirmation, reason=reason, invite=invite)
    except AppError as exc:
        kept = {"username": username, "email": email, "reason": reason}
        return await _signup_page(request, status=exc.status, error=exc.message,
                                  error_field=getattr(exc, "field", None), form=kept, invite=invite)
    if outcome == "applied":
        return render(request, "auth/applied.html", {"account": account})
    if outcome == "confirm":
        return render(request, "auth/check_mail.html", {"email": email, "why": "confirm"})
    response = web.HTTPSeeOther("/")
    await sessions.sign_in(request, response, account.id)
    raise response
