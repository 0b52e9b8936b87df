"""The smaller endpoints apps call: preferences, markers, search, blocks/mutes lists, push
subscriptions, and the ones Kith has nothing for (answered with empty lists, never 404)."""

from __future__ import annotations

import re

from aiohttp import web

from federation import ingest
from federation.fetch import FetchError
from federation.runtime import FEDERATION
from federation.web_push import check_endpoint
from server.api import entities, params
from server.api.accounts import search_accounts
from server.api.auth import API_USER, TOKEN, api, current_user
from server.api.paging import page, respond_accounts
from server.domain import domain_hiding
from server.errors import AppError
from server.keys import POOL, URLS, VAPID_KEY
from server.models import Status
from server.store import accounts as accounts_store
from server.store import directory as directory_store
from server.store import emojis as emojis_store
from server.store import markers as markers_store
from server.store import push_subscriptions as push_store
from server.store import search as search_store
from server.store import statuses as statuses_store
from server.store import tags as tags_store

routes = web.RouteTableDef()

EMPTY_LISTS = (
    "/api/v1/trends", "/api/v1/trends/tags",
    "/api/v1/trends/statuses", "/api/v1/trends/links", "/api/v1/suggestions", "/api/v2/suggestions",
)


async def _empty(request: web.Request) -> web.Response:
    """Features Kith does not have: an empty list, so apps carry on."""
    return web.json_response([])


for path in EMPTY_LISTS:
    routes.get(path)(_empty)


@routes.get("/api/v1/directory")
@api(user=False)
async def directory(request: web.Request) -> web.Response:
    """Discoverable accounts (store.directory): `order` active (latest post first, the default) or new,
    `local` for this server's only, paged by `offset` and `limit` (40, at most 80), as Mastodon's."""
    p = params.Params(request.query)
    order = p.str("order", "active", max_len=20)
    if order not in directory_store.ORDERS:
        raise params.invalid("order must be active or new")
    viewer = request.get(API_USER)
    listed = await directory_store.listed(request.app[POOL], viewer.id if viewer else None,
                                            local=p.bool("local"), order=order,
                                            offset=p.int("offset", 0, minimum=0, maximum=100_000),
                                            limit=p.int("limit", 40, minimum=1, maximum=80))
    people = await entities.accounts_to_api(request.app[POOL], request.app[URLS], listed)
    return web.json_response([people[account.id] for account in listed])


@routes.get("/api/v1/preferences")
@api("read:accounts")
async def preferences(request: web.Request) -> web.Response:
    chosen = current_user(request).preferences
    return web.json_response({
        "posting:default:visibility": chosen.visibility, "posting:default:sensitive": chosen.sensitive,
        "posting:default:language": chosen.language, "reading:expand:media": "default",
        "reading:expand:spoilers": chosen.expand_spoilers,
    })


@routes.get("/api/v1/markers")
@api("read:statuses")
async def get_markers(request: web.Request) -> web.Response:
    user = current_user(request)
    wanted = params.Params(request.query).list("timeline", max_items=2) or ["home", "notifications"]
    markers = await markers_store.markers(request.app[POOL], user.id)
    return web.json_response({name: _marker(markers[name]) for name in wanted if name in markers})


def _marker(row: dict) -> dict:
    return {"last_read_id": str(row["last_read_id"]), "version": row["version"],
            "updated_at": entities.iso(row["updated_at"])}


@routes.post("/api/v1/markers")
@api("write:statuses")
async def set_markers(request: web.Request) -> web.Response:
    user = current_user(request)
    p = await params.read(request)
    out = {}
    for name in ("home", "notifications"):
        nested = p.nested(name)
        if nested is None:
            continue
        last = nested.str("last_read_id", max_len=19)
        if not last or not last.isdigit():
            raise AppError(422, f"Validation failed: {name}[last_read_id] must be an id")
        out[name] = _marker(await markers_store.set_marker(request.app[POOL], user.id, name, int(last)))
    return web.json_response(out)


@routes.get("/api/v2/search")
@api("read:search")
async def search(request: web.Request) -> web.Response:
    """Accounts (handles resolved with resolve=true), hashtags, and posts by URL or by their words
    (full-text, within what the member may search), paged with offset and limit as Mastodon."""
    user = current_user(request)
    p = params.Params(request.query)
    q = (p.str("q", "", max_len=300) or "").strip()
    kind = p.str("type", max_len=20)
    resolve = p.bool("resolve")
    limit = p.int("limit", 20, minimum=1, maximum=40) or 20
    offset = p.int("offset", 0, minimum=0, maximum=10_000) or 0
    pool, urls = request.app[POOL], request.app[URLS]
    accounts, statuses, hashtags = [], [], []
    if q.startswith(("https://", "http://")) and kind in (None, "statuses", "accounts"):
        statuses = await _status_by_url(request, q, resolve, user.id)
    elif q and kind in (None, "statuses"):
        statuses = await statuses_store.with_reblogs(
            pool, await search_store.posts(pool, user.id, q, offset=offset, limit=limit), user.id)
    if kind in (None, "accounts") and not statuses:
        found = await search_accounts(request, q.lstrip("@"), resolve=resolve, limit=limit)
        rendered = await entities.accounts_to_api(pool, urls, found)
        accounts = [rendered[a.id] for a in found]
    if kind in (None, "hashtags") and re.fullmatch(r"#?\w{1,100}", q):
        for name in await tags_store.search_tags(pool, q.lstrip("#"), limit):
            hashtags.append({"name": name.lower(), "url": urls.tag(name), "history": [], "following": False})
    rendered_statuses = await entities.statuses_to_api(pool, urls, statuses, user.id)
    return web.json_response({"accounts": accounts, "statuses": rendered_statuses, "hashtags": hashtags})


