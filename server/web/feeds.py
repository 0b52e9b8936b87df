"""The home page (compose + home feed, or the front page for visitors) and the local timeline."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.domain.filtering import filter_for_pages
from server.keys import POOL, SITE, USER
from server.models import Status
from server.store import accounts as accounts_store
from server.store import interactions
from server.store import media as media_store
from server.store import statuses as statuses_store
from server.store.paging import Page
from server.web.forms import max_id_param
from server.web.render import render

routes = web.RouteTableDef()
PAGE_SIZE = 20


async def page_context(request: web.Request, statuses: list[Status], limit: int = PAGE_SIZE,
                       context: str | None = None) -> dict[str, Any]:
    """One page of posts: the posts (the viewer's filters for `context` applied), the cursor of the
    next page (None on the last), and counts and the viewer's favourites/boosts for the buttons."""
    user = request[USER]
    cursor = statuses[-1].id if limit and len(statuses) == limit else None
    warned: dict[int, list[str]] = {}
    if context is not None and user is not None:
        statuses, warned = await filter_for_pages(request.app[POOL], user.id, context, statuses)
    shown = [s.reblog or s for s in statuses]
    ids = [s.id for s in shown]
    summaries = await interactions.summaries(request.app[POOL], ids, user.id if user else None)
    return {
        "statuses": statuses,
        "next_max_id": cursor,
        "filtered": warned,
        "summaries": summaries,
        "media": await media_store.media_for(request.app[POOL], ids),
    }


async def home_page(request: web.Request, *, error: str | None = None, error_field: str | None = None,
                form: dict | None = None, status: int = 200) -> web.Response:
    pool = request.app[POOL]
    user = request[USER]
    max_id = max_id_param(request)
    if user is None:
        statuses = await statuses_store.public_timeline(pool, Page(max_id=max_id, limit=PAGE_SIZE))
        user_count = await accounts_store.count_local_users(pool)
        return render(request, "front.html", {**await page_context(request, statuses), "user_count": user_count})
    statuses = await statuses_store.home_timeline(pool, user.id, Page(max_id=max_id, limit=PAGE_SIZE))
    context = {
        **await page_context(request, statuses, context="home"),
        "max_chars": request[SITE].max_post_chars,
        "error": error,
        "error_field": error_field,
        "form": form or {"visibility": "public"},
    }
    return render(request, "home.html", context, status=status)


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    return await home_page(request)


@routes.get("/local")
async def local(request: web.Request) -> web.Response:
    page = Page(max_id=max_id_param(request), limit=PAGE_SIZE)
    statuses = await statuses_store.public_timeline(request.app[POOL], page)
    return render(request, "local.html", await page_context(request, statuses, context="public"))


@routes.get(r"/tags/{tag:\w{1,100}}")
async def tag(request: web.Request) -> web.Response:
    name = request.match_info["tag"]
    page = Page(max_id=max_id_param(request), limit=PAGE_SIZE)
    statuses = await statuses_store.tag_timeline(request.app[POOL], name, page)
    return render(request, "tag.html", {**await page_context(request, statuses, context="public"), "tag": name})
