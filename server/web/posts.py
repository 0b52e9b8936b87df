"""A post's page with its thread and reply form; deleting, favouriting and boosting."""

from __future__ import annotations

from aiohttp import web

from federation.negotiation import wants_as2
from federation.routes import status_document
from server.domain import polls, posting, reactions
from server.errors import NotFound
from server.keys import POOL, URLS, USER
from server.store import imports as imports_store
from server.store import statuses as statuses_store
from server.store import threads
from server.web.feeds import page_context
from server.web.forms import compose_context, field, safe_next
from server.web.lookup import HANDLE, account_for_handle
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()


def _status_id(request: web.Request) -> int:
    raw = request.match_info["status_id"]
    if len(raw) > 19:
        raise NotFound("There is no such post.")
    return int(raw)


@routes.get(rf"/@{HANDLE}/{{status_id:\d+}}")
async def status_page(request: web.Request) -> web.Response:
    account = await account_for_handle(request, request.match_info["handle"], resolve=False)
    status_id = _status_id(request)
    if account.is_local and (moved := await imports_store.moved_post(request.app[POOL], account.id, status_id)):
        raise web.HTTPMovedPermanently(request.app[URLS].status(account.username, moved))  # an archive's old link
    if wants_as2(request) and account.is_local:
        return await status_document(request, account, status_id)
    return await thread_page(request, status_id, account.id)


async def thread_page(request: web.Request, status_id: int, author_id: int | None = None, *,
                      error: str | None = None, error_field: str | None = None, form: dict | None = None,
                      status_code: int = 200) -> web.Response:
    """A post with its thread and the reply form (`form` and `error` when a reply came back refused)."""
    pool = request.app[POOL]
    viewer = request[USER]
    viewer_id = viewer.id if viewer else None
    status = await statuses_store.get_visible(pool, status_id, viewer_id)
    if status is None or (author_id is not None and status.author.id != author_id) or status.reblog_of_id is not None:
        raise NotFound("There is no such post, or it is not visible to you.")
    before = await threads.ancestors(pool, status.id, viewer_id)
    after = await threads.descendants(pool, status.id, viewer_id)
    context = await page_context(request, [*before, status, *after], context="thread")
    mention = f"@{status.author.handle()} " if viewer and viewer.id != status.author.id else ""
    context.update({
        "status": status, "ancestors": before, "descendants": after,
        **compose_context(request, form or {"content": mention, "spoiler_text": status.spoiler_text,
                                            "visibility": status.visibility}),
        "error": error, "error_field": error_field,
        "remote_url": None if status.is_local else
        request.app[URLS].status_url(status),
    })
    return render(request, "status.html", context, status=status_code)


@routes.post(r"/@{username:[A-Za-z0-9_]+}/{status_id:\d+}/delete")
async def delete_status(request: web.Request) -> web.Response:
    user = require_user(request)
    await posting.delete_post(request.app[POOL], request.app[URLS], user.account, _status_id(request))
    raise web.HTTPSeeOther(f"/@{user.account.username}")


async def _react(request: web.Request, action, *, undo: bool) -> web.Response:
    user = require_user(request)
    form = await request.post()
    await action(request.app[POOL], request.app[URLS], user.account, _status_id(request), undo=undo)
    raise web.HTTPSeeOther(safe_next(field(form, "next", max_len=2000)))


@routes.post(r"/statuses/{status_id:\d+}/favourite")
async def favourite(request: web.Request) -> web.Response:
    return await _react(request, reactions.favourite, undo=False)


@routes.post(r"/statuses/{status_id:\d+}/unfavourite")
async def unfavourite(request: web.Request) -> web.Response:
    return await _react(request, reactions.favourite, undo=True)


@routes.post(r"/statuses/{status_id:\d+}/boost")
async def boost(request: web.Request) -> web.Response:
    return await _react(request, reactions.boost, undo=False)


@routes.post(r"/statuses/{status_id:\d+}/unboost")
async def unboost(request: web.Request) -> web.Response:
    return await _react(request, reactions.boost, undo=True)


@routes.post(r"/statuses/{status_id:\d+}/vote")
async def vote(request: web.Request) -> web.Response:
    """A vote in a poll (ours, or another server's: the vote is sent there), then back to the post."""
    user = require_user(request)
    form = await request.post()
    choices = [int(c) for c in form.getall("choice", []) if isinstance(c, str) and c.isdigit() and len(c) <= 3]
    await polls.vote(request.app[POOL], request.app[URLS], user.account, _status_id(request), choices)
    raise web.HTTPSeeOther(safe_next(field(form, "next", max_len=2000)))
