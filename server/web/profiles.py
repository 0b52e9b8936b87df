"""Profiles, single posts, following and deleting."""

from __future__ import annotations

from aiohttp import web

from server.domain import following, posting
from server.errors import NotFound
from federation.negotiation import wants_as2
from server.keys import POOL, URLS, USER
from server.models import Account
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import statuses as statuses_store
from server.web.feeds import PAGE_SIZE, page_context
from server.web.forms import max_id_param
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()


async def _local_account(request: web.Request) -> Account:
    account = await accounts_store.get_local(request.app[POOL], request.match_info["username"])
    if account is None or account.suspended_at is not None:
        raise NotFound("There is no member with that name here.")
    return account


def _status_id(request: web.Request) -> int:
    raw = request.match_info["status_id"]
    if len(raw) > 19:
        raise NotFound("There is no such post.")
    return int(raw)


@routes.get(r"/@{username:[A-Za-z0-9_]+}")
async def profile(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    account = await _local_account(request)
    if wants_as2(request):
        raise web.HTTPFound(request.app[URLS].actor(account.username))
    viewer = request[USER]
    viewer_id = viewer.id if viewer else None
    statuses = await statuses_store.account_timeline(
        pool, account.id, viewer_id, max_id=max_id_param(request), limit=PAGE_SIZE
    )
    followers, following_count = await follows_store.counts(pool, account.id)
    follow_state = await follows_store.state(pool, viewer_id, account.id) if viewer_id else None
    context = {
        **page_context(statuses),
        "account": account,
        "followers": followers,
        "following": following_count,
        "posts_count": await statuses_store.count_by_account(pool, account.id),
        "follow_state": follow_state,
    }
    return render(request, "profile.html", context)


@routes.get(r"/@{username:[A-Za-z0-9_]+}/{status_id:\d+}")
async def status_page(request: web.Request) -> web.Response:
    account = await _local_account(request)
    if wants_as2(request):
        raise web.HTTPFound(request.app[URLS].status_uri(account.username, _status_id(request)))
    viewer = request[USER]
    status = await statuses_store.get_visible(request.app[POOL], _status_id(request), viewer.id if viewer else None)
    if status is None or status.author.id != account.id:
        raise NotFound("There is no such post, or it is not visible to you.")
    return render(request, "status.html", {"status": status})


@routes.post(r"/@{username:[A-Za-z0-9_]+}/{status_id:\d+}/delete")
async def delete_status(request: web.Request) -> web.Response:
    user = require_user(request)
    await posting.delete_post(request.app[POOL], request.app[URLS], user.account, _status_id(request))
    raise web.HTTPSeeOther(f"/@{user.account.username}")


@routes.post(r"/@{username:[A-Za-z0-9_]+}/follow")
async def follow(request: web.Request) -> web.Response:
    user = require_user(request)
    target = await _local_account(request)
    await following.follow(request.app[POOL], request.app[URLS], user.account, target)
    raise web.HTTPSeeOther(f"/@{target.username}")


@routes.post(r"/@{username:[A-Za-z0-9_]+}/unfollow")
async def unfollow(request: web.Request) -> web.Response:
    user = require_user(request)
    target = await _local_account(request)
    await following.unfollow(request.app[POOL], request.app[URLS], user.account, target)
    raise web.HTTPSeeOther(f"/@{target.username}")
