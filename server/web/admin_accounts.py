"""Staff pages on accounts: the list of local and remote accounts with filters, one account's
record (its notices and the reports about it), and the actions on it, also taken from a report."""

from __future__ import annotations

from aiohttp import web

from server.domain import account_actions, account_deletion, two_factor
from server.errors import AppError, Invalid, NotFound
from server.keys import CONFIG, POOL, SITE, URLS
from server.media.storage import storage_for
from server.models import Account, Role
from server.store import accounts as accounts_store
from server.store import reports as reports_store
from server.store import rules as rules_store
from server.store import warnings as warnings_store
from server.urls import INSTANCE_ACTOR
from server.web.admin import require_role
from server.web.feeds import window
from server.web.forms import feed_page, field
from server.web.render import render
from server.web.reports import with_details

routes = web.RouteTableDef()
PAGE = 40
FILTERS = {"origin": ("local", "remote"), "role": tuple(Role), "status": accounts_store.ADMIN_STATUSES}


@routes.get("/admin/accounts")
async def accounts_page(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN, Role.MODERATOR)
    chosen = {}
    for name, allowed in FILTERS.items():
        value = request.query.get(name, "")
        if value and value not in allowed:
            raise AppError(400, f"{name} must be one of {', '.join(allowed)}.")
        chosen[name] = value or None
    query = request.query.get("q", "").strip().lstrip("@")[:200]
    page = feed_page(request, PAGE)
    rows = await accounts_store.admin_page(request.app[POOL], page, query=query, **chosen)
    rows, older, newer = window(rows, page, lambda row: row.account.id)
    kept = "&".join(f"{k}={v}" for k, v in {**chosen, "q": query}.items() if v)
    return render(request, "admin/accounts.html", {"rows": rows, "older": older, "newer": newer, "query": query,
                                                   "chosen": chosen, "filters": FILTERS, "kept": kept})


async def _target(request: web.Request) -> Account:
    target = await accounts_store.get_by_id(request.app[POOL], int(request.match_info["account_id"]))
    if target is None or target.username == INSTANCE_ACTOR:
        raise AppError(404, "There is no such account.")
    return target


@routes.get(r"/admin/accounts/{account_id:\d{1,19}}")
async def account_page(request: web.Request) -> web.Response:
    """One account as staff see it: its state, its notices, the reports about it, and the actions."""
    require_role(request, Role.ADMIN, Role.MODERATOR)
    pool = request.app[POOL]
    target = await _target(request)
    return render(request, "admin/account.html", {
        "target": target, "view": await accounts_store.staff_view(pool, target.id),
        "warnings": await warnings_store.of_account(pool, target.id),
        "reports": await with_details(pool, await reports_store.page(pool, target_id=target.id, limit=20)),
        "rules": await rules_store.all_rules(pool),
    })


@routes.post(r"/admin/accounts/{account_id:\d{1,19}}")
async def account_action(request: web.Request) -> web.Response:
    """Act on an account; sent from a report, the action also resolves that report."""
    user = require_role(request, Role.ADMIN, Role.MODERATOR)
    form = await request.post()
    pool = request.app[POOL]
    target = await _target(request)
    if target.is_local and (staff := await accounts_store.get_user(pool, target.id)) and staff.role == Role.ADMIN \
            and user.role != Role.ADMIN:
        raise AppError(403, "Only admins can act on admins.")
    rule_ids = [int(r) for r in form.getall("rule_ids", []) if isinstance(r, str) and r.isdigit() and len(r) <= 19]
    report = field(form, "report_id", max_len=19)
    if report and not report.isdigit():
        raise AppError(400, "report_id must be a report's id.")
    try:
        await account_actions.act(pool, request.app[URLS], user.id, target, field(form, "action", max_len=20),
                                  rule_ids, field(form, "reason", max_len=5000),
                                  report_id=int(report) if report else None)
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    except NotFound as exc:
        raise AppError(409, exc.message) from None
    raise web.HTTPSeeOther("/admin/reports" if report else f"/admin/accounts/{target.id}")


@routes.post(r"/admin/accounts/{account_id:\d{1,19}}/two_factor/disable")
async def disable_two_factor(request: web.Request) -> web.Response:
    """An admin turns off a member's two-factor sign-in (lost phone and recovery codes)."""
    user = require_role(request, Role.ADMIN)
    target = await _target(request)
    await two_factor.staff_disable(request.app[POOL], request[SITE].instance_name, user.id, target)
    raise web.HTTPSeeOther(f"/admin/accounts/{target.id}")


@routes.post(r"/admin/accounts/{account_id:\d{1,19}}/delete")
async def delete_account(request: web.Request) -> web.Response:
    """An admin deletes a member's account, as the member could (a confirmation box, no password)."""
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    target = await _target(request)
    if field(form, "confirm", max_len=10) != "on":
        raise AppError(422, "Tick the box to confirm the deletion.")
    try:
        await account_deletion.delete_member(request.app[POOL], request.app[URLS], storage_for(request.app[CONFIG]),
                                             target, staff_id=user.id)
    except Invalid as exc:
        raise AppError(422, exc.message) from None
    raise web.HTTPSeeOther(f"/admin/accounts/{target.id}")
