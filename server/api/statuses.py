"""/api/v1/statuses: posting (with Idempotency-Key), reading, editing, deleting and reacting."""

from __future__ import annotations

from aiohttp import web

from federation.fetch import mention_resolver
from federation.runtime import FEDERATION
from server.api import entities, params, scheduled
from server.api.auth import TOKEN, api, current_user, maybe_user
from server.api.common import NOT_FOUND, path_id, status_or_404
from server.api.filters import apply_filters
from server.domain import marks, posting, reactions
from server.errors import AppError, NotFound
from server.keys import POOL, SETTINGS, URLS
from server.store import accounts as accounts_store
from server.store import statuses as statuses_store
from server.store import threads

routes = web.RouteTableDef()


def _new_post(p: params.Params, request: web.Request) -> posting.NewPost:
    poll = None
    poll_params = p.nested("poll")
    if poll_params is not None:
        poll = posting.NewPoll(
            options=poll_params.list("options", max_items=posting.MAX_POLL_OPTIONS + 10),
            expires_in=poll_params.int("expires_in", 86400) or 0,
            multiple=poll_params.bool("multiple"),
        )
    reply = p.str("in_reply_to_id", max_len=19)
    if reply and not reply.isdigit():
        raise AppError(422, "Validation failed: in_reply_to_id is not a status id")
    media = p.list("media_ids", max_items=posting.MAX_MEDIA + 10)
    if any(not m.isdigit() or len(m) > 19 for m in media):
        raise AppError(422, "Validation failed: media_ids must be attachment ids")
    token = request.get(TOKEN)
    chosen = current_user(request).preferences  # what the member set as defaults, as Mastodon applies them
    return posting.NewPost(
        text=p.str("status", "", max_len=200_000) or "",
        spoiler_text=p.str("spoiler_text", "", max_len=20_000) or "",
        visibility=p.str("visibility", chosen.visibility, max_len=20) or chosen.visibility,
        in_reply_to_id=int(reply) if reply else None,
        sensitive=p.bool("sensitive", chosen.sensitive),
        language=p.str("language", max_len=20) or chosen.language,
        media_ids=[int(m) for m in media],
        poll=poll,
        application_id=token.app_id if token else None,
    )


async def _render(request: web.Request, status_id: int) -> web.Response:
    user = maybe_user(request)
    viewer_id = user.id if user else None
    status = await status_or_404(request, status_id, viewer_id)
    return web.json_response(await entities.status_to_api(request.app[POOL], request.app[URLS], status, viewer_id))


@routes.post("/api/v1/statuses")
@api("write:statuses")
async def create(request: web.Request) -> web.Response:
    user = current_user(request)
    p = await params.read(request)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        raise AppError(422, "Validation failed: Idempotency-Key must be 1 to 200 characters")
    max_chars = (await request.app[SETTINGS].current()).max_post_chars
    if when := p.str("scheduled_at", max_len=100):
        return await scheduled.schedule(request, _new_post(p, request), when, max_chars)
    status_id = await posting.create_post(
        request.app[POOL], request.app[URLS], user.account, _new_post(p, request), max_chars,
        mention_resolver(request.app[FEDERATION]), idempotency_key=key,
    )
    return await _render(request, status_id)


@routes.get("/api/v1/statuses")
@api(user=False)
async def show_many(request: web.Request) -> web.Response:
    """Several posts at once (`id[]`, up to 20), those the viewer may see, in the order asked (Mastodon 4.3)."""
    user = maybe_user(request)
    viewer_id = user.id if user else None
    wanted = params.Params(request.query).list("id", max_items=20)
    if any(not i.isdigit() or len(i) > 19 for i in wanted):
        raise AppError(422, "Validation failed: id must be status ids")
    found = [s for s in [await statuses_store.get_visible(request.app[POOL], int(i), viewer_id)
                         for i in dict.fromkeys(wanted)] if s is not None]
    found = await statuses_store.with_reblogs(request.app[POOL], found, viewer_id)
    return web.json_response(await entities.statuses_to_api(request.app[POOL], request.app[URLS], found, viewer_id))


