"""Pages listing what a member keeps: bookmarks, favourites, follow requests, muted and blocked
accounts; and anyone's followers and following (unless the instance hides those lists)."""

from __future__ import annotations

from aiohttp import web

from server.domain import marks, profiles
from server.keys import CONFIG, POOL, USER
from server.models import Account
from server.store import accounts as accounts_store
from server.store import follows as follows_store
from server.store import marks as marks_store
from server.store.paging import Paged
from server.web.feeds import PAGE_SIZE, page_context, window
from server.web.forms import feed_page, field, safe_next
from server.web.lookup import HANDLE, account_for_handle
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
ACCOUNTS_PAGE = 40


async def _marked(request: web.Request, table: str, title: str, empty: str) -> web.Response:
    user = require_user(request)
    page = feed_page(request, PAGE_SIZE)
    rows, older, newer = window(await marks_store.marked(request.app[POOL], table, user.id, page), page,
                                lambda r: r.cursor)
    context = await page_context(request, [r.item for r in rows], None, context="home")
    context.update({"next_max_id": older, "newer_min_id": newer, "title": title, "empty": empty})
    return render(request, "marked.html", context)


@routes.get("/bookmarks")
async def bookmarks(request: web.Request) -> web.Response:
    return await _marked(request, "bookmarks", "Bookmarks", "Bookmark a post to keep it here, privately.")


@routes.get("/favourites")
async def favourites(request: web.Request) -> web.Response:
    return await _marked(request, "favourites", "Favourites", "Posts you favourite are listed here.")


async def _bookmark(request: web.Request, *, undo: bool) -> web.Response:
    user = require_user(request)
    form = await request.post()
    await marks.bookmark(request.app[POOL], user.account, int(request.match_info["status_id"]), undo=undo)
    raise web.HTTPSeeOther(safe_next(field(form, "next", max_len=2000)))


@routes.post(r"/statuses/{status_id:\d{1,19}}/bookmark")
async def bookmark(request: web.Request) -> web.Response:
    return await _bookmark(request, undo=False)


@routes.post(r"/statuses/{status_id:\d{1,19}}/unbookmark")
async def unbookmark(request: web.Request) -> web.Response:
    return await _bookmark(request, undo=True)


def _accounts_page(request: web.Request, rows: list[Paged[Account]], page, template_context: dict) -> web.Response:
    items, older, newer = window(rows, page, lambda r: r.cursor)
    return render(request, "accounts.html", {"accounts": [r.item for r in items], "next_max_id": older,
                                             "newer_min_id": newer, **template_context})


@routes.get("/follow_requests")
async def follow_requests(request: web.Request) -> web.Response:
    user = require_user(request)
    page = feed_page(request, ACCOUNTS_PAGE)
    rows = await follows_store.follow_requests(request.app[POOL], user.id, page)
    return _accounts_page(request, rows, page, {
        "title": "Follow requests", "kind": "requests",
        "hint": "Accounts asking to follow you. Accepting lets them see your followers-only posts.",
        "empty": "No one is waiting for an answer."})


# Muted and blocked accounts: (title, what it means, what an empty list says).
SILENCED = {
    "mutes": ("Muted accounts", "Their posts stay out of your feeds; they are not told, and can still follow you.",
              "You have not muted anyone."),
    "blocks": ("Blocked accounts",
               "You see nothing of theirs and they see nothing of yours; follows between you ended.",
               "You have not blocked anyone."),
}


async def _silenced(request: web.Request, table: str) -> web.Response:
    user = require_user(request)
    page = feed_page(request, ACCOUNTS_PAGE)
    rows = await accounts_store.blocked_or_muted(request.app[POOL], table, user.id, page)
    title, hint, empty = SILENCED[table]
    return _accounts_page(request, rows, page, {"title": title, "kind": table, "hint": hint, "empty": empty})


@routes.get("/mutes")
async def mutes(request: web.Request) -> web.Response:
    return await _silenced(request, "mutes")


@routes.get("/blocks")
async def blocks(request: web.Request) -> web.Response:
    return await _silenced(request, "blocks")


async def _relations(request: web.Request, *, followers: bool) -> web.Response:
    account = await account_for_handle(request, request.match_info["handle"], resolve=False)
    viewer = request[USER]
    name = "Followers" if followers else "Following"
    context = {"title": f"{name} of {account.name}", "kind": "relations", "account": account,
               "hint": "Only what reached this server is listed for accounts on other servers." if not account.is_local
               else "", "empty": "No one yet." if followers else "Not following anyone yet."}
    if profiles.follow_lists_hidden(account, viewer.id if viewer else None,
                                    instance_hides=request.app[CONFIG].hide_follow_lists):
        return render(request, "accounts.html", {**context, "accounts": [], "next_max_id": None,
                                                 "newer_min_id": None, "empty": "This list is private."})
    page = feed_page(request, ACCOUNTS_PAGE)
    rows = await follows_store.follow_list(request.app[POOL], account.id, page, followers=followers)
    return _accounts_page(request, rows, page, context)


@routes.get(rf"/@{HANDLE}/followers")
async def followers(request: web.Request) -> web.Response:
    return await _relations(request, followers=True)


@routes.get(rf"/@{HANDLE}/following")
async def following(request: web.Request) -> web.Response:
    return await _relations(request, followers=False)