async def _status_by_url(request: web.Request, url: str, resolve: bool, viewer_id: int) -> list[Status]:
    try:
        found = await ingest.resolve_url(request.app[FEDERATION], url, fetch_remote=resolve)
    except FetchError:
        return []
    status = (await statuses_store.get_visible(request.app[POOL], found.status_id, viewer_id)
              if found.status_id else None)
    return [status] if status else []


async def _account_list(request: web.Request, table: str) -> web.Response:
    user = current_user(request)
    pg = page(params.Params(request.query), maximum=80)
    rows = await accounts_store.blocked_or_muted(request.app[POOL], table, user.id, pg)
    return await respond_accounts(request, rows, pg)


@routes.get("/api/v1/domain_blocks")
@api("read:blocks")
async def domain_blocks(request: web.Request) -> web.Response:
    return web.json_response(await domain_hiding.hidden(request.app[POOL], current_user(request).id))


@routes.post("/api/v1/domain_blocks")
@api("write:blocks")
async def block_domain(request: web.Request) -> web.Response:
    return await _hide_domain(request, hidden=True)


@routes.delete("/api/v1/domain_blocks")
@api("write:blocks")
async def unblock_domain(request: web.Request) -> web.Response:
    return await _hide_domain(request, hidden=False)


async def _hide_domain(request: web.Request, *, hidden: bool) -> web.Response:
    p = await params.read(request)
    await domain_hiding.hide(request.app[POOL], current_user(request).id, p.str("domain", "", max_len=300) or "",
                             hidden=hidden)
    return web.json_response({})


@routes.get("/api/v1/custom_emojis")
@api(user=False)
async def custom_emojis(request: web.Request) -> web.Response:
    """This instance's own custom emoji, for apps' pickers."""
    urls = request.app[URLS]
    return web.json_response([{"shortcode": e.shortcode, "url": urls.media(e.file_path),
                               "static_url": urls.media(e.file_path), "visible_in_picker": e.visible_in_picker,
                               "category": e.category or None}
                              for e in await emojis_store.all_emojis(request.app[POOL])])


@routes.get("/api/v1/blocks")
@api("read:blocks")
async def blocks(request: web.Request) -> web.Response:
    return await _account_list(request, "blocks")


@routes.get("/api/v1/mutes")
@api("read:mutes")
async def mutes(request: web.Request) -> web.Response:
    return await _account_list(request, "mutes")


def _subscription(request: web.Request, row: dict) -> dict:
    return {"id": str(row["token_id"]), "endpoint": row["endpoint"], "alerts": row["alerts"],
            "policy": row["policy"], "standard": row["standard"], "server_key": request.app[VAPID_KEY]}


ALERTS = ("mention", "status", "reblog", "follow", "follow_request", "favourite", "poll", "update", "admin.sign_up",
          "admin.report")
POLICIES = ("all", "followed", "follower", "none")


def _alerts_and_policy(p: params.Params) -> tuple[dict[str, bool] | None, str | None]:
    """The alerts sent (`data[alerts][kind]`) and the policy (`data[policy]`, or `policy` as Mastodon.py sends it)."""
    data = p.nested("data")
    given = data.nested("alerts") if data else None
    alerts = {k: given.bool(k) for k in ALERTS if given.raw(k) is not None} if given else None
    policy = (data.str("policy", max_len=20) if data else None) or p.str("policy", max_len=20)
    if policy is not None and policy not in POLICIES:
        raise AppError(422, f"Validation failed: policy must be one of {', '.join(POLICIES)}")
    return alerts, policy


@routes.post("/api/v1/push/subscription")
@api("push")
async def subscribe(request: web.Request) -> web.Response:
    """A Web Push subscription for this token (one per token, replaced by a new one), as Mastodon keeps them."""
    p = await params.read(request)
    sub = p.nested("subscription")
    keys = sub.nested("keys") if sub else None
    endpoint = sub.str("endpoint", max_len=2000) if sub else None
    if not endpoint or keys is None or not keys.str("p256dh", max_len=500) or not keys.str("auth", max_len=500):
        raise AppError(422, "Validation failed: subscription[endpoint] and subscription[keys] are required")
    check_endpoint(request.app[FEDERATION].policy, endpoint)
    alerts, policy = _alerts_and_policy(p)
    bearer = request.headers.get("Authorization", "").partition(" ")[2].strip()
    row = await push_store.save_push(request.app[POOL], request[TOKEN].id, endpoint, keys.str("p256dh", max_len=500),
                                     keys.str("auth", max_len=500), alerts or {}, policy or "all",
                                     standard=sub.bool("standard"), access_token=bearer)
    return web.json_response(_subscription(request, row))


@routes.put("/api/v1/push/subscription")
@api("push")
async def update_subscription(request: web.Request) -> web.Response:
    alerts, policy = _alerts_and_policy(await params.read(request))
    row = await push_store.update_push(request.app[POOL], request[TOKEN].id, alerts, policy)
    if row is None:
        raise AppError(404, "Record not found")
    return web.json_response(_subscription(request, row))


@routes.get("/api/v1/push/subscription")
@api("push")
async def get_subscription(request: web.Request) -> web.Response:
    row = await push_store.get_push(request.app[POOL], request[TOKEN].id)
    if row is None:
        raise AppError(404, "Record not found")
    return web.json_response(_subscription(request, row))


@routes.delete("/api/v1/push/subscription")
@api("push")
async def unsubscribe(request: web.Request) -> web.Response:
    await push_store.delete_push(request.app[POOL], request[TOKEN].id)
    return web.json_response({})
