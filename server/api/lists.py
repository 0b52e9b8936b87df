"""/api/v1/lists: a member's lists of accounts they follow, who is in them, and the list timeline."""

from __future__ import annotations

from aiohttp import web

from server.api import entities, params
from server.api.auth import api, current_user
from server.api.common import NOT_FOUND, account_or_404, path_id
from server.api.filters import apply_filters
from server.api.paging import page, respond
from server.domain import lists
from server.errors import AppError
from server.keys import POOL, URLS
from server.store import lists as lists_store

routes = web.RouteTableDef()
MAX_ACCOUNTS_PER_REQUEST = 100


def list_to_api(item: lists_store.ListRow) -> dict:
    return {"id": str(item.id), "title": item.title, "replies_policy": item.replies_policy,
            "exclusive": item.exclusive}


async def _own_list(request: web.Request) -> lists_store.ListRow:
    found = await lists_store.get(request.app[POOL], current_user(request).id, path_id(request))
    if found is None:
        raise AppError(404, NOT_FOUND)
    return found


def _fields(p: params.Params, current: lists_store.ListRow | None) -> tuple[str | None, str, bool]:
    """Title, replies policy and exclusive from the request (an update keeps what is not given)."""
    title = p.str("title", current.title if current else None, max_len=100_000)
    policy = p.str("replies_policy", current.replies_policy if current else "list", max_len=20) or ""
    exclusive = p.bool("exclusive", current.exclusive if current else False)
    return title, policy, exclusive


@routes.get("/api/v1/lists")
@api("read:lists")
async def index(request: web.Request) -> web.Response:
    items = await lists_store.owned(request.app[POOL], current_user(request).id)
    return web.json_response([list_to_api(i) for i in items])


@routes.post("/api/v1/lists")
@api("write:lists")
async def create(request: web.Request) -> web.Response:
    title, policy, exclusive = _fields(await params.read(request), None)
    made = await lists.create(request.app[POOL], current_user(request).id, title, policy, exclusive)
    return web.json_response(list_to_api(made))


@routes.get(r"/api/v1/lists/{id:\d+}")
@api("read:lists")
async def show(request: web.Request) -> web.Response:
    return web.json_response(list_to_api(await _own_list(request)))


@routes.put(r"/api/v1/lists/{id:\d+}")
@api("write:lists")
async def update(request: web.Request) -> web.Response:
    current = await _own_list(request)
    title, policy, exclusive = _fields(await params.read(request), current)
    updated = await lists.update(request.app[POOL], current_user(request).id, current.id, title, policy, exclusive)
    if updated is None:
        raise AppError(404, NOT_FOUND)
    return web.json_response(list_to_api(updated))


@routes.delete(r"/api/v1/lists/{id:\d+}")
@api("write:lists")
async def delete(request: web.Request) -> web.Response:
    if not await lists_store.delete(request.app[POOL], current_user(request).id, path_id(request)):
        raise AppError(404, NOT_FOUND)
    return web.json_response({})


@routes.get(r"/api/v1/lists/{id:\d+}/accounts")
@api("read:lists")
async def accounts(request: web.Request) -> web.Response:
    """Members by account id, 40 a page; limit=0 gives all of them at once (as Mastodon)."""
    found = await _own_list(request)
    p = params.Params(request.query)
    pool, urls = request.app[POOL], request.app[URLS]
    if p.str("limit") == "0":
        members = await lists_store.members(pool, found.id, None)
        rendered = await entities.accounts_to_api(pool, urls, members)
        return web.json_response([rendered[a.id] for a in members])
    pg = page(p, default=40, maximum=40)
    members = await lists_store.members(pool, found.id, pg)
    rendered = await entities.accounts_to_api(pool, urls, members)
    return respond(request, [rendered[a.id] for a in members], [a.id for a in members], limit=pg.limit)


async def _account_ids(request: web.Request) -> list[int]:
    raw = (await params.read(request)).list("account_ids", max_items=MAX_ACCOUNTS_PER_REQUEST)
    if not raw:
        raise AppError(422, "Validation failed: account_ids can't be blank")
    if any(not r.isdigit() or len(r) > 19 for r in raw):
        raise AppError(422, "Validation failed: account_ids must be account ids")
    return list(dict.fromkeys(int(r) for r in raw))


@routes.post(r"/api/v1/lists/{id:\d+}/accounts")
@api("write:lists")
async def add_accounts(request: web.Request) -> web.Response:
    found = await _own_list(request)
    await lists.add_members(request.app[POOL], current_user(request).id, found.id, await _account_ids(request))
    return web.json_response({})


@routes.delete(r"/api/v1/lists/{id:\d+}/accounts")
@api("write:lists")
async def remove_accounts(request: web.Request) -> web.Response:
    found = await _own_list(request)
    await lists_store.remove_members(request.app[POOL], found.id, await _account_ids(request))
    return web.json_response({})


@routes.get(r"/api/v1/timelines/list/{id:\d+}")
@api("read:lists")
async def timeline(request: web.Request) -> web.Response:
    user = current_user(request)
    found = await _own_list(request)
    pg = page(params.Params(request.query))
    pool, urls = request.app[POOL], request.app[URLS]
    items = await lists_store.timeline(pool, found.id, user.id, pg)
    body = await entities.statuses_to_api(pool, urls, items, user.id)
    # Pages follow the unfiltered ids, so a page emptied by filters still links onwards.
    return respond(request, await apply_filters(pool, user.id, "home", body), [s.id for s in items],
                   limit=pg.limit)


@routes.get(r"/api/v1/accounts/{id:\d+}/lists")
@api("read:lists")
async def account_lists(request: web.Request) -> web.Response:
    """The member's lists that include this account."""
    account = await account_or_404(request, path_id(request))
    items = await lists_store.containing(request.app[POOL], current_user(request).id, account.id)
    return web.json_response([list_to_api(i) for i in items])
