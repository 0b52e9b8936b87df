"""/api/v1/notifications (and v2's grouped form) and follow requests."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.api import entities, params
from server.api.auth import api, current_user
from server.api.common import NOT_FOUND, account_or_404, path_id
from server.api.filters import apply_filters_to_notifications
from server.api.paging import page, respond, respond_accounts
from server.domain import following, notification_policy
from server.errors import AppError, NotFound
from server.keys import POOL, URLS
from server.store import follows as follows_store
from server.store import notifications as notifications_store
from server.store import relationships as relationships_store
from server.store import reports as reports_store
from server.store import statuses as statuses_store

routes = web.RouteTableDef()
TYPES = ("mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update",
         "admin.sign_up", "admin.report", "severed_relationships", "moderation_warning")


GROUPED = ("favourite", "reblog")  # many accounts favouriting or boosting one post: one group, as Mastodon


def group_key(item: dict[str, Any]) -> str:
    if item["type"] in GROUPED and item["status_id"]:
        return f"{item['type']}-{item['status_id']}"
    return f"ungrouped-{item['id']}"


async def render(request: web.Request, items: list[dict[str, Any]], viewer_id: int) -> list[dict[str, Any]]:
    """Notification entities; ones about posts the viewer can no longer see are left out."""
    pool, urls = request.app[POOL], request.app[URLS]
    statuses = {}
    for item in items:
        if item["status_id"]:
            status = await statuses_store.get_visible(pool, item["status_id"], viewer_id)
            if status:
                statuses[status.id] = status
    rendered = await entities.statuses_to_api(pool, urls, list(statuses.values()), viewer_id)
    status_json = dict(zip(statuses, rendered, strict=True))
    reports = {}
    for item in items:
        if item["report_id"] and (report := await reports_store.get(pool, item["report_id"])):
            reports[report["id"]] = report
    people = await entities.accounts_to_api(pool, urls, [i["account"] for i in items]
                                            + [r["target"] for r in reports.values()])
    out = []
    for item in items:
        if item["status_id"] and item["status_id"] not in status_json:
            continue
        entity = {"id": str(item["id"]), "type": item["type"], "created_at": entities.iso(item["created_at"]),
                  "group_key": group_key(item), "account": people[item["account"].id]}
        if item["status_id"]:
            entity["status"] = status_json[item["status_id"]]
        if item["report_id"] in reports:
            report = reports[item["report_id"]]
            entity["report"] = entities.report_to_api(report, people[report["target"].id])
        out.append(entity)
    return await apply_filters_to_notifications(pool, viewer_id, out)


def _types(p: params.Params) -> tuple[list[str] | None, list[str]]:
    wanted = p.list("types", max_items=20) or None
    excluded = p.list("exclude_types", max_items=20)
    return wanted, excluded


@routes.get("/api/v1/notifications")
@api("read:notifications")
async def index(request: web.Request) -> web.Response:
    user = current_user(request)
    p = params.Params(request.query)
    pg = page(p, maximum=80)
    wanted, excluded = _types(p)
    items = await notifications_store.api_page(request.app[POOL], user.id, pg, wanted, excluded,
                                               p.str("account_id", max_len=19))
    return respond(request, await render(request, items, user.id), [i["id"] for i in items], limit=pg.limit)


async def _groups(request: web.Request, rendered: list[dict[str, Any]], viewer_id: int) -> dict[str, Any]:
    """v2's body: the page's notifications folded into groups (favourites and boosts of one post
    together, counted over all of them), with the accounts and posts they name."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for n in rendered:
        by_key.setdefault(n["group_key"], []).append(n)
    accounts = {n["account"]["id"]: n["account"] for n in rendered}
    statuses = {n["status"]["id"]: n["status"] for n in rendered if "status" in n}
    groups = []
    for key, members in by_key.items():
        newest, count = members[0], len(members)
        if not key.startswith("ungrouped-"):
            count, _ = await notifications_store.of_group(request.app[POOL], viewer_id, newest["type"],
                                                          int(newest["status"]["id"]), 1)
        ids = [int(m["id"]) for m in members]
        groups.append({
            "group_key": key, "notifications_count": count, "type": newest["type"],
            "most_recent_notification_id": newest["id"], "page_min_id": str(min(ids)), "page_max_id": str(max(ids)),
            "latest_page_notification_at": newest["created_at"],
            "sample_account_ids": list(dict.fromkeys(m["account"]["id"] for m in members))[:8],
            **({"status_id": newest["status"]["id"]} if "status" in newest else {}),
            **({"report": newest["report"]} if "report" in newest else {})})
    return {"accounts": list(accounts.values()), "statuses": list(statuses.values()), "notification_groups": groups}


@routes.get("/api/v2/notifications")
@api("read:notifications")
async def grouped(request: web.Request) -> web.Response:
    """v2: favourites and boosts of one post by many accounts come as one group."""
    user = current_user(request)
    p = params.Params(request.query)
    pg = page(p, maximum=80)
    wanted, excluded = _types(p)
    items = await notifications_store.api_page(request.app[POOL], user.id, pg, wanted, excluded, None)
    body = await _groups(request, await render(request, items, user.id), user.id)
    response = respond(request, [], [i["id"] for i in items], limit=pg.limit)
    return web.json_response(body, headers={k: v for k, v in response.headers.items() if k == "Link"})


@routes.get(r"/api/v2/notifications/{group_key:[a-z._]+-\d{1,19}}")
@api("read:notifications")
async def one_group(request: web.Request) -> web.Response:
    user = current_user(request)
    kind, _, number = request.match_info["group_key"].rpartition("-")
    if kind == "ungrouped":
        found = await notifications_store.get(request.app[POOL], user.id, int(number))
        items = [found] if found else []
    elif kind in GROUPED:
        _, items = await notifications_store.of_group(request.app[POOL], user.id, kind, int(number), 80)
    else:
        items = []
    rendered = await render(request, items, user.id)
    if not rendered:
        raise AppError(404, NOT_FOUND)
    return web.json_response(await _groups(request, rendered, user.id))