@routes.get(r"/api/v1/statuses/{id:\d+}")
@api(user=False)
async def show(request: web.Request) -> web.Response:
    return await _render(request, path_id(request))


@routes.put(r"/api/v1/statuses/{id:\d+}")
@api("write:statuses")
async def edit(request: web.Request) -> web.Response:
    user = current_user(request)
    p = await params.read(request)
    try:
        await posting.edit_post(request.app[POOL], request.app[URLS], user.account, path_id(request),
                                _new_post(p, request), (await request.app[SETTINGS].current()).max_post_chars,
                                mention_resolver(request.app[FEDERATION]))
    except NotFound:
        raise AppError(404, NOT_FOUND) from None
    return await _render(request, path_id(request))


@routes.delete(r"/api/v1/statuses/{id:\d+}")
@api("write:statuses")
async def delete(request: web.Request) -> web.Response:
    """Answers with the deleted post and its source text, so apps can offer 'delete and redraft'."""
    user = current_user(request)
    status = await status_or_404(request, path_id(request), user.id)
    if status.author.id != user.id:
        raise AppError(404, NOT_FOUND)
    pool, urls = request.app[POOL], request.app[URLS]
    body = await entities.status_to_api(pool, urls, status, user.id)
    body["text"] = status.source_text
    await posting.delete_post(pool, urls, user.account, status.id)
    return web.json_response(body)


@routes.get(r"/api/v1/statuses/{id:\d+}/source")
@api("read:statuses")
async def source(request: web.Request) -> web.Response:
    user = current_user(request)
    status = await status_or_404(request, path_id(request), user.id)
    if status.author.id != user.id:
        raise AppError(404, NOT_FOUND)
    return web.json_response({"id": str(status.id), "text": status.source_text, "spoiler_text": status.spoiler_text})


@routes.get(r"/api/v1/statuses/{id:\d+}/history")
@api(user=False)
async def history(request: web.Request) -> web.Response:
    user = maybe_user(request)
    status = await status_or_404(request, path_id(request), user.id if user else None)
    pool, urls = request.app[POOL], request.app[URLS]
    author = (await entities.accounts_to_api(pool, urls, [status.author]))[status.author.id]
    current = await entities.status_to_api(pool, urls, status, user.id if user else None)
    versions = [
        {"content": content, "spoiler_text": spoiler, "sensitive": status.sensitive, "created_at": entities.iso(when),
         "account": author, "media_attachments": [], "emojis": []}
        for content, spoiler, when in await statuses_store.edits(pool, status.id)
    ]
    kept = ("content", "spoiler_text", "sensitive", "account", "media_attachments", "emojis")
    versions.append({k: current[k] for k in kept} | {"created_at": current["edited_at"] or current["created_at"]})
    return web.json_response(versions)


@routes.get(r"/api/v1/statuses/{id:\d+}/context")
@api(user=False)
async def context(request: web.Request) -> web.Response:
    user = maybe_user(request)
    viewer_id = user.id if user else None
    status = await status_or_404(request, path_id(request), viewer_id)
    pool, urls = request.app[POOL], request.app[URLS]
    before = await threads.ancestors(pool, status.id, viewer_id)
    after = await threads.descendants(pool, status.id, viewer_id)
    return web.json_response({
        "ancestors": await apply_filters(pool, viewer_id, "thread",
                                         await entities.statuses_to_api(pool, urls, before, viewer_id)),
        "descendants": await apply_filters(pool, viewer_id, "thread",
                                           await entities.statuses_to_api(pool, urls, after, viewer_id)),
    })


async def _react(request: web.Request, action, *, undo: bool) -> web.Response:
    user = current_user(request)
    status_id = path_id(request)
    try:
        await action(request.app[POOL], request.app[URLS], user.account, status_id, undo=undo)
    except NotFound:
        raise AppError(404, NOT_FOUND) from None
    return await _render(request, status_id)


