"""Other servers' custom emoji on our pages: each `:shortcode:` a post or an account lists becomes
an image served from our own origin (fetched through the media cache), in post text, content
warnings and display names; the shortcode stays as the image's text for screen readers and copying."""

from __future__ import annotations

import re

from aiohttp import web
from markupsafe import Markup, escape

from federation import media_cache
from federation.runtime import FEDERATION
from server.keys import CONFIG, POOL, USER
from server.media.storage import storage_for
from server.models import Account, Status
from server.store import accounts as accounts_store
from server.store import statuses as statuses_store
from server.urls import emoji_path
from server.web.pictures import serve_cached

routes = web.RouteTableDef()
SHORTCODE = re.compile(r":([A-Za-z0-9_]{1,64}):")
TAG = re.compile(r"(<[^>]*>)")  # sanitised HTML: tags never hold a bare '<' or '>'


def _replace(text: str, owner: Status | Account) -> str:
    known = dict(owner.emojis)

    def image(match: re.Match[str]) -> str:
        code = match[1]
        if code not in known:
            return match[0]
        src = known[code] if known[code].startswith("/media/") else emoji_path(owner, code)  # ours, or cached
        return (f'<img class="emoji" src="{src}" alt=":{code}:" title=":{code}:"'
                ' width="20" height="20" loading="lazy">')
    return SHORTCODE.sub(image, text)


def emojify(html: str, owner: Status | Account) -> Markup:
    """Sanitised HTML with the owner's shortcodes as images (only in text, never inside a tag)."""
    if not owner.emojis:
        return Markup(html)
    return Markup("".join(part if part.startswith("<") else _replace(part, owner) for part in TAG.split(html)))


def emojify_text(text: str, owner: Status | Account) -> Markup:
    """Plain text (a content warning), escaped, with the owner's shortcodes as images."""
    return Markup(_replace(str(escape(text)), owner)) if owner.emojis else escape(text)


def display_name(account: Account) -> Markup:
    """An account's name as an isolate (its direction cannot leak into the text around it), emoji shown."""
    return Markup("<bdi>{}</bdi>").format(emojify_text(account.name, account))


@routes.get(r"/remote/emoji/{kind:status|account}/{owner_id:\d{1,19}}/{shortcode:[A-Za-z0-9_]{1,64}}")
async def emoji_image(request: web.Request) -> web.StreamResponse:
    """A custom emoji of a post the viewer may see, or of an account, through our cache."""
    pool, owner_id = request.app[POOL], int(request.match_info["owner_id"])
    if request.match_info["kind"] == "status":
        viewer = request[USER]
        owner: Status | Account | None = await statuses_store.get_visible(pool, owner_id, viewer.id if viewer else None)
    else:
        owner = await accounts_store.get_by_id(pool, owner_id)
        owner = owner if owner is not None and owner.suspended_at is None else None
    url = dict(owner.emojis).get(request.match_info["shortcode"]) if owner is not None else None
    if url is None:
        raise web.HTTPNotFound()
    found = await media_cache.picture(request.app[FEDERATION], storage_for(request.app[CONFIG]), url)
    if found is None:
        raise web.HTTPNotFound()
    return serve_cached(request, found, small=True)
