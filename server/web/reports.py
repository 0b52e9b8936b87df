"""Reporting from the web UI, and the moderators' queue of reports."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp import web

from server.domain import reports as reports_domain
from server.errors import AppError, Invalid
from server.keys import POOL, URLS
from server.models import Role
from server.store import accounts as accounts_store
from server.store import reports as reports_store
from server.store import rules as rules_store
from server.store import statuses as statuses_store
from server.web.admin import require_role
from server.web.forms import field
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()


def _id(raw: str | None, name: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise AppError(400, f"{name} must be an id")
    return int(raw)


async def _form(request: web.Request, account_id: int | None, status_id: int | None, **context) -> web.Response:
    user = require_user(request)
    pool = request.app[POOL]
    target = await accounts_store.get_by_id(pool, account_id) if account_id else None
    if target is None or target.suspended_at is not None:
        raise AppError(404, "There is no such account.")
    status = await statuses_store.get_visible(pool, status_id, user.id) if status_id else None
    defaults = {"target": target, "status": status, "rules": await rules_store.all_rules(pool), "form": {}}
    status_code = context.pop("status_code", 200)
    return render(request, "report.html", {**defaults, **context}, status=status_code)


@routes.get("/report")
async def report_form(request: web.Request) -> web.Response:
    return await _form(request, _id(request.query.get("account_id"), "account_id"),
                       _id(request.query.get("status_id"), "status_id"))


@routes.post("/report")
async def report(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    account_id = _id(field(form, "account_id", max_len=19), "account_id")
    status_id = _id(field(form, "status_id", max_len=19), "status_id")
    target = await accounts_store.get_by_id(request.app[POOL], account_id) if account_id else None
    if target is None:
        raise AppError(404, "There is no such account.")
    rule_ids = [int(r) for r in form.getall("rule_ids", []) if isinstance(r, str) and r.isdigit() and len(r) <= 19]
    try:
        await reports_domain.file_report(
            request.app[POOL], request.app[URLS], user.account, target,
            status_ids=[status_id] if status_id else [], comment=field(form, "comment", max_len=5000),
            category=field(form, "category", max_len=20) or "other", rule_ids=rule_ids,
            forward=field(form, "forward", max_len=10) == "on",
        )
    except Invalid as exc:
        return await _form(request, account_id, status_id, error=exc.message, form=dict(form), status_code=422)
    return render(request, "report_sent.html", {"target": target})


@routes.get("/admin/reports")
async def queue(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN, Role.MODERATOR)
    pool = request.app[POOL]
    resolved = request.query.get("resolved") == "1"
    items = await with_details(pool, await reports_store.page(pool, resolved=resolved))
    return render(request, "admin/reports.html", {"items": items, "resolved": resolved,
                                                  "rules": await rules_store.all_rules(pool)})


async def with_details(pool: asyncpg.Pool, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reports with what staff read to decide: the reported posts, the rules cited and the notes."""
    rules = {r.id: r for r in await rules_store.all_rules(pool)}
    notes = await reports_store.notes(pool, [i["id"] for i in items])
    for item in items:
        item["statuses"] = [s for s in [await statuses_store.get_for_moderation(pool, sid)
                                        for sid in item["status_ids"]] if s]
        item["rules"] = [rules[r] for r in item["rule_ids"] if r in rules]
        item["notes"] = notes.get(item["id"], [])
    return items


@routes.post(r"/admin/reports/{report_id:\d{1,19}}")
async def handle(request: web.Request) -> web.Response:
    user = require_role(request, Role.ADMIN, Role.MODERATOR)
    form = await request.post()
    report_id = int(request.match_info["report_id"])
    action = field(form, "action", max_len=20)
    note = field(form, "note", max_len=reports_domain.MAX_NOTE)
    await reports_domain.handle(request.app[POOL], user.id, report_id, note=note,
                                ending=action if action in reports_domain.ENDINGS else None)
    raise web.HTTPSeeOther("/admin/reports")
