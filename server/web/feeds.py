"""The home page (compose + home feed, or the front page for visitors) and the local timeline."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.domain import posting
from server.errors import Invalid
from server.keys import CONFIG, POOL, URLS, USER
from server.store import accounts as accounts_store
from server.store import statuses as statuses_store
from server.web.forms import field, max_id_param
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
PAGE_SIZE = 20


def page_context(statuses: list, limit: int = PAGE_SIZE) -> dict[str, Any]:
    """The statuses of one page and the cursor of the next (None on the last page)."""
    return {"statuses": statuses, "next_max_id": statuses[-1].id if len(statuses) == limit else None}


async def _home(request: web.Request, *, error: str | None = None, error_field: str | None = None,
                form: dict | None = None, status: int = 200) -> web.Response:
    pool = request.app[POOL]
    user = request[USER]
    max_id = max_id_param(request)
    if user is None:
        statuses = await statuses_store.local_timeline(pool, max_id=max_id, limit=PAGE_SIZE)
        return render(request, "front.html", {**page_context(statuses), "user_count": await accounts_store.count_local_users(pool)})
    statuses = await statuses_store.home_timeline(pool, user.id, max_id=max_id, limit=PAGE_SIZE)
    context = {
        **page_context(statuses),
        "max_chars": request.app[CONFIG].max_post_chars,
        "error": error,
        "error_field": error_field,
        "form": form or {"visibility": "public"},
    }
    return render(request, "home.html", context, status=status)


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    return await _home(request)


@routes.post("/")
async def compose(request: web.Request) -> web.Response:
    """The compose form on the home page posts here."""
    user = require_user(request)
    form = await request.post()
    post = posting.NewPost(
        text=field(form, "content", max_len=100_000),
        spoiler_text=field(form, "spoiler_text", max_len=10_000),
        visibility=field(form, "visibility", max_len=20) or "public",
    )
    cfg = request.app[CONFIG]
    try:
        await posting.create_post(request.app[POOL], request.app[URLS], user.account, post, cfg.max_post_chars)
    except Invalid as exc:
        kept = {"content": post.text, "spoiler_text": post.spoiler_text, "visibility": post.visibility}
        return await _home(request, error=exc.message, error_field=exc.field, form=kept, status=exc.status)
    raise web.HTTPSeeOther("/")


@routes.get("/local")
async def local(request: web.Request) -> web.Response:
    statuses = await statuses_store.local_timeline(request.app[POOL], max_id=max_id_param(request), limit=PAGE_SIZE)
    return render(request, "local.html", page_context(statuses))


@routes.get(r"/tags/{tag:\w{1,100}}")
async def tag(request: web.Request) -> web.Response:
    name = request.match_info["tag"]
    statuses = await statuses_store.tag_timeline(request.app[POOL], name, max_id=max_id_param(request), limit=PAGE_SIZE)
    return render(request, "tag.html", {**page_context(statuses), "tag": name})
