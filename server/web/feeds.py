"""The home page (compose + home feed with the read marker, or the front page for visitors), catching
up person by person, and the local, federated and hashtag timelines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from server.domain.filtering import filter_for_pages
from server.errors import AppError
from server.keys import NAV_COUNTS, POOL, USER
from server.models import Status
from server.store import accounts as accounts_store
from server.store import announcements as announcements_store
from server.store import cards as cards_store
from server.store import home_feed, interactions
from server.store import markers as markers_store
from server.store import media as media_store
from server.store import statuses as statuses_store
from server.store.paging import Page
from server.web.forms import compose_context, feed_page, field, max_id_param, safe_next
from server.web.lookup import HANDLE, account_for_handle
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
PAGE_SIZE = 20


T = TypeVar("T")


def window(items: list[T], page: Page, cursor: Callable[[T], int]) -> tuple[list[T], int | None, int | None]:
    """The items a feed_page shows (it asked for one more), and the cursors of the older and newer
    pages (None where there is none). Items are newest first; `cursor` gives an item's paging id."""
    beyond = len(items) >= page.limit
    if page.min_id is not None:  # the page just newer than min_id: older ones exist, newer ones if beyond
        items = items[1:] if beyond else items
        return items, cursor(items[-1]) if items else None, cursor(items[0]) if beyond and items else None
    items = items[:-1] if beyond else items
    return (items, cursor(items[-1]) if beyond and items else None,
            cursor(items[0]) if page.max_id is not None and items else None)


async def page_context(request: web.Request, statuses: list[Status], page: Page | None = None,
                       context: str | None = None) -> dict[str, Any]:
    """One page of posts: the posts (the viewer's filters for `context` applied), the cursors of the
    older and newer pages (None where there is none), and counts and the viewer's favourites/boosts
    for the buttons. `page` is None for a list that is not paged (a thread)."""
    user = request[USER]
    statuses, older, newer = window(statuses, page, lambda s: s.id) if page is not None else (statuses, None, None)
    warned: dict[int, list[str]] = {}
    if context is not None and user is not None:
        statuses, warned = await filter_for_pages(request.app[POOL], user.id, context, statuses)
    shown = [s.reblog or s for s in statuses]
    ids = [s.id for s in shown]
    summaries = await interactions.summaries(request.app[POOL], ids, user.id if user else None)
    return {
        "statuses": statuses,
        "next_max_id": older,
        "newer_min_id": newer,
        "filtered": warned,
        "summaries": summaries,
        "media": await media_store.media_for(request.app[POOL], ids),
        "cards": await cards_store.for_statuses(request.app[POOL], ids),
    }


async def home_page(request: web.Request, *, error: str | None = None, error_field: str | None = None,
                form: dict | None = None, status: int = 200) -> web.Response:
    pool = request.app[POOL]
    user = request[USER]
    page = feed_page(request, PAGE_SIZE)
    if user is None:
        statuses = await statuses_store.public_timeline(pool, page)
        user_count = await accounts_store.count_local_users(pool)
        return render(request, "front.html", {**await page_context(request, statuses, page),
                                              "user_count": user_count})
    statuses = await home_feed.timeline(pool, user.id, page)
    marker = await markers_store.last_read(pool, user.id, "home")
    if marker is None and statuses:  # a first visit: from now on, what arrives is new
        marker = statuses[0].id
        await markers_store.advance(pool, user.id, "home", marker)
    context = {
        **await page_context(request, statuses, page, context="home"),
        "read_marker": marker,
        "unread": request[NAV_COUNTS]["home"],  # counted from the same marker for the navigation
        "announcements": await announcements_store.shown(pool, user.id),
        **compose_context(request, form),
        "error": error,
        "error_field": error_field,
    }
    return render(request, "home.html", context, status=status)


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    return await home_page(request)


@routes.post("/markers/home")
async def mark_home_read(request: web.Request) -> web.Response:
    """"Mark as read": the home marker moves forward to the given post (the API's `home` marker)."""
    user = require_user(request)
    form = await request.post()
    last = field(form, "last_read_id", max_len=19)
    if not last.isdigit():
        raise AppError(422, "last_read_id must be a post id.")
    await markers_store.advance(request.app[POOL], user.id, "home", int(last))
    raise web.HTTPSeeOther(safe_next(field(form, "next", max_len=2000)))


@routes.get("/catch-up")
async def catch_up(request: web.Request) -> web.Response:
    """Who posted since the member last read, person by person, with how much."""
    user = require_user(request)
    pool = request.app[POOL]
    marker = await markers_store.last_read(pool, user.id, "home") or 0
    authors = await home_feed.unread_by_author(pool, user.id, marker)
    newest = await home_feed.timeline(pool, user.id, Page(limit=1))
    return render(request, "catch_up.html", {"authors": authors, "read_marker": marker,
                                             "newest_id": newest[0].id if newest else None})


@routes.get(rf"/catch-up/@{HANDLE}")
async def catch_up_with(request: web.Request) -> web.Response:
    """One account's posts since the marker, oldest first: read one person at a time."""
    user = require_user(request)
    pool = request.app[POOL]
    account = await account_for_handle(request, request.match_info["handle"], resolve=False)
    marker = await markers_store.last_read(pool, user.id, "home") or 0
    after = max_id_param(request, "min_id") or marker
    statuses = await home_feed.timeline(pool, user.id, Page(min_id=after, limit=PAGE_SIZE), author_id=account.id)
    statuses.reverse()  # oldest first, as they were written
    context = await page_context(request, statuses, None, context="home")
    context.update({"account": account, "more_min_id": statuses[-1].id if len(statuses) == PAGE_SIZE else None})
    return render(request, "catch_up_account.html", context)


@routes.get("/local")
async def local(request: web.Request) -> web.Response:
    statuses = await statuses_store.public_timeline(request.app[POOL], page := feed_page(request, PAGE_SIZE))
    return render(request, "local.html", await page_context(request, statuses, page, context="public"))


@routes.get("/public")
async def federated(request: web.Request) -> web.Response:
    """Public posts from other servers that reached this one, newest first."""
    page = feed_page(request, PAGE_SIZE)
    user = request[USER]
    statuses = await statuses_store.public_timeline(request.app[POOL], page, local=False, remote=True,
                                                    viewer_id=user.id if user else None)
    return render(request, "public.html", await page_context(request, statuses, page, context="public"))


@routes.get(r"/tags/{tag:\w{1,100}}")
async def tag(request: web.Request) -> web.Response:
    name = request.match_info["tag"]
    page = feed_page(request, PAGE_SIZE)
    statuses = await statuses_store.tag_timeline(request.app[POOL], name, page)
    return render(request, "tag.html", {**await page_context(request, statuses, page, context="public"), "tag": name})
