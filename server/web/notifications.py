"""The notifications page, with follow requests to accept or reject; and the notification policy
(Mastodon 4.3's "filter notifications from…") with the filtered notifications, one request per
sender, to accept or dismiss."""

from __future__ import annotations

from aiohttp import web

from server.domain import filtering, following, notification_policy
from server.errors import AppError
from server.keys import POOL, URLS
from server.store import accounts as accounts_store
from server.store import notifications as notifications_store
from server.store import statuses as statuses_store
from server.web.feeds import window
from server.web.forms import back, feed_page, field
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
PAGE = 40


# The filter tabs: what each shows (staff see a tab of what needs them).
KINDS = {"mentions": ["mention", "reply"], "favourites": ["favourite"], "boosts": ["reblog"],
         "follows": ["follow", "follow_request"], "posts": ["status", "update", "poll"],
         "staff": ["admin.report", "admin.sign_up", "admin.appeal"]}
# The policy's questions, in Mastodon's words, and what each answer does.
POLICY = {"for_not_following": "People you don't follow", "for_not_followers": "People not following you",
          "for_new_accounts": "New accounts (created in the last 30 days)",
          "for_private_mentions": "Unsolicited private mentions",
          "for_limited_accounts": "Accounts limited by this server's moderators"}
ANSWERS = {"accept": "Show", "filter": "Filter", "drop": "Ignore"}


@routes.get("/notifications")
async def notifications(request: web.Request) -> web.Response:
    """Newest first, one kind or all; what was unread stays marked on this visit, then all is read."""
    user = require_user(request)
    pool = request.app[POOL]
    shown = request.query.get("types", "")
    if shown and shown not in KINDS:
        raise AppError(400, f"types must be one of {', '.join(KINDS)}.")
    page = feed_page(request, PAGE)
    items, older, newer = window(await notifications_store.page(pool, user.id, page, KINDS.get(shown)), page,
                                 lambda item: item["id"])
    for item in items:
        item["status"] = (
            await statuses_store.get_visible(pool, item["status_id"], user.id) if item["status_id"] else None
        )
    await notifications_store.mark_all_read(pool, user.id, KINDS.get(shown))
    # The member's 'notifications' filters, as the API applies them: a hidden post hides its notification.
    statuses = [item["status"] for item in items if item["status"] is not None]
    kept, warned = await filtering.filter_for_pages(pool, user.id, "notifications", statuses)
    kept_ids = {status.id for status in kept}
    items = [item for item in items if item["status"] is None or item["status"].id in kept_ids]
    waiting = await notifications_store.requests(pool, user.id)
    return render(request, "notifications.html", {"items": items, "older": older, "newer": newer,
                                                  "filtered": warned, "shown": shown, "waiting": waiting})


@routes.get("/notifications/requests")
async def requests_page(request: web.Request) -> web.Response:
    """The policy's form, and the filtered notifications by sender with the newest post of each."""
    user = require_user(request)
    pool = request.app[POOL]
    waiting = await notifications_store.requests(pool, user.id)
    for item in waiting:
        item["status"] = (
            await statuses_store.get_visible(pool, item["status_id"], user.id) if item["status_id"] else None
        )
    return render(request, "notification_requests.html", {
        "waiting": waiting, "policy": await notifications_store.policy(pool, user.id),
        "questions": POLICY, "answers": ANSWERS})


@routes.post("/notifications/policy")
async def set_policy(request: web.Request) -> web.Response:
    user = require_user(request)
    form = await request.post()
    values = {key: value for key in POLICY if (value := field(form, key, max_len=20))}
    await notification_policy.change(request.app[POOL], user.id, values)  # Invalid: a 422 page
    raise web.HTTPSeeOther("/notifications/requests")


@routes.post(r"/notifications/requests/{account_id:\d{1,19}}/{action:accept|dismiss}")
async def answer_request(request: web.Request) -> web.Response:
    """Accept (the sender's notifications join the others, and pass from now on) or dismiss them."""
    user = require_user(request)
    await notification_policy.answer(request.app[POOL], user.id, int(request.match_info["account_id"]),
                                     accept=request.match_info["action"] == "accept")  # NotFound: a 404 page
    raise web.HTTPSeeOther("/notifications/requests")


async def _answer(request: web.Request, *, accept: bool) -> web.Response:
    user = require_user(request)
    raw = request.match_info["account_id"]
    follower = await accounts_store.get_by_id(request.app[POOL], int(raw)) if len(raw) <= 19 else None
    if follower is None:
        raise web.HTTPNotFound()
    await following.answer_request(request.app[POOL], request.app[URLS], user.account, follower, accept=accept)
    raise await back(request, "/notifications")


@routes.post(r"/follow_requests/{account_id:\d+}/accept")
async def accept(request: web.Request) -> web.Response:
    return await _answer(request, accept=True)


@routes.post(r"/follow_requests/{account_id:\d+}/reject")
async def reject(request: web.Request) -> web.Response:
    return await _answer(request, accept=False)