@routes.get("/api/v2/notifications/unread_count")
@routes.get("/api/v1/notifications/unread_count")
@api("read:notifications")
async def unread_count(request: web.Request) -> web.Response:
    count = await notifications_store.unread_count(request.app[POOL], current_user(request).id)
    return web.json_response({"count": count})


@routes.get(r"/api/v1/notifications/{id:\d+}")
@api("read:notifications")
async def show(request: web.Request) -> web.Response:
    user = current_user(request)
    item = await notifications_store.get(request.app[POOL], user.id, path_id(request))
    rendered = await render(request, [item], user.id) if item else []
    if not rendered:
        raise AppError(404, NOT_FOUND)
    return web.json_response(rendered[0])


@routes.post(r"/api/v1/notifications/{id:\d+}/dismiss")
@api("write:notifications")
async def dismiss(request: web.Request) -> web.Response:
    return await _dismiss(request, path_id(request))


@routes.post("/api/v1/notifications/dismiss")
@api("write:notifications")
async def dismiss_by_param(request: web.Request) -> web.Response:
    """The older form (Mastodon before 3.x), the id as a parameter."""
    raw = (await params.read(request)).str("id", "", max_len=19) or ""
    if not raw.isdigit():
        raise AppError(422, "Validation failed: id is required")
    return await _dismiss(request, int(raw))


async def _dismiss(request: web.Request, notification_id: int) -> web.Response:
    """Only the member's own notification: another member's, or a made-up id, is 404."""
    if not await notifications_store.dismiss(request.app[POOL], current_user(request).id, notification_id):
        raise AppError(404, NOT_FOUND)
    return web.json_response({})


@routes.post("/api/v1/notifications/clear")
@api("write:notifications")
async def clear(request: web.Request) -> web.Response:
    await notifications_store.clear(request.app[POOL], current_user(request).id)
    return web.json_response({})


@routes.get("/api/v1/follow_requests")
@api("read:follows")
async def follow_requests(request: web.Request) -> web.Response:
    user = current_user(request)
    pg = page(params.Params(request.query), maximum=80)
    rows = await follows_store.follow_requests(request.app[POOL], user.id, pg)
    return await respond_accounts(request, rows, pg)


async def _answer(request: web.Request, *, accept: bool) -> web.Response:
    user = current_user(request)
    follower = await account_or_404(request, path_id(request))
    try:
        await following.answer_request(request.app[POOL], request.app[URLS], user.account, follower, accept=accept)
    except NotFound:
        raise AppError(404, NOT_FOUND) from None
    rels = await relationships_store.between(request.app[POOL], user.id, [follower.id])
    return web.json_response(entities.relationship_to_api(rels[follower.id]))


@routes.post(r"/api/v1/follow_requests/{id:\d+}/authorize")
@api("write:follows")
async def authorize(request: web.Request) -> web.Response:
    return await _answer(request, accept=True)


@routes.post(r"/api/v1/follow_requests/{id:\d+}/reject")
@api("write:follows")
async def reject(request: web.Request) -> web.Response:
    return await _answer(request, accept=False)


@routes.get("/api/v2/notifications/policy")
@routes.get("/api/v1/notifications/policy")
@api("read:notifications")
async def get_policy(request: web.Request) -> web.Response:
    return web.json_response(await _policy(request, current_user(request).id))


@routes.patch("/api/v2/notifications/policy")
@routes.put("/api/v1/notifications/policy")
@api("write:notifications")
async def set_policy(request: web.Request) -> web.Response:
    user = current_user(request)
    p = await params.read(request)
    values = {k: v for k in notifications_store.POLICY_KEYS if (v := p.str(k, max_len=20))}
    await notification_policy.change(request.app[POOL], user.id, values)
    return web.json_response(await _policy(request, user.id))


async def _policy(request: web.Request, account_id: int) -> dict[str, Any]:
    pool = request.app[POOL]
    waiting = await notifications_store.requests(pool, account_id)
    return {**await notifications_store.policy(pool, account_id),
            "summary": {"pending_requests_count": len(waiting),
                        "pending_notifications_count": sum(r["count"] for r in waiting)}}


@routes.get("/api/v1/notifications/requests")
@api("read:notifications")
async def requests(request: web.Request) -> web.Response:
    """Filtered notifications, one request per sender (its id is the sender's)."""
    user = current_user(request)
    pool, urls = request.app[POOL], request.app[URLS]
    waiting = await notifications_store.requests(pool, user.id)
    people = await entities.accounts_to_api(pool, urls, [r["account"] for r in waiting])
    out = []
    for r in waiting:
        status = await statuses_store.get_visible(pool, r["status_id"], user.id) if r["status_id"] else None
        out.append({"id": str(r["account"].id), "created_at": entities.iso(r["updated_at"]),
                    "updated_at": entities.iso(r["updated_at"]), "account": people[r["account"].id],
                    "notifications_count": str(r["count"]),
                    "last_status": (await entities.status_to_api(pool, urls, status, user.id)) if status else None})
    return web.json_response(out)


@routes.post(r"/api/v1/notifications/requests/{id:\d+}/{action:accept|dismiss}")
@api("write:notifications")
async def answer_request(request: web.Request) -> web.Response:
    try:
        await notification_policy.answer(request.app[POOL], current_user(request).id, path_id(request),
                                         accept=request.match_info["action"] == "accept")
    except NotFound:
        raise AppError(404, NOT_FOUND) from None
    return web.json_response({})