@routes.post(r"/api/v1/statuses/{id:\d+}/favourite")
@api("write:favourites")
async def favourite(request: web.Request) -> web.Response:
    return await _react(request, reactions.favourite, undo=False)


@routes.post(r"/api/v1/statuses/{id:\d+}/unfavourite")
@api("write:favourites")
async def unfavourite(request: web.Request) -> web.Response:
    return await _react(request, reactions.favourite, undo=True)


@routes.post(r"/api/v1/statuses/{id:\d+}/reblog")
@api("write:statuses")
async def reblog(request: web.Request) -> web.Response:
    """Answers with the boost (a status whose `reblog` is the boosted post), as Mastodon does."""
    user = current_user(request)
    status_id = path_id(request)
    try:
        await reactions.boost(request.app[POOL], request.app[URLS], user.account, status_id)
    except NotFound as exc:
        raise AppError(404, exc.message) from None
    boost = await statuses_store.own_reblog(request.app[POOL], user.id, status_id)
    return await _render(request, boost.id if boost else status_id)


@routes.post(r"/api/v1/statuses/{id:\d+}/unreblog")
@api("write:statuses")
async def unreblog(request: web.Request) -> web.Response:
    return await _react(request, reactions.boost, undo=True)


async def _mark(request: web.Request, mark, *, undo: bool) -> web.Response:
    try:
        await mark(request.app[POOL], current_user(request).account, path_id(request), undo=undo)
    except NotFound:
        raise AppError(404, NOT_FOUND) from None
    return await _render(request, path_id(request))


@routes.post(r"/api/v1/statuses/{id:\d+}/bookmark")
@api("write:bookmarks")
async def bookmark(request: web.Request) -> web.Response:
    return await _mark(request, marks.bookmark, undo=False)


@routes.post(r"/api/v1/statuses/{id:\d+}/unbookmark")
@api("write:bookmarks")
async def unbookmark(request: web.Request) -> web.Response:
    return await _mark(request, marks.bookmark, undo=True)


@routes.post(r"/api/v1/statuses/{id:\d+}/mute")
@api("write:mutes")
async def mute_thread(request: web.Request) -> web.Response:
    return await _mark(request, marks.mute_thread, undo=False)


@routes.post(r"/api/v1/statuses/{id:\d+}/unmute")
@api("write:mutes")
async def unmute_thread(request: web.Request) -> web.Response:
    return await _mark(request, marks.mute_thread, undo=True)


@routes.post(r"/api/v1/statuses/{id:\d+}/pin")
@api("write:accounts")
async def pin(request: web.Request) -> web.Response:
    return await _mark(request, marks.pin, undo=False)


@routes.post(r"/api/v1/statuses/{id:\d+}/unpin")
@api("write:accounts")
async def unpin(request: web.Request) -> web.Response:
    return await _mark(request, marks.pin, undo=True)


async def _who(request: web.Request, *, boosted: bool) -> web.Response:
    user = maybe_user(request)
    status = await status_or_404(request, path_id(request), user.id if user else None)
    pool, urls = request.app[POOL], request.app[URLS]
    ids = await statuses_store.reactors(pool, status.id, boosts=boosted, limit=80)
    found = await accounts_store.accounts_by_ids(pool, ids)
    rendered = await entities.accounts_to_api(pool, urls, [found[i] for i in ids if i in found])
    return web.json_response([rendered[i] for i in ids if i in rendered])


@routes.get(r"/api/v1/statuses/{id:\d+}/favourited_by")
@api(user=False)
async def favourited_by(request: web.Request) -> web.Response:
    return await _who(request, boosted=False)


@routes.get(r"/api/v1/statuses/{id:\d+}/reblogged_by")
@api(user=False)
async def reblogged_by(request: web.Request) -> web.Response:
    return await _who(request, boosted=True)
