"""The admins' federation page: each peer host's deliveries, its breaker and software, with "retry
now" and "give up"; the queues' backlog and their last hour."""

from __future__ import annotations

from aiohttp import web

from federation import queue
from server.domain import federation_health
from server.errors import AppError
from server.keys import POOL
from server.models import Role
from server.store import hosts as hosts_store
from server.web.admin import require_role
from server.web.forms import field
from server.web.render import render

routes = web.RouteTableDef()
PAGE = 50
DONE = {"retry_now": "retried", "give_up": "dropped"}  # what the page says after each action
QUEUE_NAMES = {"inbox_items": "Received activities", "deliveries": "Deliveries", "mail_outbox": "Mail",
               "import_rows": "Imports", "archives": "Archives", "push_deliveries": "Push notifications",
               "scheduled_statuses": "Scheduled posts", "card_fetches": "Link previews"}


@routes.get("/admin/federation")
async def federation_page(request: web.Request) -> web.Response:
    require_role(request, Role.ADMIN)
    sort = request.query.get("sort", "pending")
    if sort not in hosts_store.SORTS:
        raise AppError(400, f"sort must be one of {', '.join(hosts_store.SORTS)}.")
    try:
        page = max(int(request.query.get("page", "1")), 1)
    except ValueError:
        raise AppError(400, "page must be a number.") from None
    pool = request.app[POOL]
    hosts = await hosts_store.health(pool, sort, PAGE, (page - 1) * PAGE)
    backlog = await queue.backlog(pool)
    hour = {name: await queue.last_hour(pool, name) for name in ("deliveries", "inbox_items")}
    return render(request, "admin/federation.html", {
        "hosts": hosts, "sort": sort, "sorts": hosts_store.SORTS, "page": page,
        "more": page * PAGE < await hosts_store.count(pool),
        "backlog": [(QUEUE_NAMES[name], *backlog[name]) for name in queue.QUEUES],
        "hour": {name: (slices, max([n for pair in slices for n in pair] + [1])) for name, slices in hour.items()},
        "done": {word: request.query[word] for word in DONE.values() if request.query.get(word, "").isdigit()},
        "done_host": request.query.get("host", "")[:300],
    })


async def _host_action(request: web.Request, action) -> web.Response:
    user = require_role(request, Role.ADMIN)
    form = await request.post()
    host = field(form, "host", max_len=300).strip().lower()
    if not host:
        raise AppError(422, "Which host?")
    count = await action(request.app[POOL], user.id, host)
    sort = field(form, "sort", max_len=20)
    back = f"sort={sort}&" if sort in hosts_store.SORTS else ""
    raise web.HTTPSeeOther(f"/admin/federation?{back}{DONE[action.__name__]}={count}&host={host}#hosts")


@routes.post("/admin/federation/retry")
async def retry(request: web.Request) -> web.Response:
    return await _host_action(request, federation_health.retry_now)


@routes.post("/admin/federation/give-up")
async def give_up(request: web.Request) -> web.Response:
    return await _host_action(request, federation_health.give_up)
