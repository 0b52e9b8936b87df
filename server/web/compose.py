"""Writing on the web: the compose form (home, /compose, a reply under a post) with images or a
video, alt text, a poll, a content warning, sensitive media and a language; editing a post (its
history kept) and delete-and-redraft. Every rule is posting's, shared with the API."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.fetch import mention_resolver
from federation.runtime import FEDERATION
from server.domain import posting
from server.errors import AppError, Invalid, NotFound
from server.keys import CONFIG, POOL, SITE, URLS, USER
from server.media import uploads
from server.media.storage import storage_for
from server.models import User
from server.store import media as media_store
from server.store import statuses as statuses_store
from server.web.feeds import home_page
from server.web.forms import compose_context, field, safe_next
from server.web.posts import thread_page
from server.web.render import render
from server.web.sessions import require_user

routes = web.RouteTableDef()
def _typed(form, kept_media: list[dict[str, Any]]) -> dict[str, Any]:
    """The form's values as typed, to show again after a refusal (uploads already stored are kept)."""
    return {
        "content": field(form, "content", max_len=100_000), "spoiler_text": field(form, "spoiler_text"),
        "visibility": field(form, "visibility", max_len=20) or "public",
        "language": field(form, "language", max_len=20),
        "sensitive": field(form, "sensitive", max_len=10) == "on", "media": kept_media,
        "poll_options": [field(form, f"poll_option_{i}", max_len=1000) for i in range(posting.MAX_POLL_OPTIONS)],
        "poll_expires_in": field(form, "poll_expires_in", max_len=10),
        "poll_multiple": field(form, "poll_multiple", max_len=10) == "on",
    }


def _poll(form) -> posting.NewPoll | None:
    options = [o for i in range(10) if (o := field(form, f"poll_option_{i}", max_len=1000).strip())]
    if not options:
        return None
    expires = field(form, "poll_expires_in", max_len=10)
    return posting.NewPoll(options, int(expires) if expires.isdigit() else 86400,
                           field(form, "poll_multiple", max_len=10) == "on")


async def _media(request: web.Request, user: User, form) -> list[dict[str, Any]]:
    """The uploads of this post: those kept from a refused attempt, then the files chosen now, each
    with its alt text, stored all or none (4 images, or one video or audio file)."""
    pool, storage = request.app[POOL], storage_for(request.app[CONFIG])
    kept = []
    for raw in form.getall("media_id", []):
        row = await media_store.get_unattached(pool, int(raw), user.id) if str(raw).isdigit() else None
        if row is not None:
            kept.append(row)
    chosen = []
    for i in range(posting.MAX_MEDIA):
        part = form.get(f"media_{i}")
        if isinstance(part, web.FileField) and part.filename:
            data = part.file.read(uploads.AV_LIMIT + 1)
            if len(data) > uploads.AV_LIMIT:
                raise Invalid(f"{part.filename} is too large: files can be up to {uploads.AV_LIMIT // uploads.MIB} MB.",
                              field="media")
            chosen.append((data, uploads.check_description(field(form, f"description_{i}", max_len=100_000))))
    if len(kept) + len(chosen) > posting.MAX_MEDIA:
        raise Invalid(f"A post can have at most {posting.MAX_MEDIA} attachments.", field="media")
    stored: list[dict[str, Any]] = []
    try:
        for data, description in chosen:
            stored.append(await uploads.create(pool, storage, user.id, data, None, description, (0.0, 0.0)))
        kinds = [row["kind"] for row in kept + stored]
        if len(kinds) > 1 and any(kind != "image" for kind in kinds):
            raise Invalid("Attach up to 4 images, or one video or audio file.", field="media")
    except AppError as exc:
        for row in stored:
            await uploads.discard(pool, storage, user.id, row["id"])
        raise Invalid(exc.message, field="media") from None
    return kept + stored


async def _refused(request: web.Request, exc: Invalid, typed: dict[str, Any], reply_to: int | None,
                   page: str) -> web.Response:
    """The form back where it was sent from, as typed, with the reason."""
    if reply_to is not None and exc.field != "in_reply_to_id":  # a reply stays a reply
        return await thread_page(request, reply_to, error=exc.message, error_field=exc.field, form=typed,
                                 status_code=exc.status)
    if page == "compose":
        return render(request, "compose.html", {**compose_context(request, typed), "error": exc.message,
                                                "error_field": exc.field}, status=exc.status)
    return await home_page(request, error=exc.message, error_field=exc.field, form=typed, status=exc.status)


