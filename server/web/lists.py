"""A member's lists on the web: make, rename and remove them, choose who is in each (from a
profile), and read a list's timeline. The rules are domain/lists', shared with the API."""

from __future__ import annotations

from aiohttp import web

from server.domain import lists
from server.errors import Invalid, NotFound
from server.keys import POOL
from server.store import accounts as accounts_store
from server.store import lists as lists_store
from server.web.feeds import PAGE_SIZE, page_context
from server.web.forms import back, feed_page, field
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
POLICIES = [("list", "Replies to members of the list"), ("followed", "Replies to anyone you follow"),
            ("none", "No replies")]


def _settings(form) -> tuple[str, str, bool]:
    return (field(form, "title", max_len=1000), field(form, "replies_policy", max_len=20) or "list",
            field(form, "exclusive", max_len=10) == "on")


async def _index(request: web.Request, *, error: str | None = None, form: dict | None = None) -> web.Response:
    user = require_user(request)
    owned = await lists_store.owned(request.app[POOL], user.id)
    return render(request, "lists.html", {"lists": owned, "policies": POLICIES, "error": error,
                                          "form": form or {"replies_policy": "list"}},
                  status=422 if error else 200)


@routes.get("/lists")
async def index(request: web.Request) -> web.Response:
    return await _index(request)


@routes.post("/lists")
async def create(request: web.Request) -> web.Response:
    user = require_user(request)
    title, policy, exclusive = _settings(await request.post())
    try:
        made = await lists.create(request.app[POOL], user.id, title, policy, exclusive)
    except Invalid as exc:
        return await _index(request, error=exc.message,
                            form={"title": title, "replies_policy": policy, "exclusive": exclusive})
    raise web.HTTPSeeOther(f"/lists/{made.id}")


async def _own(request: web.Request) -> lists_store.ListRow:
    user = require_user(request)
    raw = request.match_info["list_id"]
    found = await lists_store.get(request.app[POOL], user.id, int(raw)) if len(raw) <= 19 else None
    if found is None:
        raise NotFound("You have no such list.")
    return found


async def _list_page(request: web.Request, found: lists_store.ListRow, *, error: str | None = None) -> web.Response:
    user = require_user(request)
    pool = request.app[POOL]
    page = feed_page(request, PAGE_SIZE)
    statuses = await lists_store.timeline(pool, found.id, user.id, page)
    context = await page_context(request, statuses, page, context="home")
    context.update({"list": found, "members": await lists_store.members(pool, found.id, None), "policies": POLICIES,
                    "error": error})
    return render(request, "list.html", context, status=422 if error else 200)


@routes.get(r"/lists/{list_id:\d+}")
async def show(request: web.Request) -> web.Response:
    return await _list_page(request, await _own(request))


@routes.post(r"/lists/{list_id:\d+}")
async def update(request: web.Request) -> web.Response:
    user = require_user(request)
    found = await _own(request)
    title, policy, exclusive = _settings(await request.post())
    try:
        await lists.update(request.app[POOL], user.id, found.id, title, policy, exclusive)
    except Invalid as exc:
        return await _list_page(request, found, error=exc.message)
    raise web.HTTPSeeOther(f"/lists/{found.id}")


@routes.post(r"/lists/{list_id:\d+}/delete")
async def delete(request: web.Request) -> web.Response:
    user = require_user(request)
    found = await _own(request)
    await lists_store.delete(request.app[POOL], user.id, found.id)
    raise web.HTTPSeeOther("/lists")


async def _member(request: web.Request, form) -> int:
    raw = field(form, "account_id", max_len=19)
    account = await accounts_store.get_by_id(request.app[POOL], int(raw)) if raw.isdigit() else None
    if account is None:
        raise NotFound("There is no such account.")
    return account.id


@routes.post("/lists/add")
async def add_member(request: web.Request) -> web.Response:
    """Add a followed account to one of the member's lists (from its profile's More menu)."""
    user = require_user(request)
    form = await request.post()
    raw = field(form, "list_id", max_len=19)
    found = await lists_store.get(request.app[POOL], user.id, int(raw)) if raw.isdigit() else None
    if found is None:
        raise NotFound("You have no such list.")
    await lists.add_members(request.app[POOL], user.id, found.id, [await _member(request, form)])
    raise await back(request, f"/lists/{found.id}")


@routes.post(r"/lists/{list_id:\d+}/members/remove")
async def remove_member(request: web.Request) -> web.Response:
    require_user(request)
    found = await _own(request)
    form = await request.post()
    await lists_store.remove_members(request.app[POOL], found.id, [await _member(request, form)])
    raise await back(request, f"/lists/{found.id}")
