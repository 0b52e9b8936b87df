"""POST /api/v1/reports: reporting from apps, through the same use case as the web form."""

from __future__ import annotations

from aiohttp import web

from server.api import entities, params
from server.api.auth import api, current_user
from server.api.common import account_or_404
from server.domain import reports
from server.errors import AppError
from server.keys import POOL, URLS
from server.store import reports as reports_store

routes = web.RouteTableDef()


def _ids(values: list[str], name: str) -> list[int]:
    if any(not v.isdigit() or len(v) > 19 for v in values):
        raise AppError(422, f"Validation failed: {name} must be ids")
    return [int(v) for v in values]


@routes.post("/api/v1/reports")
@api("write:reports")
async def create(request: web.Request) -> web.Response:
    user = current_user(request)
    p = await params.read(request)
    raw = p.str("account_id", "", max_len=19) or ""
    target = await account_or_404(request, int(raw)) if raw.isdigit() else None
    if target is None:
        raise AppError(422, "Validation failed: account_id is required")
    rule_ids = _ids(p.list("rule_ids", max_items=50), "rule_ids")
    category = p.str("category", max_len=20) or ("violation" if rule_ids else "other")
    report_id = await reports.file_report(
        request.app[POOL], request.app[URLS], user.account, target,
        status_ids=_ids(p.list("status_ids", max_items=50), "status_ids"),
        comment=p.str("comment", "", max_len=5000) or "", category=category, rule_ids=rule_ids,
        forward=p.bool("forward"),
    )
    report = await reports_store.get(request.app[POOL], report_id)
    account = await entities.account_to_api(request.app[POOL], request.app[URLS], target)
    return web.json_response(entities.report_to_api(report, account))