@routes.post("/")
async def compose(request: web.Request) -> web.Response:
    """Every compose form posts here (home, /compose, a reply under a post)."""
    user = require_user(request)
    form = await request.post()
    reply = field(form, "in_reply_to_id", max_len=19)
    if reply and not reply.isdigit():
        raise AppError(400, "in_reply_to_id must be a post id.")
    reply_to = int(reply) if reply else None
    page = field(form, "page", max_len=20)
    try:
        media = await _media(request, user, form)
    except Invalid as exc:
        return await _refused(request, exc, _typed(form, []), reply_to, page)
    typed = _typed(form, media)
    try:
        post = posting.NewPost(
            text=typed["content"], spoiler_text=typed["spoiler_text"], visibility=typed["visibility"],
            in_reply_to_id=reply_to, sensitive=typed["sensitive"], language=typed["language"] or None,
            media_ids=[row["id"] for row in media], poll=_poll(form),
        )
        await posting.create_post(request.app[POOL], request.app[URLS], user.account, post,
                                  request[SITE].max_post_chars, mention_resolver(request.app[FEDERATION]))
    except Invalid as exc:
        return await _refused(request, exc, typed, reply_to, page)
    raise web.HTTPSeeOther(safe_next(field(form, "next", max_len=2000)))


@routes.get("/compose")
async def compose_page(request: web.Request) -> web.Response:
    """Compose on its own page: where the phone layout's "New post" button leads."""
    require_user(request)
    return render(request, "compose.html", compose_context(request))


async def _own(request: web.Request, user: User):
    raw = request.match_info["status_id"]
    status = await statuses_store.get_visible(request.app[POOL], int(raw), user.id) if len(raw) <= 19 else None
    if status is None or status.author.id != user.id or status.reblog_of_id is not None:
        raise NotFound("That post does not exist or is not yours.")
    return status


@routes.get(r"/@{username:[A-Za-z0-9_]+}/{status_id:\d+}/edit")
async def edit_page(request: web.Request) -> web.Response:
    user = require_user(request)
    status = await _own(request, user)
    media = await media_store.media_for(request.app[POOL], [status.id])
    form = {"content": status.source_text, "spoiler_text": status.spoiler_text, "visibility": status.visibility,
            "sensitive": status.sensitive, "media": media.get(status.id, [])}
    return render(request, "edit.html", {**compose_context(request, form), "status": status})


@routes.post(r"/@{username:[A-Za-z0-9_]+}/{status_id:\d+}/edit")
async def edit(request: web.Request) -> web.Response:
    """Change a post's text, warning, sensitivity and language; its earlier versions stay in its history."""
    user = require_user(request)
    status = await _own(request, user)
    form = await request.post()
    typed = _typed(form, [])
    kept = [int(raw) for raw in form.getall("media_id", []) if str(raw).isdigit()]
    post = posting.NewPost(text=typed["content"], spoiler_text=typed["spoiler_text"], sensitive=typed["sensitive"],
                           language=typed["language"] or None, media_ids=kept)
    try:
        await posting.edit_post(request.app[POOL], request.app[URLS], user.account, status.id, post,
                                request[SITE].max_post_chars, mention_resolver(request.app[FEDERATION]))
    except Invalid as exc:
        media = await media_store.media_for(request.app[POOL], [status.id])
        typed["media"] = [m for m in media.get(status.id, []) if m["id"] in kept]
        return render(request, "edit.html", {**compose_context(request, typed), "status": status,
                                             "error": exc.message, "error_field": exc.field}, status=exc.status)
    raise web.HTTPSeeOther(f"/@{user.account.username}/{status.id}")


@routes.post(r"/@{username:[A-Za-z0-9_]+}/{status_id:\d+}/redraft")
async def redraft(request: web.Request) -> web.Response:
    """Delete and redraft: the post goes (for everyone, as a delete does) and its text comes back to compose."""
    user = require_user(request)
    status = await _own(request, user)
    await posting.delete_post(request.app[POOL], request.app[URLS], user.account, status.id)
    form = {"content": status.source_text, "spoiler_text": status.spoiler_text, "visibility": status.visibility,
            "sensitive": status.sensitive}
    return render(request, "compose.html", compose_context(request, form))


@routes.get(r"/@{username:[A-Za-z0-9_]+}/{status_id:\d+}/history")
async def history(request: web.Request) -> web.Response:
    """Every version of a post the viewer may see, newest first."""
    raw = request.match_info["status_id"]
    viewer = request[USER]
    status = await statuses_store.get_visible(request.app[POOL], int(raw), viewer.id if viewer else None) \
        if len(raw) <= 19 else None
    if status is None or status.author.username.lower() != request.match_info["username"].lower():
        raise NotFound("There is no such post, or it is not visible to you.")
    edits = await statuses_store.edits(request.app[POOL], status.id)
    return render(request, "history.html", {"status": status, "edits": edits})
