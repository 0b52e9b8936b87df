"""Direct messages as threads: each conversation with the people in it, its newest message, and
whether it is unread (the API's conversations, read the same way)."""

from __future__ import annotations

from aiohttp import web

from server.errors import NotFound
from server.keys import POOL
from server.store import conversations as conversations_store
from server.web.feeds import window
from server.web.forms import feed_page
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
PAGE = 20


@routes.get("/conversations")
async def index(request: web.Request) -> web.Response:
    user = require_user(request)
    pool = request.app[POOL]
    page = feed_page(request, PAGE)
    items, older, newer = window(await conversations_store.page_for(pool, user.id, page), page,
                                 lambda c: c.last_status_id)
    people = await conversations_store.participants(pool, items, user.id)
    last = await conversations_store.statuses(pool, [c.last_status_id for c in items], user.id)
    rows = [{"conversation": c, "people": people[c.id], "last": last.get(c.last_status_id)} for c in items]
    return render(request, "conversations.html", {"rows": rows, "next_max_id": older, "newer_min_id": newer})


@routes.get(r"/conversations/{conversation_id:\d{1,19}}")
async def open_conversation(request: web.Request) -> web.Response:
    """Read a conversation: it is marked read, and its newest message opens in its thread."""
    user = require_user(request)
    pool = request.app[POOL]
    found = await conversations_store.get(pool, user.id, int(request.match_info["conversation_id"]))
    if found is None:
        raise NotFound("You have no such conversation.")
    await conversations_store.mark_read(pool, user.id, found.id, found.last_status_id)
    last = (await conversations_store.statuses(pool, [found.last_status_id], user.id)).get(found.last_status_id)
    if last is None:
        raise NotFound("That conversation's messages are no longer visible to you.")
    raise web.HTTPSeeOther(f"/@{last.author.handle()}/{last.id}#status-{last.id}")
