"""Profiles of members and of remote accounts, and following them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.negotiation import wants_as2
from federation.routes import actor_document
from server.domain import blocking, following
from server.keys import POOL, URLS, USER
from server.store import follows as follows_store
from server.store import lists as lists_store
from server.store import marks as marks_store
from server.store import relationships as relationships_store
from server.store import statuses as statuses_store
from server.web.feeds import PAGE_SIZE, page_context
from server.web.forms import back, feed_page, field
from server.web.lookup import HANDLE, account_for_handle, account_for_uri
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()


@routes.get(f"/@{HANDLE}")
async def profile(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    account = await account_for_handle(request, request.match_info["handle"], resolve=True)
    if wants_as2(request) and account.is_local:
        return await actor_document(request, account)
    viewer = request[USER]
    viewer_id = viewer.id if viewer else None
    page = feed_page(request, PAGE_SIZE)
    statuses = await statuses_store.account_timeline(pool, account.id, viewer_id, page)
    followers, following_count = await follows_store.counts(pool, account.id)
    context = {
        **await page_context(request, statuses, page, context="account"),
        "account": account,
        "followers": followers,
        "following": following_count,
        "posts_count": await statuses_store.count_by_account(pool, account.id),
        "remote_url": request.app[URLS].account_url(account) if not account.is_local else None,
    }
    other = viewer_id if viewer_id is not None and viewer_id != account.id else None  # a viewer who is not them
    rel = (await relationships_store.between(pool, other, [account.id])).get(account.id) if other else None
    context.update({
        "relationship": rel,
        "follow_state": rel.following if rel else None,
        "blocking": bool(rel and rel.blocking),
        "muting": bool(rel and rel.muting),
        "follows_you": bool(rel and rel.followed_by == "accepted"),
        "own_lists": await lists_store.owned(pool, other) if other else [],
        "lists_with": {row.id for row in await lists_store.containing(pool, other, account.id)} if other else set(),
        # The languages a follow may be narrowed to: those it posts in (as codes a follow takes), and any
        # chosen before.
        "follow_languages": sorted({*(code for code in await statuses_store.languages_of(pool, account.id)
                                      if following.LANGUAGE.match(code)), *(rel.languages or ())})
        if rel and rel.following == "accepted" else [],
    })
    first_page = page.max_id is None and page.min_id is None
    pinned = await marks_store.pinned(pool, account.id, viewer_id) if first_page else []
    if pinned:  # their counts and the viewer's buttons, beside those of the page's posts
        extra = await page_context(request, pinned)
        context["summaries"].update(extra["summaries"])
        context["media"].update(extra["media"])
    context["pinned"] = pinned
    context["moved_to"] = await account_for_uri(request, account.moved_to_uri) if account.moved_to_uri else None
    return render(request, "profile.html", context)



@routes.post(f"/@{HANDLE}/follow")
async def follow(request: web.Request) -> web.Response:
    user = require_user(request)
    target = await account_for_handle(request, request.match_info["handle"], resolve=True)
    await following.follow(request.app[POOL], request.app[URLS], user.account, target)
    raise await back(request, f"/@{target.handle()}")


@routes.post(f"/@{HANDLE}/unfollow")
async def unfollow(request: web.Request) -> web.Response:
    user = require_user(request)
    target = await account_for_handle(request, request.match_info["handle"], resolve=False)
    await following.unfollow(request.app[POOL], request.app[URLS], user.account, target)
    raise await back(request, f"/@{target.handle()}")


async def _block(request: web.Request, *, undo: bool) -> web.Response:
    user = require_user(request)
    target = await account_for_handle(request, request.match_info["handle"], resolve=False)
    await blocking.block(request.app[POOL], request.app[URLS], user.account, target, undo=undo)
    raise await back(request, f"/@{target.handle()}")


@routes.post(f"/@{HANDLE}/block")
async def block(request: web.Request) -> web.Response:
    return await _block(request, undo=False)


@routes.post(f"/@{HANDLE}/unblock")
async def unblock(request: web.Request) -> web.Response:
    return await _block(request, undo=True)


@routes.post(f"/@{HANDLE}/follow_options")
async def follow_options(request: web.Request) -> web.Response:
    """Hide or show a followed account's boosts; be notified when it posts, or not; only its posts in
    the ticked languages reach the home feed (none ticked: all)."""
    user = require_user(request)
    target = await account_for_handle(request, request.match_info["handle"], resolve=False)
    form = await request.post()
    choice: dict[str, Any] = {name: form[name] == "on" for name in ("show_reblogs", "notify")
                              if form.get(name) in ("on", "off")}
    if field(form, "languages_form", max_len=10) == "on":
        choice["languages"] = [code for code in form.getall("languages", []) if isinstance(code, str)]
    await following.set_options(request.app[POOL], user.account, target, **choice)  # Invalid: a 422 page
    raise await back(request, f"/@{target.handle()}")
